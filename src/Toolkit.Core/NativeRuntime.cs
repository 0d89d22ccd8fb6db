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
/// <item>Memory kept for reuse. glibc serves every allocation above its mmap threshold (at most 32 MB; below it once
/// freed chunks raise it) with a fresh <c>mmap</c> and returns it at <c>free</c>, and returns the heap's free top
/// above 128 KB: the next step's tensors are then new pages the kernel must fault in and zero, 4 KB at a time.
/// The toolkit sets <c>M_MMAP_MAX</c> to 0 and turns trimming off (<c>M_TRIM_THRESHOLD</c> −1; <c>mallopt</c>, which acts
/// on later allocations, so no restart is needed): tensors come from the heap and its pages are reused. (A 2 GB threshold
/// was too low at GPT-2's vocabulary: a step's freed top passed it, was returned and faulted in again; bench/heap-faults.sh.) <c>bench allocator</c>
/// measures it against glibc's default and against libtorch's huge pages. Left alone when the user tuned glibc's
/// allocator (GLIBC_TUNABLES with <c>glibc.malloc.</c>, or a <c>MALLOC_…_</c> variable) or set
/// <c>TOOLKIT_MALLOC=default</c>.</item>
/// <item>The patched libLibTorchSharp.so. The build weakens one GLIBCXX version need in its own copy
/// (build/GlibcxxNeedPatch.cs) under <c>runtimes/linux-x64/native</c>. A host without the application's
/// native search paths (<c>dotnet fsi</c>, a notebook kernel) makes TorchSharp fall back to the unpatched copy
/// in the NuGet cache, which needs GLIBCXX_3.4.32 and fails on Debian 12. Loading the patched copy first, by
/// path, makes TorchSharp's own load of the same library name succeed.</item>
/// </list>
/// </summary>
public static class NativeRuntime
{
    /// <summary>The spin bound the toolkit sets (libgomp's default is 300,000; passive waiting is 0). Chosen by
    /// <c>toolkit bench contention</c> (figures in bench/RESULTS.md and docs/design.md §5): with it two 2-thread trainings
    /// at once take about 1.6–1.7× one alone instead of libgomp's 3.9–5.6×; alone, over paired rounds, it runs at
    /// 1.02 [0.94, 1.11] of the default's speed. Passive waiting shares as well but was no faster alone.</summary>
    public const int SpinCount = 1_000;

    /// <summary>Environment variable that turns the bounded spin off (<c>TOOLKIT_OPENMP=default</c>), for the
    /// benchmark's baseline and for anyone who wants libgomp's own behaviour.</summary>
    public const string SwitchVariable = "TOOLKIT_OPENMP";

    private static readonly object Gate = new();
    private static bool done;

    /// <summary>What <see cref="Initialize"/> did, for `toolkit --version`-style reports and tests.</summary>
    public static string Description { get; private set; } = "not initialized";

#pragma warning disable CA2255 // a library module initializer is the point: it must run before TorchSharp loads libtorch
    [ModuleInitializer]
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
            var parts = new List<string> { BoundSpin(), KeepHeap(), PreloadPatchedLibrary() };
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

    /// <summary>Environment variable that leaves glibc's allocator as it is (<c>TOOLKIT_MALLOC=default</c>), for the
    /// benchmark's baseline and for anyone who wants memory returned to the system between steps.</summary>
    public const string MallocSwitchVariable = "TOOLKIT_MALLOC";

    private const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4;

    private static string KeepHeap()
    {
        if (Environment.GetEnvironmentVariable(MallocSwitchVariable) is "default")
            return $"memory: glibc's default ({MallocSwitchVariable}=default)";
        var tuned = (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "").Contains("glibc.malloc.", StringComparison.Ordinal)
            || Environment.GetEnvironmentVariables().Keys.Cast<string>().Any(k => k.StartsWith("MALLOC_", StringComparison.Ordinal) && k.EndsWith('_'));
        if (tuned) return "memory: glibc's allocator as the user tuned it";
        try
        {
            // mallopt returns 1 on success.
            // A trim threshold of -1 turns trimming off (mallopt(3)).
            if (mallopt(M_MMAP_MAX, 0) != 1 || mallopt(M_TRIM_THRESHOLD, -1) != 1) return "memory: could not tune glibc's allocator";
        }
        catch (EntryPointNotFoundException) { return "memory: the C library has no mallopt (not glibc); left as it is"; }
        return "memory: tensors from glibc's heap, kept for reuse (M_MMAP_MAX 0, trimming off)";
    }

    private static string PreloadPatchedLibrary()
    {
        var (patched, libtorch) = Locate();
        if (patched is null || libtorch is null) return "";
        // libtorch first (its RUNPATH finds c10 and libgomp beside it), then the patched binding library, whose
        // dependencies are then already loaded whatever folder it sits in.
        foreach (var library in new[] { Path.Combine(libtorch, "libtorch_cpu.so"), Path.Combine(libtorch, "libtorch.so"), patched })
            if (!NativeLibrary.TryLoad(library, out _)) return $"native libraries: could not preload {library}";
        return $"native libraries: {patched} with libtorch from {libtorch}";
    }

    /// <summary>The patched libLibTorchSharp.so and libtorch's folder. In a build output both sit in
    /// <c>runtimes/linux-x64/native</c> beside TorchSharp.dll. From the packages <c>./toolkit pack</c> makes (a notebook's
    /// <c>#r "nuget: Toolkit.Core"</c>), the patched copy ships in Toolkit.Core's package under <c>native/linux-x64</c>
    /// and libtorch is the libtorch-cpu-linux-x64 package beside TorchSharp's in the NuGet packages folder.</summary>
    internal static (string? Patched, string? Libtorch) Locate()
    {
        const string name = "libLibTorchSharp.so";
        var torchSharp = typeof(TorchSharp.torch).Assembly.Location; // typeof does not run torch's static constructor
        if (string.IsNullOrEmpty(torchSharp)) return (null, null);
        var beside = Path.Combine(Path.GetDirectoryName(torchSharp)!, "runtimes", "linux-x64", "native");
        if (File.Exists(Path.Combine(beside, name)) && File.Exists(Path.Combine(beside, "libtorch_cpu.so")))
            return (Path.Combine(beside, name), beside);
        var core = Path.GetDirectoryName(typeof(NativeRuntime).Assembly.Location);
        if (core is null) return (null, null);
        var packaged = Path.GetFullPath(Path.Combine(core, "..", "..", "native", "linux-x64", name)); // <package>/lib/net10.0/Toolkit.Core.dll
        // <packages>/torchsharp/<version>/lib/<tfm>/TorchSharp.dll → <packages>/libtorch-cpu-linux-x64/<version>/runtimes/linux-x64/native
        var packages = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(torchSharp)!, "..", "..", "..", ".."));
        var libtorchPackage = Path.Combine(packages, "libtorch-cpu-linux-x64");
        var libtorch = Directory.Exists(libtorchPackage)
            ? Directory.GetDirectories(libtorchPackage).Select(v => Path.Combine(v, "runtimes", "linux-x64", "native"))
                .Where(d => File.Exists(Path.Combine(d, "libtorch_cpu.so"))).Order(StringComparer.Ordinal).LastOrDefault()
            : null;
        return (File.Exists(packaged) ? packaged : null, libtorch);
    }

    [DllImport("libc", CharSet = CharSet.Ansi, SetLastError = true)]
    private static extern int setenv(string name, string value, int overwrite);

    [DllImport("libc")]
    private static extern int mallopt(int param, int value);
}
