using System.CommandLine;
using Toolkit.Analysis;
using Toolkit.Runs;
using Toolkit.Verdicts;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit analyze runs/NAME [--out dir]</c>: head roles, the circuit found by
/// composition, copying scores and per-head ablation effects; saves them as analysis.json (the data) with heads.csv,
/// composition.csv and ablations.csv (views of it).</summary>
public static class AnalyzeCommand
{
    public static Command Create()
    {
        var run = new RunInput();
        var output = new Option<string?>("--out") { Description = "folder for analysis.json, heads.csv, composition.csv, ablations.csv (default: RUN/analysis)" };
        var threshold = new Option<double>("--threshold") { Description = "score above which a head is named", DefaultValueFactory = _ => HeadScoreTable.DefaultThreshold };
        var sequences = new Option<int>("--sequences") { Description = "task sequences used for the ablations", DefaultValueFactory = _ => 64 };
        var command = new Command("analyze", "Find head roles, the circuit (composition), copying scores and ablation effects of a run.");
        run.AddTo(command);
        command.Options.Add(output);
        command.Options.Add(threshold);
        command.Options.Add(sequences);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var opened = run.Open(r);
            var (dir, config) = (opened.Directory, opened.Config);
            if (r.GetValue(sequences) < 1)
                throw new ToolkitException($"--sequences {r.GetValue(sequences)} must be at least 1", "use --sequences 64, for example");
            using var model = opened.LoadModel();
            var (file, dynamics) = AnalysisFile.Analyze(dir, config, model, r.GetValue(sequences), r.GetValue(threshold));
            var report = file.Analysis;
            Console.Write(report.Render());
            Console.WriteLine(dynamics.HasMetrics
                ? $"training: {dynamics}"
                : "training: no metrics.csv (the run was not trained by toolkit), so no phase change to report");
            var folder = r.GetValue(output) ?? Path.Combine(dir.Path, "analysis");
            try
            {
                Console.WriteLine($"wrote {file.SaveIn(folder)}");
                foreach (var path in report.WriteCsv(folder)) Console.WriteLine($"wrote {path}");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new ToolkitException($"cannot write the analysis to {folder}: {e.Message}", "choose a writable folder with --out");
            }
            return 0;
        }));
        return command;
    }
}
