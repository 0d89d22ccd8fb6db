using System.CommandLine;

namespace Toolkit.Cli;

/// <summary>What a mistyped command-line token could have meant: the names the command accepts in its place, for
/// <see cref="NearestName"/>.</summary>
public static class Suggestion
{
    /// <summary>The names a command accepts in place of <paramref name="token"/>: its options (with their aliases, and
    /// the recursive options of its parents) for a token starting with '-', else its subcommands.</summary>
    public static IEnumerable<string> Candidates(Command command, string token, IEnumerable<Command> parents)
    {
        if (!token.StartsWith('-'))
            return command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name));
        var options = command.Options.Concat(parents.SelectMany(p => p.Options.Where(o => o.Recursive)));
        return options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
    }

    /// <summary>Options that train and finetune took before their names became the config's keys, with what to write
    /// now: a command line from older docs gets the exact replacement, not only the nearest name.</summary>
    public static readonly IReadOnlyDictionary<string, string> Renamed = new Dictionary<string, string>
    {
        ["--layers"] = "--n-layers", ["--heads"] = "--n-heads", ["--context"] = "--n-ctx", ["--vocab"] = "--d-vocab",
        ["--batch"] = "--batch-size", ["--warmup"] = "--warmup-steps", ["--ln"] = "--normalization-type LN",
        ["--mlp"] = "--attn-only false", ["--tied"] = "--tied-embeddings", ["--positional"] = "--positional-embedding-type (learned is standard)",
        ["--post-norm"] = "--normalization-position post", ["--parallel"] = "--parallel-attn-mlp",
        ["--encoder-layers"] = "--n-encoder-layers", ["--pool"] = "--n-layers (with --routing, the pool)", ["--identity"] = "--route-identity-layers",
        ["--route"] = "--routing", ["--router"] = "--router-type", ["--act"] = "--route-act", ["--act-loss"] = "--route-act-loss",
        ["--ponder-cost"] = "--route-ponder-cost", ["--dropout"] = "--embed-dropout P --attn-dropout P --resid-dropout P",
        ["--arch"] = "the setting itself: conv-attn is --conv-kernel 3 (and one layer fewer in --n-layers), routed is --routing per-token, encoder-decoder is --n-encoder-layers N",
    };

    /// <summary>The replacement of a renamed option, when <paramref name="command"/> takes it.</summary>
    public static string? RenamedTo(Command command, string token, IEnumerable<Command> parents)
    {
        if (!Renamed.TryGetValue(token.Split('=')[0], out var now)) return null;
        var first = now.Split(' ')[0];
        return !first.StartsWith("--", StringComparison.Ordinal) || Candidates(command, "-", parents).Contains(first) ? now : null;
    }
}
