using System.Diagnostics;

namespace Toolkit.Tests;

/// <summary>The F# code is as Fantomas formats it (its settings: .editorconfig), so a change carries no layout noise.
/// ./toolkit test installs Fantomas into .toolkit/tools.</summary>
public class FormattingTests
{
    private static string Fantomas => Path.Combine(Repository.Root(), ".toolkit", "tools", "fantomas");

    /// <summary>The F# sources the check covers: the task library, its tests and the F# scripts.</summary>
    public static readonly string[] Paths = ["tasks", "tests/Toolkit.Tasks.Tests", "scripts/phase-change.fsx", "scripts/toolkit.fsx"];

    [Test]
    public void The_FSharp_code_is_formatted_by_Fantomas()
    {
        if (!File.Exists(Fantomas)) Assert.Inconclusive($"Fantomas is not installed in {Fantomas}; ./toolkit test installs it");
        var psi = new ProcessStartInfo(Fantomas) { WorkingDirectory = Repository.Root(), RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("--check");
        foreach (var p in Paths) psi.ArgumentList.Add(p);
        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.That(process.ExitCode, Is.Zero,
            $"{output.Result}{error}\nformat them: .toolkit/tools/fantomas {string.Join(' ', Paths)}");
    }
}
