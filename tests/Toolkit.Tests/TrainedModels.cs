using System.Collections.Concurrent;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Training;
using Toolkit.Experiments;

namespace Toolkit.Tests;

/// <summary>Tiny models trained once per test run and shared by every test that needs one (keyed by
/// config), so the suite pays for each training only once.</summary>
public static class TrainedModels
{
    private static readonly ConcurrentDictionary<string, Lazy<TrainingResult>> Runs = new();
    private static readonly string Root = Path.Combine(Path.GetTempPath(), $"toolkit-tests-{Environment.ProcessId}");

    /// <summary>The demo's variable-period model (periods 6..29, random start).</summary>
    public static RunConfig VariablePeriod => MemorizationDemo.Config("6..29", MemorizationDemo.VariableSteps);

    /// <summary>The demo's fixed-period model (a 32-token block repeated twice).</summary>
    public static RunConfig FixedPeriod => MemorizationDemo.Config("32", MemorizationDemo.FixedSteps);

    /// <summary>Trains (first call) or returns the finished run of a config.</summary>
    public static TrainingResult Get(RunConfig config)
    {
        var key = config.ToJson();
        return Runs.GetOrAdd(key, _ => new Lazy<TrainingResult>(() =>
        {
            var dir = Path.Combine(Root, $"run-{Runs.Count}-{Guid.NewGuid():N}");
            TestContext.Progress.WriteLine($"training shared fixture model into {dir} ...");
            return Trainer.Train(config, dir);
        })).Value;
    }
}
