using Toolkit.Analysis;
using Toolkit.Reports;
using Toolkit.Runs;
using Toolkit.Training;

namespace Toolkit.Tests.Analysis;

/// <summary><c>toolkit patch</c> and <c>toolkit circuit</c> on a run holding the hand-built induction model, and the report section they feed.</summary>
[TestFixture]
public class PatchCircuitCommandTests
{
    private string root = "";
    private string run = "";

    [OneTimeSetUp]
    public void SaveHandBuiltRun()
    {
        root = Path.Combine(Path.GetTempPath(), "toolkit-circuit-" + Guid.NewGuid().ToString("N"));
        run = Path.Combine(root, "hand");
        var config = new RunConfig { Model = InductionModel.Model.Config, Training = new TrainingConfig { Seed = 5 }, Task = TaskSpec.Of(InductionModel.Task) };
        Directory.CreateDirectory(run);
        File.WriteAllText(Path.Combine(run, "config.json"), config.ToJson());
        Checkpoint.Save(Path.Combine(run, "checkpoints", Checkpoint.FolderName(0)), config, InductionModel.Model, null, new Checkpoint.State());
    }

    [OneTimeTearDown]
    public void Remove() { if (Directory.Exists(root)) Directory.Delete(root, true); }

    [Test]
    public void Patch_prints_the_head_grid_and_the_path_and_the_report_draws_them()
    {
        var (code, text, err) = CliRunner.InProcess("patch", run, "--sequences", "8", "--path", "L0H2", "L1H1", "--through", "k", "--device", "cpu");
        TestContext.Out.WriteLine(text + err);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(text, Does.Contain("head outputs"));
        Assert.That(text, Does.Contain("path L0H2 → L1H1.K: damage"));
        var saved = JsonFile.Load<PatchingRecord>(PatchingFiles.PatchingPath(run))!;
        Assert.That(saved.Heads[1][1], Is.GreaterThan(0.9));
        Assert.That(saved.ResidPre, Has.Length.EqualTo(2));
        Assert.That(saved.ResidPre[0], Has.Length.EqualTo(InductionModel.Context));

        var report = new HtmlReport("t");
        Assert.That(AnalysisSection.Add(report, run), Is.True);
        Assert.That(report.ChartCount, Is.GreaterThanOrEqualTo(2));
        var html = report.ToHtml();
        Assert.That(html.Contains("Activation patching") && html.Contains("L0H2 → L1H1.K"), Is.True, "the patching section and its path table");
    }

    [Test]
    public void Circuit_prints_the_edges_and_faithfulness_and_the_report_draws_the_graph()
    {
        var (code, text, err) = CliRunner.InProcess("circuit", run, "--sequences", "8", "--device", "cpu");
        TestContext.Out.WriteLine(text + err);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(text, Does.Contain("L0H2 → L1H1.K").And.Contain("faithfulness 100.0"));
        var saved = JsonFile.Load<CircuitRecord>(PatchingFiles.CircuitPath(run))!;
        Assert.That(saved.Edges.Select(e => $"{e.Sender}>{e.Receiver}.{e.Input}"), Does.Contain("L0H2>L1H1.K"));

        var (eapCode, eapText, eapErr) = CliRunner.InProcess("circuit", run, "--sequences", "8", "--method", "eap", "--threshold", "0.1", "--device", "cpu", "--no-report");
        Assert.That(eapCode, Is.EqualTo(0), eapErr);
        Assert.That(eapText, Does.Contain("EAP circuit").And.Contain("L1H1 → logits"));

        var report = new HtmlReport("t");
        AnalysisSection.Add(report, run);
        var html = report.ToHtml();
        Assert.That(report.ChartCount, Is.EqualTo(1), "the node-edge diagram");
        Assert.That(html.Contains("Circuit (EAP)") && html.Contains("L1H1 → logits"), Is.True, "the circuit section and its edge table");

        // The file carries its layout version: one written before versions reads as the first layout, another is refused by name.
        var path = PatchingFiles.CircuitPath(run);
        var json = File.ReadAllText(path);
        Assert.That(json, Does.Contain($"\"SchemaVersion\": {PatchingFiles.CurrentSchema}"));
        File.WriteAllText(path, System.Text.RegularExpressions.Regex.Replace(json, @",\s*""SchemaVersion"": \d+", ""));
        Assert.That(PatchingFiles.Read<CircuitRecord>(path, r => r.SchemaVersion, "toolkit circuit")!.SchemaVersion, Is.EqualTo(1));
        File.WriteAllText(path, json.Replace($"\"SchemaVersion\": {PatchingFiles.CurrentSchema}", "\"SchemaVersion\": 99"));
        var ex = Assert.Throws<ToolkitException>(() => AnalysisSection.Add(new HtmlReport("t"), run));
        Assert.That(ex!.Message, Does.Contain("layout version 99"));
        Assert.That(ex.Hint, Does.Contain($"toolkit circuit {run}"));
        File.WriteAllText(path, json);
    }

    [Test]
    public void Explicit_clean_and_corrupted_tokens_are_patched()
    {
        // Period 8: the last token (5) follows the earlier 4; the corruption changes what followed the earlier 4.
        var clean = "1 2 3 4 5 6 7 8 1 2 3 4 5";
        var corrupt = "1 2 3 4 9 6 7 8 1 2 3 4 5";
        var (code, text, err) = CliRunner.InProcess("patch", run, "--clean", clean, "--corrupt", corrupt, "--device", "cpu", "--no-report");
        TestContext.Out.WriteLine(text + err);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(text, Does.Contain("explicit clean and corrupted tokens"));
        var saved = JsonFile.Load<PatchingRecord>(PatchingFiles.PatchingPath(run))!;
        Assert.That(saved.Heads[1][1], Is.EqualTo(1).Within(0.05));
        Assert.That(saved.ResidPre[1][4], Is.EqualTo(1).Within(0.05), "the clean residual where the answer was copied from restores it");
    }

    [Test]
    public void Bad_options_are_one_line_errors()
    {
        CliRunner.AssertTwoLineError(CliRunner.InProcess("patch", run, "--through", "k", "--device", "cpu").Err, "--through needs --path");
        CliRunner.AssertTwoLineError(CliRunner.InProcess("patch", run, "--clean", "1 2 3", "--device", "cpu").Err, "--clean and --corrupt go together");
        CliRunner.AssertTwoLineError(CliRunner.InProcess("patch", run, "--clean", "1 2 99", "--corrupt", "1 2 3", "--device", "cpu").Err, "not a token id");
        CliRunner.AssertTwoLineError(CliRunner.InProcess("patch", run, "--path", "L1H1", "L0H2", "--device", "cpu").Err, "no edge L1H1 → L0H2");
        CliRunner.AssertTwoLineError(CliRunner.InProcess("circuit", run, "--method", "magic", "--device", "cpu").Err, "--method 'magic'");
        CliRunner.AssertTwoLineError(CliRunner.InProcess("circuit", run, "--threshold", "-1", "--device", "cpu").Err, "--threshold -1");
        CliRunner.AssertTwoLineError(CliRunner.InProcess("circuit", run, "--task", "set-extraction", "--device", "cpu").Err, "has no built-in corruption");
    }
}
