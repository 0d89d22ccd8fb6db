using System.Runtime.InteropServices;

namespace Toolkit.Tests;

/// <summary>The toolkit bounds libgomp's spin in the native environment (where libgomp reads it), unless the
/// user chose a waiting policy.</summary>
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
}
