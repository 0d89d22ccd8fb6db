using System.Diagnostics;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Toolkit.Reports;

namespace Toolkit.Tests;

/// <summary>Opens reports in headless Chromium: every chart renders to SVG, offline, without script errors.</summary>
[TestFixture]
[NonParallelizable]
public class BrowserReportTests
{
    private const string Chromium = "/usr/bin/chromium";
    private string _dir = "";

    /// <summary>The browser is a set-up step of its own (<c>./toolkit --install-chromium</c>, which CI runs): a test
    /// installs nothing.</summary>
    [OneTimeSetUp]
    public void RequireChromium()
    {
        if (!File.Exists(Chromium))
            Assert.Inconclusive($"headless Chromium ({Chromium}) is missing; install it with: sudo ./toolkit --install-chromium");
    }

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("toolkit-browser-").FullName;

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Test]
    public void Run_report_renders_every_chart_without_errors()
    {
        var run = FakeRuns.Create(_dir, "A");
        var page = RunReport.Write(run);
        var dom = DumpDom(page);

        for (var i = 0; i < FakeRuns.ChartsPerRunReport; i++)
            Assert.That(PlotDiv(dom, i), Does.Contain("class=\"main-svg\""), $"plot-{i} has no rendered SVG");
        Assert.That(PlotDiv(dom, FakeRuns.ChartsPerRunReport), Is.Null, "no more plot divs than charts");
        Assert.That(Errors(dom), Is.Empty, "script errors on the page");

        var screenshot = Path.Combine(TestContext.CurrentContext.WorkDirectory, "report-screenshot.png");
        Chrome(page, $"--screenshot={screenshot}", "--window-size=1200,2000");
        Assert.That(new FileInfo(screenshot).Length, Is.GreaterThan(20_000), "the screenshot is not blank");
        TestContext.AddTestAttachment(screenshot, "run report, first 2000 px");
    }

    /// <summary>Issue 23 §2: at 1366×900 the verdict's headline (which cites the deciding probes with their intervals) and
    /// the top of its measurement table are visible without scrolling, and the loss chart carries the phase-change marker.</summary>
    [Test]
    public void A_trained_run_report_shows_the_verdict_above_the_fold()
    {
        var run = Path.Combine(_dir, "variable");
        RunFixtures.Copy(TrainedModels.Get(TrainedModels.VariablePeriod).Run.Path, run);
        var page = RunReport.Write(run);
        // The page measures itself once drawn: where the headline ends and the table starts, in CSS pixels from the top.
        var measured = Path.Combine(_dir, "measured.html");
        File.WriteAllText(measured, File.ReadAllText(page).Replace("</body>",
            "<script>window.addEventListener('load',function(){var v=document.querySelector('.toolkit-verdict .verdict').getBoundingClientRect();" +
            "var t=document.querySelector('.toolkit-verdict table').getBoundingClientRect();" +
            "document.body.setAttribute('data-fold',Math.round(v.bottom)+','+Math.round(t.top));" +
            // The attention view switches heads, and hovering a token colours the others.
            "var a=document.querySelector('.toolkit-attention'),s=a.querySelector('.head');s.value='1';s.dispatchEvent(new Event('change'));" +
            "a.querySelectorAll('.tok')[5].dispatchEvent(new MouseEvent('mouseenter'));" +
            "document.body.setAttribute('data-attention',a.getAttribute('data-head')+'|'+a.querySelector('.caption').textContent);});</script></body>"));
        var (code, dom, error) = Chrome(measured, "--window-size=1366,900", "--virtual-time-budget=5000", "--dump-dom");
        Assert.That(code, Is.EqualTo(0), error);
        var fold = Regex.Match(dom, "data-fold=\"(\\d+),(\\d+)\"");
        Assert.That(fold.Success, "the page measured itself");
        TestContext.Out.WriteLine($"headline ends at {fold.Groups[1].Value} px, table starts at {fold.Groups[2].Value} px");
        Assert.That(int.Parse(fold.Groups[1].Value), Is.LessThanOrEqualTo(900), "the verdict's headline is above the fold");
        Assert.That(int.Parse(fold.Groups[2].Value), Is.LessThanOrEqualTo(800), "its measurements start above the fold");
        Assert.That(Errors(dom), Is.Empty);
        Assert.That(PlotDiv(dom, 0), Does.Contain("phase change, step"), "the loss chart marks the phase change");
        var attention = Regex.Match(dom, "data-attention=\"(\\d+)\\|([^\"]*)\"");
        Assert.That(attention.Success, "the attention view ran");
        Assert.That(attention.Groups[1].Value, Is.EqualTo("1"), "the selector switched to the second head");
        Assert.That(attention.Groups[2].Value, Does.Contain("where token 5"), "hovering token 5 shows where it attends");
    }

    [Test]
    public void A_sweep_run_report_renders_its_charts_from_the_shared_plotly_offline()
    {
        var sweep = Directory.CreateDirectory(Path.Combine(_dir, "sweep")).FullName;
        File.WriteAllText(Path.Combine(sweep, Toolkit.Sweeps.SweepPlan.FileName), "{}");
        var dom = DumpDom(RunReport.Write(FakeRuns.Create(sweep, "a")));
        Assert.That(PlotDiv(dom, 0), Does.Contain("class=\"main-svg\""), "the chart rendered from ../plotly-*.min.js over file://");
        Assert.That(Errors(dom), Is.Empty);
        File.Delete(Directory.GetFiles(sweep, "plotly-*.min.js").Single());
        Assert.That(Errors(DumpDom(Path.Combine(sweep, "a", "report.html"))), Does.Contain("keep it beside the run folders"), "a missing copy is named on the page");
    }

    [Test]
    public void Comparison_renders_every_chart_without_errors()
    {
        var a = FakeRuns.Create(_dir, "A");
        var b = FakeRuns.Create(_dir, "B", phaseChange: 600, seed: 2);
        var page = RunReport.Compare([a, b], Path.Combine(_dir, "cmp.html"));
        var dom = DumpDom(page);
        for (var i = 0; i < 5; i++) // loss, accuracy, three score kinds
            Assert.That(PlotDiv(dom, i), Does.Contain("class=\"main-svg\""), $"plot-{i} has no rendered SVG");
        Assert.That(Errors(dom), Is.Empty);
    }

    [Test]
    public void Script_errors_on_the_page_are_visible_in_the_dom()
    {
        // Guards the check above: an error must actually show up where the tests look for it.
        var page = Path.Combine(_dir, "broken.html");
        var html = new HtmlReport("broken").AddParagraph("x").ToHtml()
            .Replace("</body>", "<script>undefinedFunctionForTheProbe();</script></body>");
        File.WriteAllText(page, html);
        Assert.That(Errors(DumpDom(page)), Does.Contain("undefinedFunctionForTheProbe"));
    }

    private string DumpDom(string page)
    {
        var (code, output, error) = Chrome(page, "--virtual-time-budget=5000", "--dump-dom");
        Assert.That(code, Is.EqualTo(0), error);
        return output;
    }

    private (int, string, string) Chrome(string page, params string[] extra)
    {
        var profile = Directory.CreateDirectory(Path.Combine(_dir, "profile-" + Guid.NewGuid().ToString("N"))).FullName;
        string[] flags =
        [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            $"--user-data-dir={profile}", .. extra, new Uri(Path.GetFullPath(page)).AbsoluteUri,
        ];
        return Exec(Chromium, flags, TimeSpan.FromMinutes(2));
    }

    /// <summary>The DOM between plot div <paramref name="index"/> and the next one, or null when absent.</summary>
    private static string? PlotDiv(string dom, int index)
    {
        var start = dom.IndexOf($"id=\"plot-{index}\"", StringComparison.Ordinal);
        if (start < 0) return null;
        var end = dom.IndexOf($"id=\"plot-{index + 1}\"", start, StringComparison.Ordinal);
        return dom[start..(end < 0 ? dom.Length : end)];
    }

    private static string Errors(string dom)
    {
        var m = Regex.Match(dom, "<pre id=\"report-errors\"[^>]*>(.*?)</pre>", RegexOptions.Singleline);
        Assert.That(m.Success, "the page has no #report-errors element");
        return m.Groups[1].Value;
    }

    private static (int Code, string Out, string Err) Exec(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} did not finish within {timeout}");
        }
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
