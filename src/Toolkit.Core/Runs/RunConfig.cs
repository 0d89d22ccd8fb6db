using System.Text.Json;
using System.Text.Json.Serialization;
using Toolkit.Configs;
using Toolkit.Model;
using Toolkit.Tasks;
using Toolkit.Training;

namespace Toolkit.Runs;

/// <summary>A task by family name and text parameters: everything needed to recreate it.</summary>
public sealed record TaskSpec
{
    [JsonPropertyName("name")] public string Name { get; init; } = "repeated-copy";
    [JsonPropertyName("parameters")] public Dictionary<string, string> Parameters { get; init; } = new();

    /// <summary>Creates the task from the catalog (TaskParameterException on bad parameters).</summary>
    public ITask Create() => Catalog.Create(Name, Parameters);

    /// <summary>The spec of a task instance, with its canonical parameters.</summary>
    public static TaskSpec Of(ITask task) =>
        new() { Name = task.Name, Parameters = task.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value) };
}

/// <summary>Everything that defines a run, as written to <c>runs/NAME/config.json</c>.</summary>
public sealed record RunConfig
{
    /// <summary>Names the run: drawn when the run is created (train, import) and recorded in every checkpoint's manifest,
    /// so a file from another run is told apart (docs/design.md §6). Null in a run made before run ids.</summary>
    [JsonPropertyName("run_id"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? RunId { get; init; }
    [JsonPropertyName("model")] public ModelConfig Model { get; init; } = new();
    [JsonPropertyName("training")] public TrainingConfig Training { get; init; } = new();
    [JsonPropertyName("task")] public TaskSpec Task { get; init; } = new();
    /// <summary>Checkpoint folder whose weights initialize the model (fine-tuning); null for a fresh init.</summary>
    [JsonPropertyName("init_from")] public string? InitFrom { get; init; }
    /// <summary>Where and with what the run was made; filled when training starts.</summary>
    [JsonPropertyName("provenance")] public Provenance? Provenance { get; init; }

    internal static JsonSerializerOptions Json => Setting.Json;

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>A new run id (32 hexadecimal digits).</summary>
    public static string NewRunId() => Guid.NewGuid().ToString("N");

    /// <summary>Whether two configs describe the same run, apart from the number of steps (a resume may raise it):
    /// a run's config.json and each of its checkpoints' config.json always do.</summary>
    public bool SameRunAs(RunConfig other) =>
        (this with { Training = Training with { Steps = 0 } }).ToJson() == (other with { Training = other.Training with { Steps = 0 } }).ToJson();

    /// <summary>Reads a config file, with a clear error when it is missing or malformed.</summary>
    public static RunConfig Read(string path)
    {
        if (!File.Exists(path))
            throw new ToolkitException($"no run config at {path}", "train a run first: toolkit train --out runs/NAME");
        try
        {
            return JsonSerializer.Deserialize<RunConfig>(File.ReadAllText(path), Json)
                   ?? throw new JsonException("empty document");
        }
        catch (JsonException e)
        {
            throw new ToolkitException($"{path} is not a valid run config: {e.Message}", "restore it from the run's latest checkpoint folder");
        }
    }
}
