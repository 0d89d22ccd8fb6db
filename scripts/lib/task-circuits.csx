// Shared body of pattern-in-noise.csx and set-extraction.csx: train on a catalog task, then report
// which circuits form (head scores on the repeated-copy scoring batch, probes beside the
// position-only baseline and the library's verdict, attention heatmaps of the top heads on one example of the task).
// Needs lib/experiment.csx loaded first.
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using Toolkit.Verdicts;

public static class TaskCircuits
{
    public static int Run(Experiment exp, string taskName, Dictionary<string, string> fullParams, Dictionary<string, string> fastParams, int steps, string what)
    {
        var spec = exp.Task(taskName, exp.Fast ? fastParams : fullParams);
        var result = exp.Train(taskName, exp.Model(), spec, exp.Training(steps));
        var task = spec.Create();
        using var model = result.Run.LoadModel();
        var verdict = VerdictTables.Judge(result);
        var heads = result.FinalHeads;
        exp.Report.AddParagraph(what);
        exp.Report.AddParagraph($"Trained {steps} steps; loss {Fmt.F(result.LossCurve[0].Loss, 2)} → {Fmt.F(result.LossCurve[^1].Loss)}; {result.EvalLabel}: {result.FinalEval}.");
        VerdictTables.Add(exp.Report, taskName, verdict);
        HeadTables.Add(exp.Report, "head scores", heads);
        exp.Report.AddLineChart("training loss", "step", "loss", new[] { ("loss", result.LossCurve.Select(p => (double)p.Step).ToArray(), result.LossCurve.Select(p => p.Loss).ToArray()) });
        exp.Csv("heads.csv", HeadTables.Columns, HeadTables.Rows(heads));
        exp.Csv("probes.csv", new[] { "model" }.Concat(VerdictTables.Columns).ToArray(), VerdictTables.CsvRows(taskName, verdict));

        // Heatmaps of the top previous-token and top induction head (and the best duplicate-token head) on one example.
        var example = Sampling.examples(task, Seeds.Derive(exp.Seed, Seeds.Stream.Probe, 99), 1)[0];
        exp.Report.AddParagraph("Example (predictable positions in [brackets]): " + TaskRender.example(task, example));
        var shown = new List<HeadScore>();
        foreach (var role in new[] { HeadRole.PreviousToken, HeadRole.Induction, HeadRole.DuplicateToken })
        {
            var h = heads.Best(role);
            if (shown.Contains(h)) continue;
            shown.Add(h);
            var labels = AttentionPattern.Labels(task.Vocabulary, example);
            exp.Report.AddHeatmap($"{h.Name} attention on one {taskName} example (best {role} head, score {Fmt.F(HeadScoreTable.Score(h, role))})",
                AttentionPattern.Of(model, example, h.Layer, h.Head), labels, labels, 0, 1);
        }

        var prev = heads.Named(HeadRole.PreviousToken); var ind = heads.Named(HeadRole.Induction); var dup = heads.Named(HeadRole.DuplicateToken);
        exp.Result($"{taskName} {string.Join(" ", spec.Parameters.Select(kv => kv.Key + "=" + kv.Value))}, {steps} steps: held-out accuracy {Fmt.P(result.FinalEval.Accuracy)} (loss {Fmt.F(result.FinalEval.Loss)})");
        VerdictTables.Results(exp, taskName, verdict);
        VerdictTables.Measures(exp, taskName, new[] { verdict });
        exp.Result($"heads (score > {heads.Threshold} on an unseen period-{heads.ScoringPeriod} repeat): previous-token {Fmt.Heads(prev)}; induction {Fmt.Heads(ind)}; duplicate-token {Fmt.Heads(dup)}; " +
                   $"best induction {heads.Best(HeadRole.Induction).Name} {Fmt.F(heads.Best(HeadRole.Induction).Induction)}, best previous-token {heads.Best(HeadRole.PreviousToken).Name} {Fmt.F(heads.Best(HeadRole.PreviousToken).PreviousToken)}");
        // The heads are described; whether the model generalizes is the library's verdict, not a rule of this script.
        string circuit = prev.Any(h => h.Layer == 0) && ind.Any(h => h.Layer == 1) ? $"previous-token heads {Fmt.Heads(prev)} and induction heads {Fmt.Heads(ind)} score above {heads.Threshold}"
            : ind.Count > 0 ? $"induction-like heads {Fmt.Heads(ind)} score above {heads.Threshold}, without a layer-0 previous-token head"
            : dup.Count > 0 ? $"no induction head; duplicate-token heads {Fmt.Heads(dup)}"
            : "no previous-token, induction or duplicate-token head";
        exp.Conclude($"verdict: {verdict.Headline}; heads: {circuit}.");
        exp.Save();
        return 0;
    }
}
