using NUnit.Framework;
using Toolkit.Analysis;
using Toolkit.Cli.Commands;
using Toolkit.Runs;
using Toolkit.Training;
using Toolkit.Verdicts;

namespace Toolkit.Tests.Analysis;

/// <summary><c>toolkit analyze</c> on a run holding the hand-built induction model, and the benchmark.</summary>
[TestFixture]
public class AnalyzeCommandTests
{
    [Test]
    public void AnalyzePrintsTheCircuitAndWritesCsvs()
    {
        var root = Path.Combine(Path.GetTempPath(), "toolkit-analyze-" + Guid.NewGuid().ToString("N"));
        var run = Path.Combine(root, "hand");
        var output = Path.Combine(root, "out");
        var stdout = Console.Out;
        try
        {
            var config = new RunConfig
            {
                Model = InductionModel.Model.Config,
                Training = new TrainingConfig { Seed = 5 },
                Task = TaskSpec.Of(InductionModel.Task),
            };
            Directory.CreateDirectory(run);
            File.WriteAllText(Path.Combine(run, "config.json"), config.ToJson());
            Checkpoint.Save(Path.Combine(run, "checkpoints", Checkpoint.FolderName(0)), config, InductionModel.Model, null, new Checkpoint.State());

            using var writer = new StringWriter();
            Console.SetOut(writer);
            var code = AnalyzeCommand.Create().Parse(new[] { run, "--out", output, "--device", "cpu" }).Invoke();
            Console.SetOut(stdout);
            var text = writer.ToString();
            TestContext.Out.WriteLine(text);
            Assert.That(code, Is.EqualTo(0), text);
            Assert.That(text, Does.Contain("circuit: L0H2 → L1H1, K-composition 0.25"));
            Assert.That(text, Does.Contain("PreviousToken   L0H2"));
            foreach (var name in new[] { "heads.csv", "composition.csv", "ablations.csv" })
                Assert.That(File.Exists(Path.Combine(output, name)), name);

            // The data: analysis.json renders to the same text and CSVs as the analysis that wrote it.
            var saved = JsonFile.Load<AnalysisFile>(Path.Combine(output, AnalysisFile.FileName))!;
            Assert.That(saved.SchemaVersion, Is.EqualTo(AnalysisFile.CurrentSchema));
            Assert.That((saved.Seed, saved.CheckpointStep, saved.Sequences), Is.EqualTo((5L, 0, 64)));
            Assert.That(text, Does.Contain(saved.Analysis.Render()));
            var again = Path.Combine(root, "again");
            foreach (var csv in saved.Analysis.WriteCsv(again))
                Assert.That(File.ReadAllText(csv), Is.EqualTo(File.ReadAllText(Path.Combine(output, Path.GetFileName(csv)))), csv);
            Assert.That(AnalysisFile.Read(run, 0), Is.Null, "--out elsewhere leaves the run's own analysis folder alone");

            // The library call notebooks use analyses the same way and saves into the run; its HTML view shows the heads,
            // the circuit and each head's ablation beside the clean model.
            var fromLibrary = AnalysisFile.Analyze(run);
            Assert.That(fromLibrary.Analysis.Render().Split('\n').SkipLast(2), Is.EqualTo(saved.Analysis.Render().Split('\n').SkipLast(2)),
                "the same analysis but for its elapsed time");
            Assert.That(AnalysisFile.Read(run, 0), Is.Not.Null);
            var html = AnalysisView.Html(fromLibrary);
            Assert.That(html, Does.Contain("head scores on an unseen period").And.Contain("L0H2 → L1H1, K-composition 0.25")
                .And.Contain("zero ablation").And.Contain("<td>L1H1</td>"));
        }
        finally
        {
            Console.SetOut(stdout);
            if (Directory.Exists(root)) Directory.Delete(root, true);
        }
    }

    [Test]
    public void AnalyzeOfAMissingRunFailsWithAHint()
    {
        var stderr = Console.Error;
        using var writer = new StringWriter();
        Console.SetError(writer);
        try
        {
            var code = AnalyzeCommand.Create().Parse(new[] { Path.Combine(Path.GetTempPath(), "no-such-run-" + Guid.NewGuid().ToString("N")) }).Invoke();
            Assert.That(code, Is.EqualTo(2));
            Assert.That(writer.ToString(), Does.Contain("error: no run at").And.Contain("hint:"));
        }
        finally { Console.SetError(stderr); }
    }

    [Test]
    public void BenchmarkRunsInSeconds()
    {
        var seconds = AnalysisBenchmark.Run(64, 64);
        TestContext.Out.WriteLine($"analysis benchmark: {seconds:0.000} s");
        // The target (< 2 s) is for `toolkit bench analysis` on an idle machine; here it only must finish.
        Assert.That(seconds, Is.GreaterThan(0).And.LessThan(120));
    }
}
