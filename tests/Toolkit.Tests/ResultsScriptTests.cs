using System.Diagnostics;
using System.Xml.Linq;

namespace Toolkit.Tests;

/// <summary><c>scripts/results.sh --collect</c> renders RESULTS.md from the committed records alone: a record's claims
/// (its CLAIM lines) and its headline numbers (its MEASURE lines) each become a table and a figure; a record without them
/// gets neither.</summary>
public class ResultsScriptTests
{
    private static (int Code, string Output) Run(string dir, string command)
    {
        using var p = Process.Start(new ProcessStartInfo("bash", ["-c", command]) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }

    [Test]
    public void Collect_draws_each_records_claims_as_a_table_and_a_figure()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-results-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(dir, "scripts", "results"));
            File.Copy(Path.Combine(Repository.Root(), "scripts", "results.sh"), Path.Combine(dir, "scripts", "results.sh"));
            File.WriteAllText(Path.Combine(dir, "scripts", "phase-change.csx"), "// Does it change phase?\n//   ./toolkit run scripts/phase-change.csx\n");
            File.WriteAllText(Path.Combine(dir, "scripts", "grokking.csx"), "// Does it grok?\n//   ./toolkit run scripts/grokking.csx\n");
            File.WriteAllText(Path.Combine(dir, "scripts", "new-task.csx"), "// A new task?\n//   ./toolkit run scripts/new-task.csx\n");
            var (code, output) = Run(dir, "git init -q && git -c user.email=t@t -c user.name=t add -A && git -c user.email=t@t -c user.name=t commit -qm x && git log -1 --format=%h");
            Assert.That(code, Is.EqualTo(0), output);
            var commit = output.Trim();
            string Record(params string[] lines) =>
                string.Join('\n', new[] { "#date 2026-12-07 00:00 UTC", "#seconds 1", "#status ok", $"#commit {commit}", "#command ./toolkit run x", "#question q" }.Concat(lines)) + "\n";
            File.WriteAllText(Path.Combine(dir, "scripts", "results", "phase-change.log"), Record(
                "RESULT: conclusion: it does.",
                "CLAIM:\tfamily\tcircuit before drop\t12.300 [1.000, 20.000]\t5\t0.0123\t0.0369\tshown: higher",
                "CLAIM:\tfamily\ta | b < c & d\tGehan statistic 3 over 25 pairs\t5\t0.4000\t0.8000\tnot shown",
                "CLAIM:\tfamily\ttoo few\t1.000 [0.000, 2.000]\t2\tn/a\tn/a\ttoo few seeds (2)"));
            File.WriteAllText(Path.Combine(dir, "scripts", "results", "grokking.log"), Record("RESULT: conclusion: it groks."));
            File.WriteAllText(Path.Combine(dir, "scripts", "results", "new-task.log"), Record(
                "RESULT: conclusion: it generalizes.",
                "MEASURE:\tnew: held-out | periods (inside)\t97.0% [95.0%, 99.0%]\t0.97\t0.95\t0.99\t10.0%\t5.0%\t0.1\t0.05\tshare",
                "MEASURE:\tnew: excess score\t0.300 [0.100, 0.500]\t0.3\t0.1\t0.5\t\t\t\t\t"));
            File.WriteAllText(Path.Combine(dir, "scripts", "results", "grokking.svg"), "<svg/>"); // left from an older run
            File.WriteAllText(Path.Combine(dir, "scripts", "results", "grokking-measures.svg"), "<svg/>");

            (code, output) = Run(dir, "bash scripts/results.sh --collect");
            Assert.That(code, Is.EqualTo(0), output);
            var md = File.ReadAllText(Path.Combine(dir, "scripts", "RESULTS.md"));
            Assert.That(md, Does.Contain("| circuit before drop | 12.300 [1.000, 20.000] | 5 | 0.0123 | 0.0369 | shown: higher |"));
            Assert.That(md, Does.Contain("| a \\| b < c & d |"), "a bar in a claim does not split its row");
            Assert.That(md, Does.Contain("![phase-change: p-values of the claims before and after Holm's correction](results/phase-change.svg)"));
            var svg = XDocument.Load(Path.Combine(dir, "scripts", "results", "phase-change.svg"));
            XNamespace ns = "http://www.w3.org/2000/svg";
            var rows = svg.Root!.Elements(ns + "g").ToList();
            Assert.That(rows.Select(g => g.Element(ns + "title")!.Value), Is.EqualTo(new[]
            {
                "circuit before drop: p 0.0123, Holm-adjusted 0.0369, shown: higher", "a | b < c & d: p 0.4000, Holm-adjusted 0.8000, not shown",
                "too few: p n/a, Holm-adjusted n/a, too few seeds (2)",
            }));
            // The shown claim's filled point is green and right of the 5% line; the not-shown one is left of it.
            double X(XElement g, bool filled) => double.Parse(g.Elements(ns + "circle").Single(c => (c.Attribute("fill")!.Value != "none") == filled).Attribute("cx")!.Value,
                System.Globalization.CultureInfo.InvariantCulture);
            var alpha = 420 + 80 * -Math.Log10(0.05);
            Assert.That(rows[0].Elements(ns + "circle").Last().Attribute("fill")!.Value, Is.EqualTo("#2a7"));
            Assert.That(X(rows[0], filled: true), Is.GreaterThan(alpha));
            Assert.That(X(rows[1], filled: true), Is.LessThan(alpha));
            Assert.That(X(rows[0], filled: false), Is.GreaterThan(X(rows[0], filled: true)), "the raw p-value is smaller than the adjusted one");
            Assert.That(rows[2].Elements(ns + "circle"), Is.Empty, "an untested claim has no point");
            Assert.That(File.Exists(Path.Combine(dir, "scripts", "results", "grokking.svg")), Is.False, "a record without claims has no figure");
            Assert.That(File.Exists(Path.Combine(dir, "scripts", "results", "grokking-measures.svg")), Is.False, "nor one without measurements");

            // Measurements: every one in the table, the shares on the figure's 0–100% axis with the baseline and chance ticks.
            Assert.That(md, Does.Contain("| new: held-out \\| periods (inside) | 97.0% [95.0%, 99.0%] | 10.0% | 5.0% |"));
            Assert.That(md, Does.Contain("| new: excess score | 0.300 [0.100, 0.500] | – | – |"));
            Assert.That(md, Does.Contain("](results/new-task-measures.svg)"));
            var measures = XDocument.Load(Path.Combine(dir, "scripts", "results", "new-task-measures.svg")).Root!.Elements(ns + "g").ToList();
            Assert.That(measures, Has.Count.EqualTo(1), "only the share is drawn");
            var lines = measures[0].Elements(ns + "line").Select(l => (Stroke: l.Attribute("stroke")!.Value, X: double.Parse(l.Attribute("x1")!.Value, System.Globalization.CultureInfo.InvariantCulture))).ToList();
            Assert.That(lines, Is.EqualTo(new[] { ("#999", 420 + 320 * 0.05), ("#e80", 420 + 320 * 0.1), ("#247", 420 + 320 * 0.95) }));
            Assert.That(double.Parse(measures[0].Element(ns + "circle")!.Attribute("cx")!.Value, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(420 + 320 * 0.97).Within(0.06));
            Assert.That(md.Split("## grokking")[1], Does.Not.Contain("**Claims**"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
