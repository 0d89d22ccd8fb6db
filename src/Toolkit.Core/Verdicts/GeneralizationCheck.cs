using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Verdicts;

/// <summary>The outcome of a property-based generalization check.</summary>
/// <param name="Counterexample">The minimal failing instance after shrinking (null when the property held).</param>
/// <param name="Explanation">The counterexample rendered for humans: tokens, predictions, key heads' attention.</param>
public sealed record CheckResult(ModelProperty Property, ITask Task, int Tests, bool Passed, Instance? Counterexample,
    EvalResult? CounterexampleEval, string Explanation, int Shrinks);

/// <summary>States a property of a trained model over a whole task family and lets FsCheck try to
/// break it: instances are drawn from the task (its parameters are the ranges checked over), and a
/// failure shrinks over the task's own shape parameters (period, start, ...) to a minimal instance.</summary>
public static class GeneralizationCheck
{
    /// <summary>An FsCheck arbitrary of a task's instances with the task's shrinker, for
    /// <c>Prop.ForAll</c> and FsCheck.NUnit <c>[Property]</c> tests.</summary>
    public static Arbitrary<Instance> Instances(ITask task) => Arb.From(task.Instances, task.Shrink);

    /// <summary>Measures a model on one instance's predictable positions.</summary>
    public static EvalResult Measure(HookedTransformer model, ITask task, Instance instance) =>
        Evaluator.Evaluate(model, new[] { task.Build(instance) });

    /// <summary>Checks <paramref name="property"/> on <paramref name="tests"/> instances of <paramref name="task"/>
    /// (deterministic in <paramref name="seed"/>); on failure returns the shrunk counterexample.</summary>
    public static CheckResult Check(HookedTransformer model, ITask task, ModelProperty property, int tests = 100, ulong seed = 1)
    {
        Evaluator.CheckFits(model, task);
        Instance? lastFailure = null;
        EvalResult? lastFailureEval = null;
        var failures = 0;
        var prop = Prop.ForAll(Instances(task), instance =>
        {
            var eval = Measure(model, task, instance);
            var holds = property.Holds(eval);
            if (!holds)
            {
                // FsCheck re-runs the property on shrink candidates and keeps each one that still
                // fails; the last failure it sees is therefore the final, minimal counterexample.
                lastFailure = instance;
                lastFailureEval = eval;
                failures++;
            }
            return holds;
        });
        var config = Config.QuickThrowOnFailure.WithMaxTest(tests).WithQuietOnSuccess(true)
            .WithReplay(new Replay(new Rnd(seed, 0x9E3779B97F4A7C15UL | 1), null));
        try
        {
            prop.Check(config);
            return new CheckResult(property, task, tests, true, null, null, "", 0);
        }
        catch (Exception) when (lastFailure is not null)
        {
            return new CheckResult(property, task, tests, false, lastFailure, lastFailureEval,
                Explain(model, task, lastFailure), Math.Max(0, failures - 1));
        }
    }

    /// <summary>A failing instance for humans: its shape, tokens with masked positions, what the
    /// model predicted there, and where its most induction-like and previous-token-like heads looked.</summary>
    public static string Explain(HookedTransformer model, ITask task, Instance instance)
    {
        var example = task.Build(instance);
        var sb = new StringBuilder();
        sb.AppendLine($"instance: {string.Join(" ", instance.Shape.Select(kv => $"{kv.Key}={kv.Value}"))} (seed {instance.Seed})");
        sb.AppendLine($"tokens ([masked]): {Render.example(task.Vocabulary, example)}");
        using var scope = NewDisposeScope();
        // A masked LM reads its evaluation corruption, and predicts position i from row i (next-token: from row i − 1).
        using var batch = Batch.ForEvaluation(model.Config, new[] { example }, model.Device);
        var (logits, cache) = model.RunWithCache(batch.Tokens, n => n.EndsWith("hook_pattern", StringComparison.Ordinal));
        var predicted = logits.argmax(-1)[0].cpu().data<long>().ToArray();
        var scored = batch.LossMask[0].cpu().data<bool>().ToArray();
        // Key heads: the best induction-like head in the last layer and best previous-token head in layer 0,
        // judged on this very example by where the copy rule says to look.
        var rows = new List<string>();
        var wrong = 0;
        var judged = 0;
        for (var i = 1; i < example.Tokens.Length; i++)
        {
            if (!scored[i]) continue;
            judged++;
            var row = batch.NextToken ? i - 1 : i;
            var ok = predicted[row] == example.Tokens[i];
            if (!ok) wrong++;
            if (rows.Count >= 12) continue;
            var heads = new List<string>();
            for (var layer = 0; layer < model.Config.NLayers; layer++)
            {
                var pattern = cache.Pattern(layer)[0, .., row, ..];                    // [head, src]
                var (weights, sources) = pattern.max(-1);
                var w = weights.cpu().to_type(ScalarType.Float32).data<float>().ToArray();
                var s = sources.cpu().data<long>().ToArray();
                var top = Enumerable.Range(0, w.Length).MaxBy(h => w[h]);
                heads.Add($"L{layer}H{top}→{s[top]} ({w[top]:F2})");
            }
            rows.Add($"  pos {i}: target {task.Vocabulary.Show(example.Tokens[i])}, predicted {task.Vocabulary.Show((int)predicted[row])} {(ok ? "ok" : "WRONG")}; " +
                     $"from pos {row} the strongest heads attend {string.Join(", ", heads)}");
        }
        sb.AppendLine($"{wrong} of {judged} {(batch.NextToken ? "predictable" : "masked")} positions wrong; first positions:");
        foreach (var r in rows) sb.AppendLine(r);
        return sb.ToString();
    }
}
