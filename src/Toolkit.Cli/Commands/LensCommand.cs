using System.CommandLine;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Runs;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit lens runs/NAME</c>: the logit lens on the run's own task: what the residual stream
/// after each layer already predicts at the predictable positions, and the layer where predictions settle.</summary>
public static class LensCommand
{
    public static Command Create()
    {
        var run = new RunInput();
        var sequences = new Option<int>("--sequences") { Description = "sequences of the run's task to read", DefaultValueFactory = _ => 256 };
        var command = new Command("lens", "Logit lens: per layer, the correct token's probability, rank and accuracy, and where predictions settle.");
        run.AddTo(command);
        command.Options.Add(sequences);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var count = r.GetValue(sequences);
            if (count < 1 || count > 100_000)
                throw new ToolkitException($"--sequences {count} is outside 1..100000", "use --sequences 256, for example");
            var opened = run.Open(r);
            var config = opened.Config;
            using var model = opened.LoadModel();
            var task = config.Task.Create();
            using var batch = Batch.Sample(task, Seeds.Derive(config.Training.Seed, Seeds.Stream.Probe), count, model.Device);
            Console.Write(Render(LogitLens.Run(model, batch.Tokens, batch.LossMask)));
            return 0;
        }));
        return command;
    }

    /// <summary>The lens as a table and one line on saturation.</summary>
    public static string Render(IReadOnlyList<LogitLensLayer> layers)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine("logit lens on predictable positions (each layer's resid_post through ln_final and W_U):");
        sb.AppendLine("  layer  P(correct)  mean rank  accuracy  predictions settling here");
        foreach (var l in layers)
            sb.AppendLine($"  {l.Layer,5}  {l.Probability,10:F3}  {l.MeanRank,9:F2}  {l.Accuracy,8:P1}  {l.Settled,25:P1}");
        var mostly = layers.MaxBy(l => l.Settled)!;
        sb.AppendLine($"saturation: most predictions ({mostly.Settled:P0}) settle at layer {mostly.Layer}, the first layer from which every later layer predicts the model's final token");
        return sb.ToString();
    }
}
