using Toolkit.Cli;

namespace Toolkit.Tests;

/// <summary>Runs the toolkit's command line in this process, capturing what it prints.</summary>
public static class CliRunner
{
    /// <summary>Exit code, standard output and standard error of <c>toolkit args...</c>.</summary>
    public static (int Code, string Out, string Err) InProcess(params string[] args)
    {
        var (out0, err0) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try { return (CommandLine.Invoke(Cli.Commands.Commands.Root(), args), o.ToString(), e.ToString()); }
        finally { Console.SetOut(out0); Console.SetError(err0); }
    }

    /// <summary>Asserts the error edge's shape: exactly "error: ..." naming <paramref name="expected"/>, then "hint: ...".</summary>
    public static void AssertTwoLineError(string err, string expected)
    {
        var lines = err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(2), err);
        Assert.That(lines[0], Does.StartWith("error: ").And.Contain(expected));
        Assert.That(lines[1], Does.StartWith("hint: "));
    }
}
