using System.CommandLine;

namespace Toolkit.Cli;

/// <summary>The nearest command or option name to a mistyped one ("trian" → "train", "--stesp" → "--steps"), by edit
/// distance with adjacent transpositions, so a parse error can say what was probably meant.</summary>
public static class Suggestion
{
    /// <summary>The name among <paramref name="candidates"/> nearest to <paramref name="typed"/>, when it is close enough
    /// to be a typo (at most a third of the typed length, and at least 1 edit allowed); ties go to the first candidate.</summary>
    public static string? Nearest(string typed, IEnumerable<string> candidates)
    {
        var limit = Math.Max(1, typed.TrimStart('-').Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var c in candidates)
        {
            var d = Distance(typed, c);
            if (d < bestDistance) (best, bestDistance) = (c, d);
        }
        return bestDistance <= limit ? best : null;
    }

    /// <summary>The names a command accepts in place of <paramref name="token"/>: its options (with their aliases, and
    /// the recursive options of its parents) for a token starting with '-', else its subcommands.</summary>
    public static IEnumerable<string> Candidates(Command command, string token, IEnumerable<Command> parents)
    {
        if (!token.StartsWith('-'))
            return command.Subcommands.Where(c => !c.Hidden).SelectMany(c => c.Aliases.Prepend(c.Name));
        var options = command.Options.Concat(parents.SelectMany(p => p.Options.Where(o => o.Recursive)));
        return options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name)).Where(n => n.StartsWith("--", StringComparison.Ordinal));
    }

    /// <summary>Optimal string alignment distance: insertions, deletions, substitutions and adjacent transpositions.</summary>
    public static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (var j = 0; j <= b.Length; j++) d[0, j] = j;
        for (var i = 1; i <= a.Length; i++)
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
