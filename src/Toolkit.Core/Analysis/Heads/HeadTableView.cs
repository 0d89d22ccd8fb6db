using System.Globalization;

namespace Toolkit.Analysis;

/// <summary>The HTML rendering of a head score table (notebooks): every head's previous-token, duplicate-token and induction
/// score, and the roles it is named for above the threshold.</summary>
public static class HeadTableView
{
    private static readonly (HeadRole Role, string Label)[] Roles =
        [(HeadRole.PreviousToken, "previous-token"), (HeadRole.DuplicateToken, "duplicate-token"), (HeadRole.Induction, "induction")];

    /// <summary>A table with one row per head.</summary>
    public static string Html(HeadScoreTable table)
    {
        static string F(double x) => x.ToString("F3", CultureInfo.InvariantCulture);
        var caption = table.Measurable
            ? $"head scores on an unseen period {table.ScoringPeriod} (named above {F(table.Threshold)})"
            : $"head scores: not measurable ({table.Layout}); no head is named";
        return Toolkit.Html.Table(caption, ["head", "previous-token", "duplicate-token", "induction", "named"],
            table.Heads.Select(h => (IReadOnlyList<string>)
            [
                h.Name, F(h.PreviousToken), F(h.DuplicateToken), F(h.Induction),
                string.Join(" ", Roles.Where(r => table.Named(r.Role).Contains(h)).Select(r => r.Label)),
            ]));
    }
}
