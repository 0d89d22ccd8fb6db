using System.CommandLine;
using Toolkit.Analysis;
using Toolkit.Runs;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit circuit runs/NAME</c>: circuit discovery over the model's edges (ACDC or EAP) on the run's task
/// with its own corruption: the kept edges with their effects and the circuit's faithfulness.</summary>
public static class CircuitCommand
{
    public static Command Create()
    {
        var run = new RunInput();
        var task = new TaskOptions();
        var method = new Option<string>("--method") { Description = "acdc (patch every edge) or eap (gradient estimate, one pass)", DefaultValueFactory = _ => "acdc" };
        var threshold = new Option<double>("--threshold") { Description = "τ: remove an edge whose patching moves the damage by less than this share of the corruption's effect", DefaultValueFactory = _ => CircuitDiscovery.DefaultThreshold };
        var metric = new Option<string>("--metric") { Description = "kl (to the full model) or logit-diff; loss also works", DefaultValueFactory = _ => "kl" };
        var sequences = new Option<int>("--sequences") { Description = "sequences of the task", DefaultValueFactory = _ => 16 };
        var clean = new Option<string?>("--clean") { Description = "clean tokens instead of the task's (with --corrupt)" };
        var corrupt = new Option<string?>("--corrupt") { Description = "corrupted tokens of the same length as --clean" };
        var noReport = new Option<bool>("--no-report") { Description = "do not rewrite RUN/report.html" };
        var command = new Command("circuit", "Find the circuit: ACDC edge pruning or edge attribution patching, with effect sizes and faithfulness.");
        run.AddTo(command);
        task.AddTo(command);
        foreach (var o in new Option[] { method, threshold, metric, sequences, clean, corrupt, noReport }) command.Options.Add(o);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var m = r.GetValue(method)!.ToLowerInvariant() switch
            {
                "acdc" => CircuitMethod.Acdc,
                "eap" => CircuitMethod.Eap,
                var other => throw new ToolkitException($"--method '{other}' is not acdc or eap", "use --method acdc or --method eap"),
            };
            var kind = PatchingMetric.Parse(r.GetValue(metric)!);
            if (kind == PatchingMetricKind.Accuracy)
                throw new ToolkitException("accuracy moves in steps too coarse to prune edges by", "use --metric kl or --metric logit-diff");
            var tau = r.GetValue(threshold);
            if (!(tau >= 0) || double.IsInfinity(tau))
                throw new ToolkitException($"--threshold {tau} is not a non-negative number", "use --threshold 0.02, for example");
            var opened = run.Open(r);
            var (dir, config) = (opened.Directory, opened.Config);
            using var model = opened.LoadModel();
            using var inputs = PatchCommand.ReadInputs(r, dir, config, task, model, r.GetValue(sequences), r.GetValue(clean), r.GetValue(corrupt));
            var result = CircuitDiscovery.Find(model, inputs, m, kind, tau);
            Console.Write(result.Render());
            using var graph = new EdgeGraph(model);
            var file = PatchingFiles.CircuitPath(dir.Path);
            JsonFile.Save(file, CircuitRecord.From(result, graph.Nodes.Select(n => n.Name).ToList()));
            Console.WriteLine($"wrote {file}");
            if (!r.GetValue(noReport)) ReportWriter.Refresh(dir);
            return 0;
        }));
        return command;
    }
}
