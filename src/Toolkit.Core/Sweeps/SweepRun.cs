using System.Text.Json.Serialization;
using Toolkit.Runs;

namespace Toolkit.Sweeps;

/// <summary>One run of a sweep: its index (the Slurm array task id), directory name, seed, the values
/// of the grid's varying axes, and the config it trains with (threads are set when it starts).</summary>
public sealed record SweepRun(
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("seed")] long Seed,
    [property: JsonPropertyName("values")] IReadOnlyDictionary<string, string> Values,
    [property: JsonPropertyName("config")] RunConfig Config);

/// <summary>What <c>train --sweep</c> did with a run.</summary>
public enum SweepRunAction { Trained, Resumed, Skipped }
