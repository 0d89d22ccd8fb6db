using System.CommandLine;
using System.Globalization;
using Toolkit.Superposition;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit superposition</c>: toy models of superposition (Elhage et al. 2022) over a sweep of sparsities,
/// all trained at once, and per sparsity the features represented, in superposition, the dimensions per feature and the
/// geometry (the library's measures: <see cref="SuperpositionSummary"/>).</summary>
public static class SuperpositionCommand
{
    public static Command Create()
    {
        var defaults = new ToyModelConfig();
        var features = new Option<int>("--features") { Description = "n: sparse input features", DefaultValueFactory = _ => defaults.Features };
        var hidden = new Option<int>("--hidden") { Description = "m: hidden dimensions the features are compressed into", DefaultValueFactory = _ => defaults.Hidden };
        var sparsities = new Option<string>("--sparsity")
        {
            Description = "sparsities S to sweep, comma-separated (each feature is 0 with probability S, else uniform in [0, 1])",
            DefaultValueFactory = _ => "0,0.7,0.9,0.97,0.99,0.999",
        };
        var importance = new Option<double>("--importance") { Description = "importance decay r: feature i's squared error counts r^i (1: all equal)", DefaultValueFactory = _ => 0.9 };
        var steps = new Option<int>("--steps") { Description = "AdamW steps", DefaultValueFactory = _ => defaults.Steps };
        var batch = new Option<int>("--batch-size") { Description = "examples per step", DefaultValueFactory = _ => defaults.BatchSize };
        var lr = new Option<double>("--lr") { Description = "learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var seed = new Option<long>("--seed") { Description = "seed of the initialization and the batches", DefaultValueFactory = _ => 0 };
        var threads = new Option<int>("--threads") { Description = "CPU threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("superposition",
            "Toy models of superposition (Elhage et al. 2022): n sparse features through m < n dimensions, one model per sparsity; which features are represented, which are in superposition, dimensions per feature and antipodal pairs.");
        foreach (var o in new Option[] { features, hidden, sparsities, importance, steps, batch, lr, seed, threads }) command.Options.Add(o);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var n = r.GetValue(features);
            var ratio = r.GetValue(importance);
            if (!double.IsFinite(ratio) || ratio <= 0 || ratio > 1)
                throw new ToolkitException($"--importance {ratio} is outside (0, 1]", "use --importance 0.9 (the paper's), or 1 for equal importance");
            var levels = CommandLine.NumberList(r.GetValue(sparsities)!, "--sparsity", "0,0.9,0.99", double.Parse);
            var config = new ToyModelConfig
            {
                Features = n, Hidden = r.GetValue(hidden), Instances = levels.Select(s => ToyInstance.Decaying(n, s, ratio)).ToList(),
                Steps = r.GetValue(steps), BatchSize = r.GetValue(batch), LearningRate = r.GetValue(lr), Seed = r.GetValue(seed), Threads = r.GetValue(threads),
            }.Validate();
            Console.WriteLine($"toy models of superposition: {config.Features} features through {config.Hidden} hidden dimensions, {(ratio == 1 ? "equal importance" : $"importance {Number(ratio)}^i")}, " +
                              $"{levels.Count} sparsities trained at once ({config.Steps} steps, batch {config.BatchSize}, AdamW lr {Number(config.LearningRate)}, seed {config.Seed}, {config.Threads} threads)");
            var progress = new ProgressReporter("superposition", "examples");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            progress.OnStart(0, config.Steps);
            var result = ToyModelTrainer.Train(config, (step, total, loss) =>
                progress.OnProgress(step, total, loss, (double)step * config.BatchSize * levels.Count / clock.Elapsed.TotalSeconds));
            progress.Finish();
            Console.Write(Render(result));
            return 0;
        }));
        return command;
    }

    /// <summary>One row per instance (sparsity), then what each column means.</summary>
    public static string Render(ToyModelResult result)
    {
        var header = new[] { "sparsity", "loss", "represented", "in superposition", "dims/feature", "antipodal pairs", "dimensionality D_i of represented features" };
        var rows = result.Config.Instances.Select((instance, i) =>
        {
            var s = SuperpositionSummary.Of(result.Weights[i]);
            var share = s.Represented == 0 ? "" : $" ({100 * s.ShareInSuperposition:F0}%)";
            return new[]
            {
                Number(instance.Sparsity), result.FinalLoss[i].ToString("G3", CultureInfo.InvariantCulture), $"{s.Represented} of {s.Features}",
                $"{s.InSuperposition}{share}", s.DimensionsPerFeature.ToString("F3", CultureInfo.InvariantCulture), s.AntipodalPairs.ToString(CultureInfo.InvariantCulture), s.GroupsText,
            };
        }).ToList();
        var widths = header.Select((h, c) => Math.Max(h.Length, rows.Max(row => row[c].Length))).ToArray();
        var sb = new System.Text.StringBuilder();
        sb.AppendLine("  " + string.Join("  ", header.Select((h, c) => h.PadRight(widths[c]))).TrimEnd());
        foreach (var row in rows) sb.AppendLine("  " + string.Join("  ", row.Select((v, c) => v.PadRight(widths[c]))).TrimEnd());
        sb.AppendLine($"represented: ‖W_i‖ ≥ {Number(FeatureMeasures.RepresentedNorm)}; in superposition: represented and Σ_j≠i (Ŵ_i·W_j)² ≥ {Number(FeatureMeasures.SuperpositionThreshold)}; " +
                      $"dims/feature: m / ‖W‖_F²; antipodal: two represented features at cosine ≤ {Number(FeatureGeometry.AntipodalCosine)}; " +
                      $"D_i = ‖W_i‖² / Σ_j (Ŵ_i·W_j)², counted by the nearest of 1, 3/4, 2/3, 1/2, 2/5, 3/8, 1/3 within {Number(FeatureGeometry.StickyTolerance)} (docs/design.md §4)");
        return sb.ToString();
    }

    private static string Number(double x) => x.ToString("0.####", CultureInfo.InvariantCulture);
}
