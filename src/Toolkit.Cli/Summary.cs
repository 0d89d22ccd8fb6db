using System.Text;
using Toolkit.Analysis;
using Toolkit.Training;

namespace Toolkit.Cli;

/// <summary>Plain-text summaries shared by the commands.</summary>
public static class Summary
{
    /// <summary>The end-of-training summary.</summary>
    public static void Print(TrainingResult r)
    {
        Console.WriteLine($"trained {r.Steps} steps in {r.Seconds:F1} s ({r.TokensPerSecond / 1000:F0}k tokens/s) → {r.Run.Path}");
        Console.WriteLine($"final training loss {r.FinalTrainLoss:F3}; {r.EvalLabel}: {r.FinalEval}");
        Console.Write(HeadTable(r.FinalHeads));
    }

    /// <summary>Scores of every head, and the heads named for each role (or "none").</summary>
    public static string HeadTable(HeadScoreTable table)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"head scores on repeated random tokens (period {table.ScoringPeriod}); named above {table.Threshold}:");
        if (table.Layout.Length > 0) sb.AppendLine($"  {table.Layout}");
        sb.AppendLine("  head   prev-token  duplicate  induction");
        foreach (var h in table.Heads)
            sb.AppendLine($"  {h.Name,-6} {h.PreviousToken,10:F3} {h.DuplicateToken,10:F3} {h.Induction,10:F3}");
        foreach (var (role, label) in new[] { (HeadRole.PreviousToken, "previous-token heads"), (HeadRole.DuplicateToken, "duplicate-token heads"), (HeadRole.Induction, "induction heads") })
        {
            var named = table.Named(role);
            sb.AppendLine($"  {label}: {(named.Count == 0 ? "none" : string.Join(", ", named.Select(h => $"{h.Name} ({HeadScoreTable.Score(h, role):F2})")))}");
        }
        return sb.ToString();
    }
}
