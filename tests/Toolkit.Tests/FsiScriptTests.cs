using System.Diagnostics;

namespace Toolkit.Tests;

/// <summary>F# scripts are a first-class client: <c>dotnet fsi scripts/phase-change.fsx</c> runs on Debian 12
/// with nothing but the build, because the prelude (scripts/toolkit.fsx) lets <see cref="NativeRuntime"/> load
/// the patched libLibTorchSharp.so before TorchSharp falls back to the NuGet cache's unpatched copy (which needs
/// GLIBCXX_3.4.32 and failed with a TypeInitializationException).</summary>
[TestFixture]
public class FsiScriptTests
{
    [Test]
    public void Phase_change_fsx_runs_under_dotnet_fsi()
    {
        var root = Repository.Root();
        var outDir = Directory.CreateTempSubdirectory("toolkit-fsx-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            foreach (var a in new[] { "fsi", "scripts/phase-change.fsx", "--steps", "60", "--out", outDir }) start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            Assert.That(process.WaitForExit(TimeSpan.FromMinutes(5)), Is.True, "dotnet fsi did not finish in 5 minutes");
            Assert.That(process.ExitCode, Is.EqualTo(0), $"stdout:\n{stdout}\nstderr:\n{stderr.Result}");
            Assert.That(stdout, Does.Contain("RESULT: conclusion:"));
            Assert.That(File.Exists(Path.Combine(outDir, "report.html")), Is.True);
        }
        finally
        {
            try { Directory.Delete(outDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
