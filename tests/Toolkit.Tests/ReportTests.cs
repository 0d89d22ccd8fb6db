using System.Text.RegularExpressions;
using Deedle;
using NUnit.Framework;
using Toolkit.Cli.Commands;
using Toolkit.Reports;

namespace Toolkit.Tests;

/// <summary>HTML reports, CSV frames and the report command, on fake run directories.</summary>
[TestFixture]
public class ReportTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("toolkit-report-").FullName;

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Test]
    public void Plotly_js_comes_from_the_Plotly_NET_package()
    {
        Assert.That(PlotlyJs.Version, Does.Match(@"^\d+\.\d+\.\d+$"));
        Assert.That(PlotlyJs.Source.Length, Is.GreaterThan(1_000_000));
        Assert.That(PlotlyJs.Source, Does.Contain("plotly.js v" + PlotlyJs.Version));
    }

    [Test]
    public void Report_is_self_contained()
    {
        var report = new HtmlReport("t");
        report.AddLineChart("c", "x", "y", [("s", new[] { 1.0, 2 }, new[] { 3.0, 4 })]);
        var full = report.ToHtml();
        Assert.That(full.Contains(PlotlyJs.Source, StringComparison.Ordinal), "plotly.js is inlined");
        // plotly.js itself names URLs (e.g. topojson for geo maps, unused here); the page around it must name none.
        var html = WithoutPlotly(full);
        Assert.That(html, Does.Not.Contain("<script src"), "no external scripts");
        Assert.That(html, Does.Not.Contain("http:").And.Not.Contain("https:"));
        Assert.That(report.ChartCount, Is.EqualTo(1));
    }

    [Test]
    public void Text_and_data_cannot_break_out_of_the_page()
    {
        var report = new HtmlReport("<b>title</b>");
        report.AddParagraph("a < b & c");
        report.AddTable("cap", ["k"], [["</td><script>alert(1)</script>"]]);
        report.AddLineChart("</script><script>alert(2)</script>", "x", "y", [("s", new[] { 1.0 }, new[] { double.NaN })]);
        var html = WithoutPlotly(report.ToHtml());
        Assert.That(html, Does.Contain("&lt;b&gt;title&lt;/b&gt;").And.Contain("a &lt; b &amp; c"));
        Assert.That(html, Does.Not.Contain("alert(1)</script>").And.Not.Contain("</script><script>alert(2)"));
        Assert.That(html, Does.Contain("\"y\":[null]"), "NaN is written as a gap");
    }

    [Test]
    public void Heatmap_checks_its_shape()
    {
        var report = new HtmlReport("t");
        Assert.Throws<ArgumentException>(() => report.AddHeatmap("h", new double[2, 3], ["a", "b"], ["r0", "r1"]));
        report.AddHeatmap("h", new double[2, 3], ["a", "b", "c"], ["r0", "r1"], 0, 1);
        report.AddBarChart("b", "x", "y", ["p", "q"], [("s", new[] { 1.0, 2 })]);
        Assert.That(report.ChartCount, Is.EqualTo(2));
    }

    [Test]
    public void Save_is_atomic_and_leaves_no_temporary_file()
    {
        var path = Path.Combine(_dir, "sub", "r.html");
        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.GetDirectoryName(path)!).FullName, "r.html"), "old");
        new HtmlReport("t").Save(path);
        Assert.That(File.ReadAllText(path)[..15], Is.EqualTo("<!DOCTYPE html>"));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Has.Length.EqualTo(1));
    }

    [Test]
    public void CsvFrame_reads_metrics_with_empty_evaluation_cells()
    {
        var run = FakeRuns.Create(_dir, "A");
        var frame = CsvFrame.Read(Path.Combine(run, "metrics.csv"));
        Assert.That(frame.RowCount, Is.EqualTo(101));
        var (steps, evalLoss) = CsvFrame.Pairs(frame, "step", "eval_loss");
        Assert.That(evalLoss, Has.Length.EqualTo(21));
        Assert.That(steps.Take(3), Is.EqualTo(new[] { 0.0, 50, 100 }));
        Assert.That(CsvFrame.Column(frame, "no_such_column").All(double.IsNaN));
    }

    [Test]
    public void CsvFrame_round_trips()
    {
        var frame = Frame.FromColumns(new Dictionary<string, Series<int, double>>
        {
            ["step"] = new SeriesBuilder<int, double> { { 0, 0 }, { 1, 10 } }.Series,
            ["loss"] = new SeriesBuilder<int, double> { { 0, 2.5 }, { 1, 0.125 } }.Series,
        });
        var path = Path.Combine(_dir, "f.csv");
        CsvFrame.Write(frame, path);
        Assert.That(File.ReadAllLines(path)[0], Is.EqualTo("step,loss"));
        Assert.That(CsvFrame.Pairs(CsvFrame.Read(path), "step", "loss").Y, Is.EqualTo(new[] { 2.5, 0.125 }));
    }

    [Test]
    public void Run_report_has_curves_head_scores_and_config()
    {
        var run = FakeRuns.Create(_dir, "A");
        var path = RunReport.Write(run);
        Assert.That(path, Is.EqualTo(Path.Combine(run, "report.html")));
        var html = WithoutPlotly(File.ReadAllText(path));
        Assert.That(Regex.Matches(html, "<div class=\"plot\"").Count, Is.EqualTo(FakeRuns.ChartsPerRunReport));
        Assert.That(html, Does.Contain("induction score per head over training").And.Contain("\"name\":\"L1H0\""));
        Assert.That(html, Does.Contain("previous-token").And.Contain("duplicate-token"));
        Assert.That(html, Does.Contain("<td>model.n_layers</td><td>2</td>").And.Contain("<td>task.periods</td><td>[4, 8]</td>"));
        Assert.That(html, Does.Contain("\"type\":\"log\""), "loss on a log axis");
    }

    [Test]
    public void The_phase_change_is_marked_on_the_loss_and_accuracy_charts()
    {
        var html = WithoutPlotly(File.ReadAllText(RunReport.Write(FakeRuns.Create(_dir, "A", phaseChange: 400))));
        var step = Regex.Match(html, "phase change, step (\\d+)");
        Assert.That(step.Success, "a labelled marker");
        Assert.That(int.Parse(step.Groups[1].Value), Is.InRange(380, 420), "at the drop FakeRuns put at step 400");
        Assert.That(Regex.Matches(html, "\"shapes\":\\[\\{\"type\":\"line\"").Count, Is.EqualTo(2), "on the loss and accuracy charts");
        var flat = WithoutPlotly(File.ReadAllText(RunReport.Write(FakeRuns.Create(_dir, "B", phaseChange: 5000))));
        Assert.That(flat, Does.Contain("no phase change detected").And.Not.Contain("\"shapes\""));
    }

    [Test]
    public void A_sweeps_reports_share_one_plotly_and_a_lone_run_inlines_it()
    {
        var sweep = Directory.CreateDirectory(Path.Combine(_dir, "sweep")).FullName;
        File.WriteAllText(Path.Combine(sweep, Toolkit.Sweeps.SweepPlan.FileName), "{}");
        var a = File.ReadAllText(RunReport.Write(FakeRuns.Create(sweep, "a")));
        var b = File.ReadAllText(RunReport.Write(FakeRuns.Create(sweep, "b")));
        var asset = $"plotly-{PlotlyJs.Version}.min.js";
        Assert.That(File.ReadAllText(Path.Combine(sweep, asset)), Is.EqualTo(PlotlyJs.Source), "written once, in the sweep's folder");
        foreach (var page in new[] { a, b })
        {
            Assert.That(page, Does.Contain($"<script src=\"../{asset}\""));
            Assert.That(page.Length, Is.LessThan(PlotlyJs.Source.Length / 10), "no inlined copy");
        }
        var alone = File.ReadAllText(RunReport.Write(FakeRuns.Create(_dir, "alone")));
        Assert.That(alone, Does.Contain(PlotlyJs.Source).And.Not.Contain("<script src"), "a run outside a sweep stands alone");
        Assert.That(new HtmlReport("no charts").AddParagraph("x").ToHtml(), Does.Not.Contain("plotly"), "a page without charts carries no plotly.js");
    }

    [Test]
    public void The_attention_view_embeds_every_head_and_keeps_tokens_out_of_its_script()
    {
        var pattern = new double[,] { { 1, 0, 0 }, { 0.5, 0.5, 0 }, { 0.2, 0.3, 0.5 } };
        var html = Toolkit.Analysis.AttentionView.Html(["a", "</script><b>", "c"],
            [new("L0H0", pattern), new("L1H1 (induction 0.90)", pattern)]);
        Assert.That(Regex.Matches(html, "<option value=").Count, Is.EqualTo(2));
        Assert.That(html, Does.Contain("&lt;/script&gt;&lt;b&gt;"), "token text is encoded in the token row");
        Assert.That(Regex.Matches(html, "</script>").Count, Is.EqualTo(2), "only the data and behaviour scripts close");
        Assert.Throws<ArgumentException>(() => Toolkit.Analysis.AttentionView.Html(["a", "b"], [new("L0H0", pattern)]));
    }

    [Test]
    public void Run_without_head_scores_or_config_still_reports()
    {
        var run = Directory.CreateDirectory(Path.Combine(_dir, "plain")).FullName;
        File.WriteAllText(Path.Combine(run, "metrics.csv"), "step,lr,train_loss,eval_loss,eval_accuracy\n0,0.1,2,,\n10,0.05,1,1.2,0.5\n");
        var html = WithoutPlotly(File.ReadAllText(RunReport.Write(run)));
        Assert.That(Regex.Matches(html, "<div class=\"plot\"").Count, Is.EqualTo(3), "loss, accuracy, varying lr");
        Assert.That(html, Does.Contain("No config.json"));
    }

    [Test]
    public void Compare_overlays_runs_and_puts_configs_in_columns()
    {
        var a = FakeRuns.Create(_dir, "A", seed: 1);
        var b = FakeRuns.Create(_dir, "B", phaseChange: 600, seed: 2);
        var output = Path.Combine(_dir, "cmp.html");
        RunReport.Compare([a, b], output);
        var html = WithoutPlotly(File.ReadAllText(output));
        Assert.That(html, Does.Contain("\"name\":\"A train loss\"").And.Contain("\"name\":\"B train loss\""));
        Assert.That(html, Does.Contain("\"name\":\"B L1H0\""));
        Assert.That(html, Does.Contain("<th>A</th><th>B</th>"));
        Assert.That(html, Does.Contain("<td>≠</td><td>training.seed</td><td>1</td><td>2</td>"));
        Assert.That(html, Does.Contain("<td></td><td>model.n_layers</td><td>2</td><td>2</td>"));
    }

    [Test]
    public void Missing_run_directory_is_a_typed_error_with_a_hint()
    {
        var ex = Assert.Throws<ReportException>(() => RunReport.Write(Path.Combine(_dir, "missing")));
        Assert.That(ex!.Message, Does.Contain("run directory not found"));
        Assert.That(ex.Hint, Is.Not.Empty);
    }

    [Test]
    public void Report_command_writes_one_or_compares_several()
    {
        var a = FakeRuns.Create(_dir, "A");
        var b = FakeRuns.Create(_dir, "B", seed: 2);
        var (output, error) = (new StringWriter(), new StringWriter());
        Assert.That(ReportCommand.Execute([a], null, output, error), Is.EqualTo(0));
        Assert.That(File.Exists(Path.Combine(a, "report.html")));
        var cmp = Path.Combine(_dir, "cmp.html");
        Assert.That(ReportCommand.Execute([a, b], cmp, output, error), Is.EqualTo(0));
        Assert.That(File.Exists(cmp));
        Assert.That(error.ToString(), Is.Empty);
    }

    [Test]
    public void Report_command_on_a_missing_directory_prints_error_and_hint_and_returns_2()
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = ReportCommand.Execute([Path.Combine(_dir, "nope")], null, output, error);
        Assert.That(code, Is.EqualTo(2));
        var lines = error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.StartWith("error: run directory not found"));
        Assert.That(lines[1], Does.StartWith("hint: "));
    }

    [Test]
    public void Report_command_parses_runs_and_out()
    {
        var a = FakeRuns.Create(_dir, "A");
        var output = Path.Combine(_dir, "one.html");
        var root = new System.CommandLine.RootCommand { ReportCommand.Create() };
        var oldOut = Console.Out;
        Console.SetOut(new StringWriter());
        try { Assert.That(root.Parse(["report", a, "--out", output]).Invoke(), Is.EqualTo(0)); }
        finally { Console.SetOut(oldOut); }
        Assert.That(File.Exists(output));
    }

    /// <summary>The page without the 3.6 MB plotly.js source, so assertion failures stay readable.</summary>
    private static string WithoutPlotly(string html) => html.Replace(PlotlyJs.Source, "/* plotly.js */", StringComparison.Ordinal);
}
