using System.CommandLine;
using System.Globalization;
using Toolkit.Analysis;
using Toolkit.Verdicts;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit grokking runs/NAME</c>: a modular-addition run's key frequencies and, at every checkpoint, Nanda et al.
/// 2023's progress measures (train and held-out loss and accuracy, restricted and excluded loss, weight norm), then the
/// steps of memorization, circuit formation and grokking (docs/design.md §4).</summary>
public static class GrokkingCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "a modular-addition run directory, e.g. runs/grok" };
        var every = new Option<int>("--every") { Description = "print every N-th checkpoint's row (the phases use them all)", DefaultValueFactory = _ => 1 };
        var command = new Command("grokking", "Key frequencies and progress measures of a modular-addition run over its checkpoints (grokking).");
        command.Arguments.Add(run);
        command.Options.Add(every);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var n = r.GetValue(every);
            if (n < 1) throw new ToolkitException($"--every {n} must be at least 1", "use --every 1 to print every checkpoint");
            var timeline = GrokkingRun.Measure(r.GetValue(run)!);
            Console.WriteLine($"p {timeline.P}: {timeline.Frequencies}");
            Console.WriteLine("frequency shares of the embedding's norm: " + string.Join(" ", timeline.Frequencies.Shares
                .Select((s, i) => (Share: s, K: i + 1)).OrderByDescending(x => x.Share).Take(8).Select(x => $"{x.K}:{x.Share.ToString("P1", CultureInfo.InvariantCulture)}")));
            Console.WriteLine($"{"step",7} {"train loss",10} {"test loss",10} {"train acc",9} {"test acc",9} {"restricted",10} {"excluded",10} {"weight norm",11}");
            for (var i = 0; i < timeline.Points.Count; i++)
            {
                if (i % n != 0 && i != timeline.Points.Count - 1) continue;
                var x = timeline.Points[i];
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{x.Step,7} {x.TrainLoss,10:F4} {x.TestLoss,10:F4} {x.TrainAccuracy,9:P1} {x.TestAccuracy,9:P1} {x.RestrictedLoss,10:F4} {x.ExcludedLoss,10:F4} {x.WeightNorm,11:F1}"));
            }
            Console.WriteLine(timeline.Summary());
            return 0;
        }));
        return command;
    }
}
