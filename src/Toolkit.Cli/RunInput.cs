using System.CommandLine;
using Toolkit.Model;
using Toolkit.Runs;

namespace Toolkit.Cli;

/// <summary>The run a command reads: its directory argument and <c>--device</c>, opened one way by every command that
/// looks at a trained model (the device is the option's, else the run's own setting).</summary>
public sealed class RunInput
{
    public readonly Argument<string> Run = new("run") { Description = "run directory, e.g. runs/NAME" };
    public readonly Option<string?> Device = new("--device") { Description = "auto, cpu or cuda (default: the run's own device setting)" };

    public RunInput() => Device.AcceptOnlyFromAmong("auto", "cpu", "cuda");

    public void AddTo(Command command)
    {
        command.Arguments.Add(Run);
        command.Options.Add(Device);
    }

    /// <summary>The run's directory and config (checked); the model loads when asked, so cheap checks of the other
    /// options come first.</summary>
    public OpenedRun Open(ParseResult r)
    {
        var directory = RunDirectory.Open(r.GetValue(Run)!);
        return new OpenedRun(directory, directory.ReadConfig(), r.GetValue(Device));
    }
}

/// <summary>An opened run: <see cref="LoadModel"/> loads its latest verified checkpoint on the chosen device.</summary>
public sealed record OpenedRun(RunDirectory Directory, RunConfig Config, string? DeviceName)
{
    public HookedTransformer LoadModel() => Directory.LoadModel(Devices.Resolve(DeviceName ?? Config.Training.Device));
}
