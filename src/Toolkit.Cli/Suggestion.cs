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
}
