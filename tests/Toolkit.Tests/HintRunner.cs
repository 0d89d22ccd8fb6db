using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Toolkit.Tests;

/// <summary>Reads the command a <c>hint:</c> line suggests and runs it, so a test can prove that the hint gets past the
/// refusal it answers. A hint suggests either a command line (from the first <c>toolkit</c>, <c>cp</c>, <c>mv</c>, <c>rm</c>
/// or <c>chmod</c> to the end of the hint; steps joined by <c>&amp;&amp;</c>), or changes to the refused command line
/// (<c>use --opt V</c>, <c>add --opt V</c>, <c>drop --opt</c>). Placeholders: a path ending in <c>/NEW</c> or <c>/NAME</c>
/// becomes a fresh folder, <c>RUN</c> the run under test, <c>N</c> a small step count.</summary>
public static partial class HintRunner
{
    /// <summary>What a hint asks to run: shell steps first, then one toolkit command line.</summary>
    public sealed record Plan(IReadOnlyList<string> Shell, string[] Toolkit)
    {
        public override string ToString() => string.Join(" && ", Shell.Append("toolkit " + string.Join(' ', Toolkit)));
    }

    [GeneratedRegex(@"(?<![\w/-])(toolkit|cp|mv|rm|chmod) ")]
    private static partial Regex CommandStart();

    [GeneratedRegex(@"\b(use|add) (--[a-z][a-z-]*)(?: ([^\s,;()]+))?")]
    private static partial Regex SetOption();

    [GeneratedRegex(@"\bdrop (--[a-z][a-z-]*)")]
    private static partial Regex DropOption();

    /// <summary>The hint line of an error output.</summary>
    public static string HintOf(string err) =>
        err.Split('\n').Select(l => l.TrimEnd('\r')).LastOrDefault(l => l.StartsWith("hint: ", StringComparison.Ordinal))?["hint: ".Length..]
        ?? throw new AssertionException($"no hint line in:\n{err}");

    /// <summary>The plan of a hint (null when it names nothing to run), for the refused <paramref name="original"/> command line.</summary>
    public static Plan? Parse(string hint, string[] original, string? run, Func<string> fresh)
    {
        var placeholders = new Dictionary<string, string>();
        string Fill(string token) => token switch
        {
            _ when token.EndsWith("/NEW", StringComparison.Ordinal) || token.EndsWith("/NAME", StringComparison.Ordinal) =>
                placeholders.TryGetValue(token, out var p) ? p : placeholders[token] = fresh(),
            "RUN" when run is not null => run,
            "N" => "2",
            _ => token,
        };
        var start = CommandStart().Match(hint);
        if (start.Success)
        {
            var steps = hint[start.Index..].TrimEnd('.', ')').Split(" && ").Select(s => s.Trim()).ToList();
            var words = steps.Select(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(Fill).ToArray()).ToList();
            if (words[^1][0] != "toolkit") words.Add(original); // a repair only: then the refused command again
            return new Plan(words.SkipLast(1).Select(w => string.Join(' ', w)).ToList(), words[^1].Skip(words[^1][0] == "toolkit" ? 1 : 0).ToArray());
        }
        var edited = original.ToList();
        var changed = false;
        foreach (Match m in DropOption().Matches(hint))
        {
            var i = edited.IndexOf(m.Groups[1].Value);
            if (i < 0) continue;
            edited.RemoveAt(i);
            if (i < edited.Count && !edited[i].StartsWith("--", StringComparison.Ordinal)) edited.RemoveAt(i); // its value
            changed = true;
        }
        foreach (Match m in SetOption().Matches(hint))
        {
            var (option, value) = (m.Groups[2].Value, m.Groups[3].Success ? Fill(m.Groups[3].Value) : null);
            var i = edited.IndexOf(option);
            if (i >= 0 && value is not null && i + 1 < edited.Count) edited[i + 1] = value;
            else if (i < 0) edited.AddRange(value is null ? [option] : [option, value]);
            changed = true;
        }
        return changed ? new Plan([], edited.ToArray()) : null;
    }

    /// <summary>Runs the command a refusal's hint suggests and asserts that it gets past the refusal: the hint names a
    /// command that parses (no option its command rejects), every step succeeds, and the toolkit command exits 0; when that
    /// command is a repair (another subcommand than the refused one), the refused command line then exits 0 too.</summary>
    public static void AssertHintWorks(string[] original, string err, string? run, Func<string> fresh)
    {
        var hint = HintOf(err);
        var plan = Parse(hint, original, run, fresh)
                   ?? throw new AssertionException($"the hint names no command to run: `{hint}` (refusal of `toolkit {string.Join(' ', original)}`)");
        var parsed = Cli.Commands.Commands.Root().Parse(plan.Toolkit);
        Assert.That(parsed.Errors.Select(e => e.Message), Is.Empty, $"the hint's command `{plan}` does not parse");
        foreach (var step in plan.Shell)
        {
            var (code, output) = Shell(step);
            Assert.That(code, Is.EqualTo(0), $"hint step `{step}` failed: {output}");
        }
        var (hintCode, hintOut, hintErr) = CliRunner.InProcess(plan.Toolkit);
        Assert.That(hintCode, Is.EqualTo(0), $"the hint's command `{plan}` (for `{hint}`) gave exit code {hintCode}:\n{hintErr}\n{Tail(hintOut)}");
        if (plan.Toolkit[0] != original[0])
        {
            var (again, _, againErr) = CliRunner.InProcess(original);
            Assert.That(again, Is.EqualTo(0), $"after the hint's `{plan}`, `toolkit {string.Join(' ', original)}` still fails:\n{againErr}");
        }
    }

    private static (int Code, string Output) Shell(string command)
    {
        using var p = Process.Start(new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    private static string Tail(string s) => s.Length <= 400 ? s : "…" + s[^400..];
}
