namespace Toolkit;

/// <summary>The nearest known name to a mistyped one ("trian" → "train", "layers" → "n_layers"), by edit distance with
/// adjacent transpositions: what "did you mean ...?" offers on the command line and in sweep grids.</summary>
public static class NearestName
{
    /// <summary>The name among <paramref name="known"/> nearest to <paramref name="typed"/> when it is close enough to be a
    /// typo: at most a third of the typed name's length (leading dashes aside), and at least 2 edits; ties go to the
    /// first name.</summary>
    public static string? Of(string typed, IEnumerable<string> known)
    {
        var limit = Math.Max(2, typed.TrimStart('-').Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var name in known)
        {
            var d = Distance(typed, name);
            if (d < bestDistance) (best, bestDistance) = (name, d);
        }
        return bestDistance <= limit ? best : null;
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
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
            }
        return d[a.Length, b.Length];
    }
}
