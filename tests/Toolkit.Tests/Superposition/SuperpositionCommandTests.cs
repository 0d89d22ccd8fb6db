namespace Toolkit.Tests.Superposition;

/// <summary>`toolkit superposition`: a tiny sweep prints its table; bad input is the two-line error.</summary>
public class SuperpositionCommandTests
{
    [Test]
    public void A_tiny_sweep_prints_one_row_per_sparsity()
    {
        var (code, output, error) = CliRunner.InProcess("superposition", "--features", "5", "--hidden", "2", "--sparsity", "0,0.9", "--importance", "1",
            "--steps", "1000", "--batch-size", "256", "--lr", "0.01", "--threads", "1");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(error, Does.Contain("superposition [").And.Contain("step 1000/1000"), "progress goes to stderr");
        var rows = output.Split('\n').Where(l => l.StartsWith("  0", StringComparison.Ordinal)).ToList();
        Assert.That(rows, Has.Count.EqualTo(2), output);
        Assert.That(rows[0], Does.Match(@"^  0 +[0-9.]+ +\d of 5 +\d \(\d+%\) +[0-9.]+ +\d +\S"), output);
        Assert.That(rows[1], Does.StartWith("  0.9 "), output);
    }

    [TestCase("--sparsity 1", "sparsity 1 is outside [0, 1)")]
    [TestCase("--sparsity 0,x", "--sparsity 0,x is not a comma-separated list of numbers")]
    [TestCase("--importance 0", "--importance 0 is outside (0, 1]")]
    [TestCase("--hidden 0", "hidden dimensions 0 is outside")]
    [TestCase("--steps 0", "steps 0 must be at least 1")]
    [TestCase("--threads 0", "threads 0 is outside")]
    public void Bad_input_is_one_error_line_and_a_hint(string arguments, string expected)
    {
        var (code, _, error) = CliRunner.InProcess(["superposition", .. arguments.Split(' ')]);
        Assert.That(code, Is.EqualTo(2), error);
        CliRunner.AssertTwoLineError(error, expected);
    }
}
