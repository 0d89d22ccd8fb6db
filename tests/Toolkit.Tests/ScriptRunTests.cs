using System.Diagnostics;
using Toolkit.Cli.Scripting;

namespace Toolkit.Tests;

/// <summary>Every experiment script in scripts/ (not the preludes, helpers or the hello smoke test) runs
/// in fast mode through the script host, exits 0, writes its HTML report and prints a conclusion.</summary>
[TestFixture]
public class ScriptRunTests
{
    /// <summary>Files in scripts/ that are not experiments.</summary>
    private static readonly HashSet<string> NotExperiments = new(StringComparer.Ordinal) { "toolkit.csx", "hello.csx" };

    public static IEnumerable<TestCaseData> Experiments()
    {
        var dir = Path.Combine(Repository.Root(), "scripts");
        foreach (var path in Directory.GetFiles(dir, "*.csx").Order(StringComparer.Ordinal))
            if (!NotExperiments.Contains(Path.GetFileName(path)))
                yield return new TestCaseData(path).SetName($"Experiment_runs_in_fast_mode({Path.GetFileNameWithoutExtension(path)})");
    }

    [Test]
    public void The_experiment_scripts_are_found()
    {
        var names = Experiments().Select(t => Path.GetFileNameWithoutExtension((string)t.Arguments[0]!)).ToList();
        Assert.That(names, Is.SupersetOf(new[] { "fixed-vs-variable-period", "phase-change", "dropout-heads", "kqv-similarity", "exaptation", "pattern-in-noise", "set-extraction", "new-task", "encoder-decoder", "poems-vs-articles", "fixed-period-repeats" }));
    }

    [TestCaseSource(nameof(Experiments))]
    public void Experiment_runs_in_fast_mode(string script)
    {
        var outDir = Directory.CreateTempSubdirectory("toolkit-experiment-").FullName;
        try
        {
            var (output, error) = (new StringWriter(), new StringWriter());
            var clock = Stopwatch.StartNew();
            var code = ScriptHost.Run(script, new[] { "--fast", "--out", outDir }, output, error);
            TestContext.Out.WriteLine($"{Path.GetFileName(script)}: exit {code} in {clock.Elapsed.TotalSeconds:F1} s");
            Assert.That(code, Is.EqualTo(0), $"stdout:\n{output}\nstderr:\n{error}");
            Assert.That(File.Exists(Path.Combine(outDir, "report.html")), Is.True, $"no report.html in {outDir}; stdout:\n{output}");
            Assert.That(output.ToString(), Does.Contain("RESULT: conclusion:"), "the script prints its conclusion on a RESULT line");
            // Every claim of a decided family is also one tab-separated CLAIM line, which scripts/results.sh tabulates.
            var claims = output.ToString().Split('\n').Where(l => l.StartsWith("CLAIM:")).ToList();
            var tested = System.Text.RegularExpressions.Regex.Matches(output.ToString(), @"RESULT: .*?: (\d+) claims tested as one family[^;\n]*(?:; (\d+) not tested)?")
                .Sum(m => int.Parse(m.Groups[1].Value) + (m.Groups[2].Success ? int.Parse(m.Groups[2].Value) : 0));
            Assert.That(claims, Has.Count.EqualTo(tested), "one CLAIM line per claim of every family");
            Assert.That(claims.All(l => l.Split('\t').Length == 8), "eight tab-separated fields");
            Assert.That(output.ToString().Split('\n').Where(l => l.StartsWith("MEASURE:")).All(l => l.Split('\t').Length == 11), "a MEASURE line has eleven fields");
        }
        finally
        {
            try { Directory.Delete(outDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
