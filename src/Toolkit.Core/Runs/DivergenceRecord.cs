using System.Text.Json;
using System.Text.Json.Serialization;

namespace Toolkit.Runs;

/// <summary><c>diverged.json</c> in a run directory: training stopped because the loss or gradient stopped being finite
/// (exit 3). The same config and seed diverge again, so sweeps report such a run instead of retrying it; a later training
/// of the run that gets past the step removes the record.</summary>
public sealed record DivergenceRecord
{
    /// <summary>The step whose loss, gradient or weights were not finite (1-based).</summary>
    [JsonPropertyName("step")] public int Step { get; init; }
    /// <summary>The error message, e.g. "training diverged at step 201: the loss is NaN".</summary>
    [JsonPropertyName("reason")] public string Reason { get; init; } = "";

    /// <summary>Records a divergence in a run directory.</summary>
    public static void Write(RunDirectory run, int step, string reason) =>
        AtomicFile.WriteText(run.DivergedPath, JsonSerializer.Serialize(new DivergenceRecord { Step = step, Reason = reason }, RunConfig.Json));

    /// <summary>The run's divergence record, or null when it has none (a damaged record reads as a divergence of unknown step).</summary>
    public static DivergenceRecord? Read(RunDirectory run)
    {
        if (!File.Exists(run.DivergedPath)) return null;
        try { return JsonSerializer.Deserialize<DivergenceRecord>(File.ReadAllText(run.DivergedPath), RunConfig.Json) ?? new DivergenceRecord { Reason = "diverged.json is empty" }; }
        catch (JsonException) { return new DivergenceRecord { Reason = "diverged.json is damaged" }; }
    }
}
