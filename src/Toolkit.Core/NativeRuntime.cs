using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Toolkit;

/// <summary>
/// The one place where the process prepares libtorch before TorchSharp loads it. Runs once, from this
/// assembly's module initializer (so any use of the library does it first) and from the entry points that may
/// touch TorchSharp before the library (the CLI, the script preludes, notebooks).
/// <list type="bullet">
/// <item>OpenMP waiting. libtorch's OpenMP threads (libgomp) spin at every barrier for about 300,000 pause
/// instructions before they sleep. Two processes that spin on every core starve each other (issue 25: two
/// 2-thread trainings ran 5.8–20× slower each, not 2×). The toolkit bounds the spin (<c>GOMP_SPINCOUNT</c>)
/// unless the user set <c>OMP_WAIT_POLICY</c> or <c>GOMP_SPINCOUNT</c> themselves; <c>bench contention</c>
/// measures the choice. libgomp reads its environment once, when it is loaded, so the variable is set in the
/// native environment (libc <c>setenv</c>; .NET's Environment.SetEnvironmentVariable does not reach it).</item>
/// <item>The patched libLibTorchSharp.so. The build weakens one GLIBCXX version need in its own copy
/// (build/GlibcxxNeedPatch.cs) under <c>runtimes/linux-x64/native</c>. A host without the application's
/// native search paths (<c>dotnet fsi</c>, a notebook kernel) makes TorchSharp fall back to the unpatched copy
/// in the NuGet cache, which needs GLIBCXX_3.4.32 and fails on Debian 12. Loading the patched copy first, by
/// path, makes TorchSharp's own load of the same library name succeed.</item>
/// </list>
/// </summary>
public static class NativeRuntime
{
    /// <summary>The spin bound the toolkit sets (libgomp's default is 300,000; passive waiting is 0).
    /// <c>toolkit bench contention</c> measures it against the others (bench/RESULTS.md).</summary>
    public const int SpinCount = 10_000;

    /// <summary>Environment variable that turns the bounded spin off (<c>TOOLKIT_OPENMP=default</c>), for the
    /// benchmark's baseline and for anyone who wants libgomp's own behaviour.</summary>
    public const string SwitchVariable = "TOOLKIT_OPENMP";

    private static readonly object Gate = new();
    private static bool done;

    /// <summary>What <see cref="Initialize"/> did, for `toolkit --version`-style reports and tests.</summary>
    public static string Description { get; private set; } = "not initialized";

    [ModuleInitializer]
#pragma warning disable CA2255 // a library module initializer is the point: it must run before TorchSharp loads libtorch
    internal static void OnLoad() => Initialize();
#pragma warning restore CA2255

    /// <summary>Prepares the OpenMP environment and the patched native library; idempotent. Call before the
    /// first TorchSharp call in hosts that may reach TorchSharp before this library.</summary>
    public static void Initialize()
    {
        lock (Gate)
        {
            if (done) return;
            done = true;
            if (!OperatingSystem.IsLinux()) { Description = "nothing to do on this OS"; return; }
            var parts = new List<string> { BoundSpin(), PreloadPatchedLibrary() };
            Description = string.Join("; ", parts.Where(p => p.Length > 0));
        }
    }

    private static string BoundSpin()
    {
        if (Environment.GetEnvironmentVariable(SwitchVariable) is "default")
            return $"OpenMP waiting: libgomp's default ({SwitchVariable}=default)";
        if (Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is { Length: > 0 } policy)
            return $"OpenMP waiting: OMP_WAIT_POLICY={policy} (set by the user)";
        if (Environment.GetEnvironmentVariable("GOMP_SPINCOUNT") is { Length: > 0 } count)
            return $"OpenMP waiting: GOMP_SPINCOUNT={count} (set by the user)";
        var value = SpinCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (setenv("GOMP_SPINCOUNT", value, 0) != 0) return "OpenMP waiting: could not set GOMP_SPINCOUNT";
        Environment.SetEnvironmentVariable("GOMP_SPINCOUNT", value); // child processes inherit it too
        return $"OpenMP waiting: GOMP_SPINCOUNT={value}";
    }

    private static string PreloadPatchedLibrary()
    {
        var torchSharp = typeof(TorchSharp.torch).Assembly.Location; // typeof does not run torch's static constructor
        if (string.IsNullOrEmpty(torchSharp)) return "";
        var native = Path.Combine(Path.GetDirectoryName(torchSharp)!, "runtimes", "linux-x64", "native");
        var patched = Path.Combine(native, "libLibTorchSharp.so");
        var torchCpu = Path.Combine(native, "libtorch_cpu.so");
        if (!File.Exists(patched) || !File.Exists(torchCpu)) return "";
        // libtorch first (its RUNPATH finds c10 and libgomp beside it), then the patched binding library,
        // whose dependencies are then already loaded.
        if (!NativeLibrary.TryLoad(torchCpu, out _) || !NativeLibrary.TryLoad(Path.Combine(native, "libtorch.so"), out _) ||
            !NativeLibrary.TryLoad(patched, out _))
            return $"native libraries: could not preload {native}";
        return $"native libraries: {native}";
    }

    [DllImport("libc", CharSet = CharSet.Ansi, SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);
}
