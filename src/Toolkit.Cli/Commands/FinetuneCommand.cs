using System.CommandLine;
using Toolkit.Reports;
using Toolkit.Runs;
using Toolkit.Verdicts;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit finetune runs/NAME --period 32 --steps N --out runs/NEW</c>: fine-tunes a copy on
/// another task and reports what carried over (head roles, composition, verdicts before and after).</summary>
public static class FinetuneCommand
{
    public static Command Create()
    {
        var run = new Argument<string>("run") { Description = "source run directory" };
        var task = new TaskOptions();
        var steps = new Option<int>("--steps") { Description = "fine-tuning steps", DefaultValueFactory = _ => 500 };
        var lr = new Option<double?>("--lr") { Description = "learning rate (default: the source run's)" };
        var output = new Option<string?>("--out") { Description = "new run directory, e.g. runs/NEW" };
        var seed = new Option<long?>("--seed") { Description = "random seed of the fine-tune (data order, dropout; default: the source run's)" };
        var threads = new Option<int?>("--threads") { Description = "CPU threads (default: the source run's)" };
        var command = new Command("finetune", "Fine-tune a copy of a run on another task; before/after report of heads, composition and verdicts.");
        command.Arguments.Add(run);
        task.AddTo(command);
        command.Options.Add(steps);
        command.Options.Add(lr);
        command.Options.Add(output);
        command.Options.Add(seed);
        command.Options.Add(threads);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var source = RunDirectory.Open(r.GetValue(run)!);
            var outPath = r.GetValue(output) ?? throw new ToolkitException("no run directory given for the fine-tuned copy", "add --out runs/NEW");
            var spec = task.Read(r, source.ReadConfig().Task);
            var progress = new ProgressReporter("finetune");
            var report = Exaptation.FineTune(source.Path, spec, r.GetValue(steps), outPath, r.GetValue(lr), progress,
                seed: r.GetValue(seed), threads: r.GetValue(threads));
            progress.Finish();
            var text = report.Render();
            Console.Write(text);
            var html = new HtmlReport($"Fine-tuning {source.Path} → {outPath}");
            html.AddHeading("What carried over");
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries)) html.AddParagraph(line);
            html.AddTable("Head scores before and after", new[] { "head", "prev before", "prev after", "ind before", "ind after" },
                report.HeadsBefore.Heads.Zip(report.HeadsAfter.Heads, (b, a) => (IReadOnlyList<string>)new[]
                    { b.Name, $"{b.PreviousToken:F2}", $"{a.PreviousToken:F2}", $"{b.Induction:F2}", $"{a.Induction:F2}" }));
            foreach (var (label, before, after) in new[] { ("original task", report.OriginalBefore, report.OriginalAfter), ("new task", report.NewBefore, report.NewAfter) })
                html.AddTable($"Verdicts on the {label}", new[] { "set", "accuracy before", "accuracy after" },
                    new[] { (IReadOnlyList<string>)new[] { "in-distribution", $"{before.InDistribution.Accuracy:P1}", $"{after.InDistribution.Accuracy:P1}" } }
                        .Concat(before.Probes.Zip(after.Probes, (b, a) => (IReadOnlyList<string>)new[] { $"{b.Name} ({(b.Kind.IsInside ? "inside" : "outside")})", $"{b.Eval.Accuracy:P1}", $"{a.Eval.Accuracy:P1}" })));
            var path = Path.Combine(outPath, "finetune-report.html");
            html.Save(path);
            Console.WriteLine($"wrote {path}");
            return 0;
        }));
        return command;
    }
}
