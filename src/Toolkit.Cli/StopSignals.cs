using System.Runtime.InteropServices;

namespace Toolkit.Cli;

/// <summary>SIGINT and SIGTERM as a cancellation request: training finishes its step, saves a
/// checkpoint and stops; the process then exits 130 (SIGINT) or 143 (SIGTERM), as shells expect.</summary>
public sealed class StopSignals : IDisposable
{
    private readonly CancellationTokenSource source = new();
    private readonly PosixSignalRegistration[] registrations;
    private int exitCode;

    public StopSignals()
    {
        registrations = new[]
        {
            PosixSignalRegistration.Create(PosixSignal.SIGINT, c => Request(c, 130)),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => Request(c, 143)),
        };
    }

    /// <summary>Cancelled when a stop signal arrives.</summary>
    public CancellationToken Token => source.Token;

    /// <summary>128 + the signal number of the first stop signal.</summary>
    public int ExitCode => exitCode == 0 ? 130 : exitCode;

    private void Request(PosixSignalContext context, int code)
    {
        context.Cancel = true; // keep the process alive until the checkpoint is written
        Interlocked.CompareExchange(ref exitCode, code, 0);
        source.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in registrations) r.Dispose();
        source.Dispose();
    }
}
