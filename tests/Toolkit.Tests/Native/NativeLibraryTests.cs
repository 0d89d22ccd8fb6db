using System.Diagnostics;
using System.Text;
using Toolkit.Build;

namespace Toolkit.Tests.Native;

/// <summary>The set-up route that keeps the system's C and C++ libraries untouched: the build output's
/// libLibTorchSharp.so has its one GLIBCXX_3.4.32 need weakened, and TorchSharp runs against Debian 12's
/// own libstdc++ (GLIBCXX_3.4.30).</summary>
public class NativeLibraryTests
{
    private static string OutputLibrary =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    private static string PackageLibrary
    {
        get
        {
            var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
            var path = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
            if (!File.Exists(path)) Assert.Ignore($"TorchSharp 0.107.0's package is not at {path}");
            return path;
        }
    }

    [Test]
    public void The_package_library_needs_GLIBCXX_3_4_32_for_one_symbol_only()
    {
        var newer = GlibcxxNeedPatch.NewerThanDebian12(GlibcxxNeedPatch.ReadVersionNeeds(File.ReadAllBytes(PackageLibrary)));
        Assert.That(newer.Select(n => n.Version), Is.EqualTo(new[] { "GLIBCXX_3.4.32" }));
        Assert.That(newer[0].Symbols, Is.EqualTo(new[] { GlibcxxNeedPatch.AllowedSymbol }));
        Assert.That(newer[0].IsWeak, Is.False);
    }

    [Test]
    public void The_patch_changes_one_byte_and_marks_only_that_need_weak()
    {
        var original = File.ReadAllBytes(PackageLibrary);
        var patched = GlibcxxNeedPatch.Patch(original);
        var changed = Enumerable.Range(0, original.Length).Count(i => original[i] != patched[i]);
        Assert.That(changed, Is.EqualTo(1));
        var before = GlibcxxNeedPatch.ReadVersionNeeds(original);
        var after = GlibcxxNeedPatch.ReadVersionNeeds(patched);
        Assert.That(after.Where(n => n.IsWeak).Select(n => n.Version), Is.EqualTo(new[] { "GLIBCXX_3.4.32" }));
        Assert.That(after.Select(n => (n.File, n.Version, n.Symbols.Count)), Is.EqualTo(before.Select(n => (n.File, n.Version, n.Symbols.Count))));
        Assert.That(GlibcxxNeedPatch.Sha256(patched), Is.EqualTo(GlibcxxNeedPatch.PatchedHash0107));
        Assert.That(GlibcxxNeedPatch.Patch(patched), Is.EqualTo(patched), "patching twice changes nothing");
    }

    [Test]
    public void The_build_output_holds_the_patched_library()
    {
        Assert.That(File.Exists(OutputLibrary), OutputLibrary);
        Assert.That(GlibcxxNeedPatch.Sha256(File.ReadAllBytes(OutputLibrary)), Is.EqualTo(GlibcxxNeedPatch.PatchedHash0107),
            "the build must copy the package's library and weaken its GLIBCXX_3.4.32 need (Directory.Build.targets)");
    }

    [Test]
    public void The_patch_refuses_a_library_that_needs_a_newer_version_than_it_can_cover()
    {
        // Same library, but its need renamed to GLIBCXX_3.4.33 (same length in the string table):
        // a future TorchSharp that really needs newer symbols must not be silently "fixed".
        var bytes = File.ReadAllBytes(PackageLibrary);
        var name = Encoding.ASCII.GetBytes("GLIBCXX_3.4.32\0");
        var at = bytes.AsSpan().IndexOf(name);
        Assert.That(at, Is.GreaterThan(0));
        bytes[at + name.Length - 2] = (byte)'3';
        var error = Assert.Throws<InvalidOperationException>(() => GlibcxxNeedPatch.Patch(bytes))!;
        Assert.That(error.Message, Does.Contain("GLIBCXX_3.4.33").And.Contain(GlibcxxNeedPatch.AllowedSymbol));
    }

    [Test]
    public void TorchSharp_runs_against_Debian_12s_libstdcxx()
    {
        var libDir = Debian12LibstdcxxDirectory();
        var script = Path.Combine(Path.GetTempPath(), $"toolkit-native-{Guid.NewGuid():N}.csx");
        // matmul, Linear backward, multi-threaded Conv2d backward, and a C++ exception caught in .NET.
        File.WriteAllText(script, """
            using TorchSharp;
            using static TorchSharp.torch;
            torch.set_num_threads(2);
            var a = randn(64, 64); var b = randn(64, 64);
            var m = a.matmul(b).sum().item<float>();
            var lin = nn.Linear(8, 4); var x = randn(16, 8, requires_grad: true);
            lin.forward(x).sum().backward();
            var conv = nn.Conv2d(3, 8, 3); var img = randn(4, 3, 32, 32, requires_grad: true);
            conv.forward(img).sum().backward();
            var caught = false;
            try { ones(2, 3).reshape(7); } catch (System.Runtime.InteropServices.ExternalException) { caught = true; }
            Console.WriteLine($"native ok: grad {img.grad is not null} caught {caught} finite {float.IsFinite(m)}");
            """);
        try
        {
            var psi = new ProcessStartInfo("dotnet", $"\"{Path.Combine(AppContext.BaseDirectory, "toolkit.dll")}\" run \"{script}\"")
            { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.Environment["LD_LIBRARY_PATH"] = libDir;
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            Assert.That(p.ExitCode, Is.EqualTo(0), output + err.Result);
            Assert.That(output, Does.Contain("native ok: grad True caught True finite True"));
        }
        finally { File.Delete(script); }
    }

    /// <summary>A directory holding Debian 12's libstdc++.so.6 (GLIBCXX_3.4.30, no 3.4.32): the system's
    /// own when it is that one, else extracted from Debian 12's package.</summary>
    private static string Debian12LibstdcxxDirectory()
    {
        const string system = "/usr/lib/x86_64-linux-gnu";
        var systemLib = Path.Combine(system, "libstdc++.so.6");
        if (File.Exists(systemLib) && IsDebian12Libstdcxx(systemLib)) return system;

        // The system's libstdc++ was upgraded (e.g. by --system-libstdcxx): take Debian 12's from its package.
        var dir = Directory.CreateTempSubdirectory("toolkit-bookworm-libstdcxx-").FullName;
        if (Run("apt-get", "download libstdc++6/bookworm", dir) != 0)
            Assert.Ignore("the system libstdc++ is not Debian 12's and 'apt-get download libstdc++6/bookworm' failed (no bookworm source?)");
        var deb = Directory.GetFiles(dir, "libstdc++6_*.deb").Single();
        Assert.That(Run("dpkg-deb", $"-x \"{deb}\" \"{dir}\"", dir), Is.EqualTo(0));
        var lib = Path.Combine(dir, "usr", "lib", "x86_64-linux-gnu");
        Assert.That(IsDebian12Libstdcxx(Path.Combine(lib, "libstdc++.so.6")), "the bookworm package's libstdc++ must lack GLIBCXX_3.4.32");
        return lib;
    }

    private static bool IsDebian12Libstdcxx(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes.AsSpan().IndexOf("GLIBCXX_3.4.30"u8) >= 0 && bytes.AsSpan().IndexOf("GLIBCXX_3.4.32"u8) < 0;
    }

    private static int Run(string file, string args, string dir)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(file, args) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true })!;
            p.StandardOutput.ReadToEnd(); p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode;
        }
        catch (System.ComponentModel.Win32Exception) { return -1; }
    }
}
