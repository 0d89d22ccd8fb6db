using System.CommandLine;
using Toolkit.Reports;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit report runs/A [runs/B ...] [--out file.html]</c>: the HTML report of one run, or a comparison.</summary>
public static class ReportCommand
{
    /// <summary>Creates the <c>report</c> command: one run writes runs/A/report.html, several write a comparison page.</summary>
    public static Command Create()
    {
        var runs = new Argument<string[]>("runs") { Description = "Run directories (runs/<name>)", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string?>("--out") { Description = "Output HTML file (default: <run>/report.html, or comparison.html in the folder holding the runs)" };
        var command = new Command("report", "Write an offline HTML report of a run, or compare several runs") { runs, output };
        command.SetAction(parseResult => Execute(parseResult.GetValue(runs) ?? [], parseResult.GetValue(output), Console.Out, Console.Error));
        return command;
    }

    /// <summary>Writes the report(s); returns 0, or 2 after printing <c>error:</c> and <c>hint:</c> lines.</summary>
    public static int Execute(IReadOnlyList<string> runDirs, string? outPath, TextWriter output, TextWriter error)
    {
        try
        {
            foreach (var dir in runDirs)
            {
                Toolkit.Runs.RunDirectory.CheckPath(dir);
                // A trained run's metrics.csv is checked first, so damage is named by line with the command that repairs it.
                if (File.Exists(Path.Combine(dir, "config.json")) && Directory.Exists(Path.Combine(dir, "checkpoints")))
                {
                    var run = Toolkit.Runs.RunDirectory.Open(dir);
                    run.ReadMetrics(run.ReadConfig());
                }
            }
            string written;
            if (runDirs.Count == 1 && outPath is null) written = RunReport.Write(runDirs[0]);
            else if (runDirs.Count == 1)
            {
                RunReport.Build(RunData.Read(runDirs[0])).Save(outPath!);
                written = outPath!;
            }
            else written = RunReport.Compare(runDirs, outPath ?? DefaultComparisonPath(runDirs));
            output.WriteLine($"wrote {written}");
            return 0;
        }
        catch (ToolkitException ex) // ReportException included
        {
            error.WriteLine($"error: {ex.Message}");
            error.WriteLine($"hint: {ex.Hint}");
            return 2;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: cannot write the report: {ex.Message}");
            error.WriteLine("hint: check that the output folder exists and is writable, or choose another with --out");
            return 2;
        }
    }

    /// <summary>comparison.html beside the runs (in the folder holding all of them; the current folder when they share none).</summary>
    private static string DefaultComparisonPath(IReadOnlyList<string> runDirs)
    {
        var parents = runDirs.Select(d => Path.GetDirectoryName(Path.GetFullPath(d.TrimEnd('/', '\\'))) ?? "").Distinct().ToList();
        return parents.Count == 1 && parents[0] != "" ? Path.Combine(parents[0], "comparison.html") : "comparison.html";
    }
}
