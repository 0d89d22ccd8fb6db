using System.Text.RegularExpressions;
using Toolkit.Reports;
using Toolkit.Runs;
using Toolkit.Verdicts;

namespace Toolkit.Tests;

/// <summary>Results as data (issue 23 §1): <c>RUN/analysis/verdict.json</c> round-trips to the same renderings, and a run
/// report opens with the saved verdict and draws the model's inside from <c>inside.json</c>, redrawing both without
/// computing again.</summary>
[NonParallelizable]
public class VerdictFileTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("toolkit-verdict-file-").FullName;

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>A copy of the shared variable-period run, so files written into it stay in this test.</summary>
    private string TrainedCopy()
    {
        var copy = Path.Combine(_dir, "variable");
        RunFixtures.Copy(TrainedModels.Get(TrainedModels.VariablePeriod).Run.Path, copy);
        var analysis = Path.Combine(copy, "analysis");
        if (Directory.Exists(analysis)) Directory.Delete(analysis, recursive: true);
        return copy;
    }

    [Test]
    public void A_saved_verdict_renders_exactly_as_the_computed_one_and_only_for_its_checkpoint()
    {
        var run = TrainedCopy();
        var outcome = SeedStudy.Judge(run);
        VerdictFile.Save(outcome);
        var saved = VerdictFile.Read(run, outcome.CheckpointStep);
        Assert.That(saved, Is.Not.Null);
        var computed = VerdictResult.Of(outcome.Verdict);
        Assert.That(VerdictView.Html(saved!.Verdict), Is.EqualTo(VerdictView.Html(computed)));
        Assert.That(VerdictView.Text(saved.Verdict), Is.EqualTo(outcome.Verdict.Render()));
        Assert.That(VerdictView.CsvRows(saved.Verdict), Is.EqualTo(VerdictView.CsvRows(computed)));
        Assert.That(saved.PhaseChange, Is.EqualTo(outcome.Dynamics.Phase));
        Assert.That(VerdictFile.Read(run, outcome.CheckpointStep + 1), Is.Null, "a run trained further is judged again");
        File.WriteAllText(VerdictFile.PathOf(run), File.ReadAllText(VerdictFile.PathOf(run)).Replace($"\"SchemaVersion\": {VerdictFile.CurrentSchema}", "\"SchemaVersion\": 99"));
        Assert.That(VerdictFile.Read(run, outcome.CheckpointStep), Is.Null, "another schema is judged again");
    }

    [Test]
    public void The_report_opens_with_the_verdict_and_redraws_the_saved_one_without_judging()
    {
        var run = TrainedCopy();
        var html = File.ReadAllText(RunReport.Write(run));
        Assert.That(File.Exists(VerdictFile.PathOf(run)), "the report saved the verdict it had to compute");
        int At(string text) => html.IndexOf(text, StringComparison.Ordinal);
        Assert.That(At("Verdict: generalizes"), Is.GreaterThan(0));
        Assert.That(At("Verdict: generalizes"), Is.LessThan(At(">Training</h2>")), "the answer comes before the curves");
        Assert.That(At(">Training</h2>"), Is.LessThan(At(">Configuration</h2>")));
        Assert.That(html, Does.Contain("<nav class=\"toc\">"));

        // The second drawing reads the file: an edit to the saved headline shows up, so nothing was judged again.
        var path = VerdictFile.PathOf(run);
        File.WriteAllText(path, Regex.Replace(File.ReadAllText(path), "\"Headline\": \"generalizes", "\"Headline\": \"EDITED generalizes"));
        Assert.That(File.ReadAllText(RunReport.Write(run)), Does.Contain("Verdict: EDITED generalizes"));
    }

    [Test]
    public void The_report_draws_the_model_inside_from_its_saved_file_and_a_redraw_is_the_same_page()
    {
        var run = TrainedCopy();
        var first = File.ReadAllText(RunReport.Write(run));
        var path = InsideFile.PathOf(run);
        Assert.That(File.Exists(path), "the report saved what it computed of the model");
        Assert.That(File.ReadAllText(RunReport.Write(run)), Is.EqualTo(first), "redrawn from the saved files");

        // An edit to a saved head label shows up: the attention view was drawn from the file, not from the model.
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"Label\": \"L", "\"Label\": \"EDITED L"));
        Assert.That(File.ReadAllText(RunReport.Write(run)), Does.Contain("EDITED L"));
        File.WriteAllText(path, File.ReadAllText(path).Replace($"\"SchemaVersion\": {InsideFile.CurrentSchema}", "\"SchemaVersion\": 99"));
        Assert.That(File.ReadAllText(RunReport.Write(run)), Is.EqualTo(first), "a file of another schema is computed again");
    }

    [Test]
    public void A_comparison_leads_with_each_runs_verdict_and_is_written_beside_the_runs()
    {
        var variable = TrainedCopy();
        var fixedRun = Path.Combine(_dir, "fixed");
        RunFixtures.Copy(TrainedModels.Get(TrainedModels.FixedPeriod).Run.Path, fixedRun);
        var (code, output, error) = CliRunner.InProcess("report", fixedRun, variable);
        Assert.That(code, Is.EqualTo(0), error);
        var page = Path.Combine(_dir, "comparison.html");
        Assert.That(output, Does.Contain($"wrote {page}"), "beside the runs, not in the current folder");
        var html = File.ReadAllText(page);
        int At(string text) => html.IndexOf(text, StringComparison.Ordinal);
        Assert.That(At("<td>fixed</td><td>memorizes positions"), Is.GreaterThan(0));
        Assert.That(At("<td>variable</td><td>generalizes"), Is.GreaterThan(0));
        Assert.That(At("<td>variable</td><td>generalizes"), Is.LessThan(At(">Training</h2>")), "verdicts before the curves");
    }
}
