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
        var run = new RunInput();
        var threshold = new Option<double>("--threshold") { Description = "score above which a head is named", DefaultValueFactory = _ => HeadScoreTable.DefaultThreshold };
        var command = new Command("heads", "Score every head as previous-token, duplicate-token and induction head.");
        run.AddTo(command);
        command.Options.Add(threshold);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var opened = run.Open(r);
            var config = opened.Config;
            using var model = opened.LoadModel();
            using var batch = ScoringBatch.ForRun(model, config.Task.Create(), config.Training.Seed);
            Console.Write(Summary.HeadTable(HeadScores.Compute(model, batch, r.GetValue(threshold))));
            return 0;
        }));
        return command;
    }
}
