using System.Runtime.InteropServices;

namespace Toolkit.Tests;

/// <summary>The toolkit bounds libgomp's spin in the native environment (where libgomp reads it), unless the
/// user chose a waiting policy, and keeps large allocations on glibc's heap, unless the user tuned the allocator.</summary>
[TestFixture]
public class NativeRuntimeTests
{
    [DllImport("libc", CharSet = CharSet.Ansi)]
    private static extern IntPtr getenv(string name);

    [Test]
    public void The_spin_bound_is_in_the_native_environment()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("libgomp is the Linux OpenMP runtime");
        foreach (var user in new[] { "OMP_WAIT_POLICY", NativeRuntime.SwitchVariable })
            if (Environment.GetEnvironmentVariable(user) is { Length: > 0 })
                Assert.Ignore($"{user} is set in this environment, so the toolkit leaves the waiting alone");
        NativeRuntime.Initialize();
        var native = Marshal.PtrToStringAnsi(getenv("GOMP_SPINCOUNT"));
        Assert.That(native, Is.Not.Null, NativeRuntime.Description);
        Assert.That(NativeRuntime.Description, Does.Contain("GOMP_SPINCOUNT=" + native));
    }

    [DllImport("libc")]
    private static extern IntPtr malloc(nuint size);

    [DllImport("libc")]
    private static extern void free(IntPtr pointer);

    /// <summary>glibc's mallinfo2: hblks is the number of chunks served by mmap.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2 { public nuint Arena, OrdBlks, SmBlks, HBlks, HBlkHd, UsmBlks, FsmBlks, UordBlks, FordBlks, KeepCost; }

    [DllImport("libc")]
    private static extern MallInfo2 mallinfo2();

    [Test]
    public void A_tensor_sized_allocation_comes_from_the_heap_not_a_fresh_mapping()
    {
        if (!OperatingSystem.IsLinux()) Assert.Ignore("glibc's allocator");
        if (Environment.GetEnvironmentVariable(NativeRuntime.MallocSwitchVariable) is "default" || (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "").Contains("glibc.malloc."))
            Assert.Ignore("the allocator is left as this environment set it");
        NativeRuntime.Initialize();
        var before = mallinfo2().HBlks;
        // 16 MB: above glibc's default mmap threshold until a freed chunk that large raises it; below the 64 MB heaps of the
        // arenas of threads other than the main one, which map anything larger whatever the setting.
        var block = malloc(16 << 20);
        try { Assert.That(mallinfo2().HBlks, Is.EqualTo(before), NativeRuntime.Description); }
        finally { free(block); }
    }
}
