using System.CommandLine;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Runs;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit heads runs/NAME</c>: previous-token, duplicate-token and induction scores of
/// every head on the scoring batch (a period the run never trained on).</summary>
public static class HeadsCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "run directory, e.g. runs/NAME" };
        var threshold = new Option<double>("--threshold") { Description = "score above which a head is named", DefaultValueFactory = _ => HeadScoreTable.DefaultThreshold };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda", DefaultValueFactory = _ => "auto" };
        var command = new Command("heads", "Score every head as previous-token, duplicate-token and induction head.");
        command.Arguments.Add(run);
        command.Options.Add(threshold);
        command.Options.Add(device);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var dir = RunDirectory.Open(r.GetValue(run)!);
            var config = dir.ReadConfig();
            using var model = dir.LoadModel(Devices.Resolve(r.GetValue(device)!));
            using var batch = ScoringBatch.ForRun(model, config.Task.Create(), config.Training.Seed);
            Console.Write(Summary.HeadTable(HeadScores.Compute(model, batch, r.GetValue(threshold))));
            return 0;
        }));
        return command;
    }
}
