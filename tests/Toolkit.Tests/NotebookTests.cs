using System.Diagnostics;
using System.Text.Json;

namespace Toolkit.Tests;

/// <summary>The notebooks in notebooks/ run headlessly (dotnet-repl, which ./toolkit test installs into .toolkit/tools)
/// against the packages `./toolkit pack` puts in .toolkit/feed, and show the toolkit's results through its display
/// formatters: the verdict as HTML with its deciding probes, the head table.</summary>
[TestFixture]
public class NotebookTests
{
    private static string Runner => Path.Combine(Repository.Root(), ".toolkit", "tools", "dotnet-repl");
    private static string Feed => Path.Combine(Repository.Root(), ".toolkit", "feed");

    /// <summary>Every output of every code cell, as text, after running the notebook; fails on a cell error.</summary>
    private static List<string> RunNotebook(string name, TimeSpan timeout)
    {
        if (!File.Exists(Runner)) Assert.Inconclusive($"dotnet-repl is not installed in {Runner}; ./toolkit test installs it");
        if (!Directory.Exists(Feed) || Directory.GetFiles(Feed, "Toolkit.Core.*.nupkg").Length == 0)
            Assert.Inconclusive($"no packages in {Feed}; run ./toolkit pack");
        var outDir = Directory.CreateTempSubdirectory("toolkit-notebook-").FullName;
        try
        {
            var output = Path.Combine(outDir, name);
            var start = new ProcessStartInfo(Runner)
            {
                WorkingDirectory = Path.Combine(Repository.Root(), "notebooks"),
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in new[] { "--run", name, "--exit-after-run", "--output-path", output }) start.ArgumentList.Add(a);
            start.Environment["TOOLKIT_NOTEBOOK_STEPS"] = "30"; // seconds, not minutes: the test checks the plumbing, not the science
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            Assert.That(process.WaitForExit(timeout), Is.True, $"{name} did not finish in {timeout}");
            Assert.That(File.Exists(output), Is.True, $"no output notebook; exit {process.ExitCode}\nstdout:\n{stdout.Result}\nstderr:\n{stderr.Result}");
            using var document = JsonDocument.Parse(File.ReadAllText(output));
            var texts = new List<string>();
            foreach (var cell in document.RootElement.GetProperty("cells").EnumerateArray())
            {
                if (cell.GetProperty("cell_type").GetString() != "code") continue;
                foreach (var o in cell.GetProperty("outputs").EnumerateArray())
                {
                    var raw = o.GetRawText();
                    Assert.That(o.GetProperty("output_type").GetString(), Is.Not.EqualTo("error"), $"a cell failed: {raw}");
                    Assert.That(raw, Does.Not.Contain("TypeInitializationException").And.Not.Contain("GLIBCXX"), raw);
                    texts.Add(raw);
                }
            }
            return texts;
        }
        finally
        {
            try { Directory.Delete(outDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [Test]
    public void The_demo_notebook_shows_both_verdicts_the_heads_and_their_attention()
    {
        var outputs = RunNotebook("demo.ipynb", TimeSpan.FromMinutes(6));
        var verdicts = outputs.Where(o => o.Contains("toolkit-verdict")).ToList();
        Assert.That(verdicts, Has.Count.EqualTo(2), "both verdicts render through the HTML formatter:\n" + string.Join("\n", outputs));
        Assert.That(verdicts, Has.All.Contain("Verdict: ").And.All.Contain("position-only"));
        Assert.That(outputs, Has.Some.Contain("head scores on an unseen period"), "the head table renders through its formatter");
        Assert.That(outputs, Has.Some.Contain("toolkit-attention"), "the attention view renders through its formatter, as in reports");
        Assert.That(outputs, Has.Some.Contain("analysis of checkpoint step").And.Some.Contain("zero ablation"), "the saved analysis renders through its formatter");
    }

    [Test]
    public void The_circuit_notebook_shows_patching_and_the_acdc_circuit()
    {
        var outputs = RunNotebook("circuit.ipynb", TimeSpan.FromMinutes(6));
        Assert.That(outputs, Has.Some.Contain("head scores on an unseen period"));
        Assert.That(outputs, Has.Some.Contain("L1H0"), "the patching table names every head");
        Assert.That(outputs, Has.Some.Contain("ACDC circuit on 16 sequences").And.Some.Contain("faithfulness"));
    }
}
