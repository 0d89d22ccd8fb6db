namespace Toolkit.Tests;

/// <summary><c>toolkit audit</c>: the shortcut audit names the shortcut of a fixed period and finds none for variable periods.</summary>
public class AuditCommandTests
{
    [Test]
    public void A_fixed_period_is_flagged_as_solvable_by_a_shortcut_and_variable_periods_are_not()
    {
        var (code, output, error) = CliRunner.InProcess("audit", "--period", "32", "--examples", "300");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("a shortcut solves this task: fixed offset reaches 100.0"));
        Assert.That(output, Does.Contain("copy the token 32 back"));
        (code, output, error) = CliRunner.InProcess("audit", "--period", "6..29", "--examples", "300");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("no simple shortcut solves this task"));
        Assert.That(output, Does.Contain("held-out-periods (inside)"), "every probe gets a column");
    }

    [Test]
    public void Bad_input_gets_the_two_line_error()
    {
        var (code, _, error) = CliRunner.InProcess("audit", "--examples", "3");
        Assert.That(code, Is.EqualTo(2));
        CliRunner.AssertTwoLineError(error, "--examples 3 is outside 10..1000000");
        (code, _, error) = CliRunner.InProcess("audit", "--task", "no-such-task");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.StartWith("error: "));
    }
}
