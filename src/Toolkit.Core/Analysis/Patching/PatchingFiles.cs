namespace Toolkit.Analysis;

/// <summary>One path-patching measurement as saved: sender, receiver, the inputs patched and the damage.</summary>
public sealed record PathRecord(string Sender, string Receiver, string Through, IReadOnlyList<string> Edges, double Patched, double Damage);

/// <summary>What <c>toolkit patch</c> saves in <c>RUN/analysis/patching.json</c> for the report.</summary>
/// <param name="SchemaVersion">The file's layout (<see cref="PatchingFiles.CurrentSchema"/>; a file without one has the first layout).</param>
public sealed record PatchingRecord(string Metric, string Corruption, int Sequences, double Clean, double Corrupted,
    double[][] ResidPre, double[][] Heads, IReadOnlyList<PathRecord> Paths, int SchemaVersion = PatchingFiles.CurrentSchema);

/// <summary>One kept edge of a circuit as saved.</summary>
public sealed record EdgeRecord(string Sender, string Receiver, string Input, double Effect);

/// <summary>What <c>toolkit circuit</c> saves in <c>RUN/analysis/circuit.json</c> for the report.</summary>
/// <param name="SchemaVersion">The file's layout (<see cref="PatchingFiles.CurrentSchema"/>; a file without one has the first layout).</param>
public sealed record CircuitRecord(string Method, string Metric, string GradientMetric, double Threshold, string Corruption, int Sequences,
    int TotalEdges, double Clean, double Corrupted, double CircuitMetric, double Faithfulness, IReadOnlyList<string> Nodes, IReadOnlyList<EdgeRecord> Edges,
    int SchemaVersion = PatchingFiles.CurrentSchema)
{
    /// <summary>The saved form of a result.</summary>
    public static CircuitRecord From(CircuitResult r, IReadOnlyList<string> nodes) => new(
        r.Method == CircuitMethod.Acdc ? "acdc" : "eap", PatchingMetric.Name(r.Metric), PatchingMetric.Name(r.GradientMetric), r.Threshold,
        r.Corruption, r.Sequences, r.Edges.Count, r.CleanMetric, r.CorruptedMetric, r.CircuitMetric, r.Faithfulness, nodes,
        r.Circuit.Select(e => new EdgeRecord(e.Edge.Sender.Name, e.Edge.Receiver.Name, e.Edge.Input.ToString(), e.Effect)).ToList());
}

/// <summary>Where a run keeps its patching and circuit results (written and read with <see cref="JsonFile"/>).</summary>
public static class PatchingFiles
{
    /// <summary>The layout this build writes and reads, of both files.</summary>
    public const int CurrentSchema = 1;

    /// <summary>Reads a saved patching or circuit file: null when missing; a file of another layout is an error saying which
    /// command writes it again.</summary>
    public static T? Read<T>(string path, Func<T, int> schema, string command) where T : class
    {
        if (JsonFile.Load<T>(path) is not { } record) return null;
        return schema(record) == CurrentSchema ? record
            : throw new ToolkitException($"{path} has layout version {schema(record)}; this build reads version {CurrentSchema}", $"run {command} again to rewrite it");
    }

    /// <summary>RUN/analysis/patching.json.</summary>
    public static string PatchingPath(string runDir) => Path.Combine(runDir, "analysis", "patching.json");

    /// <summary>RUN/analysis/circuit.json.</summary>
    public static string CircuitPath(string runDir) => Path.Combine(runDir, "analysis", "circuit.json");
}
