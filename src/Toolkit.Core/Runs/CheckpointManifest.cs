using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Toolkit.Runs;

/// <summary><c>manifest.json</c> of a checkpoint folder: the run it belongs to, its step, and the size and SHA-256 of
/// every other file in it (docs/design.md §6).</summary>
/// <remarks>Written last, inside the checkpoint's temporary folder, so a checkpoint under its final name always has
/// one. Hashing happens only when a checkpoint is written or read (a few MB for the models trained here).</remarks>
public sealed record CheckpointManifest
{
    /// <summary>The manifest's file name inside a checkpoint folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The run id of the run that wrote the checkpoint (<see cref="RunConfig.RunId"/>); null in a run made before ids.</summary>
    [JsonPropertyName("run_id")] public string? RunId { get; init; }
    /// <summary>Steps completed when the checkpoint was written.</summary>
    [JsonPropertyName("step")] public int Step { get; init; }
    /// <summary>Every other file of the folder by name.</summary>
    [JsonPropertyName("files")] public SortedDictionary<string, Digest> Files { get; init; } = new(StringComparer.Ordinal);
    /// <summary>The run's metrics.csv as it was when the checkpoint was written: its header and every row up to the step.
    /// A resume keeps exactly these bytes, so they stay the file's beginning for as long as the checkpoint is the run's.</summary>
    [JsonPropertyName("metrics"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public Digest? Metrics { get; init; }

    /// <summary>A file's size and SHA-256 (lower-case hex).</summary>
    public sealed record Digest([property: JsonPropertyName("bytes")] long Bytes, [property: JsonPropertyName("sha256")] string Sha256);

    /// <summary>Hashes every file in <paramref name="folder"/> (and the run's metrics.csv, when given) and writes the
    /// manifest beside them (the folder's last file).</summary>
    public static void Write(string folder, string? runId, int step, string? metricsPath = null)
    {
        var files = new SortedDictionary<string, Digest>(StringComparer.Ordinal);
        foreach (var path in Directory.GetFiles(folder))
        {
            var name = Path.GetFileName(path);
            if (name != FileName) files[name] = DigestOf(path);
        }
        var manifest = new CheckpointManifest { RunId = runId, Step = step, Files = files, Metrics = metricsPath is null ? null : DigestOf(metricsPath) };
        File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(manifest, RunConfig.Json));
    }

    /// <summary>Why the folder does not match its manifest (naming the file), or null when every file listed is as written.
    /// A folder without a manifest gives null and <paramref name="present"/> false. <paramref name="anyRun"/> skips the run id check.</summary>
    public static string? Check(string folder, int step, string? runId, out bool present, bool anyRun = false)
    {
        var path = Path.Combine(folder, FileName);
        present = File.Exists(path);
        if (!present) return null;
        CheckpointManifest manifest;
        try { manifest = Parse(path); }
        catch (JsonException e) { return $"{path} is damaged ({e.Message.Split('\n')[0]})"; }
        if (manifest.Step != step)
            return $"{path} is the manifest of step {manifest.Step}, not of {Path.GetFileName(folder)}";
        if (!anyRun && manifest.RunId != runId)
            return $"{path} belongs to run {manifest.RunId ?? "(none)"}, but the run's config.json names run {runId ?? "(none)"}: the checkpoint was copied from another run";
        foreach (var required in new[] { "model.safetensors", "config.json" })
            if (!manifest.Files.ContainsKey(required)) return $"{path} lists no {required}";
        foreach (var (name, digest) in manifest.Files)
        {
            var file = Path.Combine(folder, name);
            if (!File.Exists(file)) return $"{file} is missing (its manifest lists it)";
            var actual = DigestOf(file);
            if (actual.Bytes != digest.Bytes)
                return $"{file} has {actual.Bytes} bytes, its manifest says {digest.Bytes}: it changed after the checkpoint was written";
            if (!string.Equals(actual.Sha256, digest.Sha256, StringComparison.Ordinal))
                return $"{file} does not match the SHA-256 in its manifest: it changed after the checkpoint was written";
        }
        return null;
    }

    /// <summary>Why <paramref name="metricsPath"/> no longer begins with what it held when the checkpoint in <paramref name="folder"/>
    /// was written, or null when it does. <paramref name="compared"/> is false when there is nothing to compare with: no
    /// readable manifest of run <paramref name="runId"/> with a metrics digest (a damaged or foreign manifest is reported by
    /// <see cref="Check"/>; a checkpoint made before manifests has its rows checked one by one).</summary>
    public static string? CheckMetrics(string folder, string metricsPath, string? runId, out bool compared)
    {
        var path = Path.Combine(folder, FileName);
        Digest? expected;
        try { expected = File.Exists(path) && Parse(path) is { } manifest && manifest.RunId == runId ? manifest.Metrics : null; }
        catch (JsonException) { expected = null; }
        compared = expected is not null;
        if (expected is null) return null;
        if (!File.Exists(metricsPath)) return $"{metricsPath} is missing (checkpoint {Path.GetFileName(folder)} was written after {expected.Bytes} bytes of it)";
        using var stream = File.OpenRead(metricsPath);
        if (stream.Length < expected.Bytes)
            return $"{metricsPath} has {stream.Length} bytes, fewer than the {expected.Bytes} it had when checkpoint {Path.GetFileName(folder)} was written";
        var prefix = new byte[expected.Bytes];
        stream.ReadExactly(prefix);
        return Convert.ToHexStringLower(SHA256.HashData(prefix)) == expected.Sha256 ? null
            : $"{metricsPath} no longer begins with the rows it held when checkpoint {Path.GetFileName(folder)} was written (its first {expected.Bytes} bytes changed)";
    }

    /// <summary>How many leading bytes of the run's metrics.csv the checkpoint in <paramref name="folder"/> vouches for, when
    /// its manifest (of run <paramref name="runId"/>) has a metrics digest and the file still begins with them; else null.</summary>
    public static long? VerifiedMetricsBytes(string folder, string metricsPath, string? runId)
    {
        if (CheckMetrics(folder, metricsPath, runId, out var compared) is not null || !compared) return null;
        return Parse(Path.Combine(folder, FileName)).Metrics!.Bytes;
    }

    private static CheckpointManifest Parse(string path) =>
        JsonSerializer.Deserialize<CheckpointManifest>(File.ReadAllText(path), RunConfig.Json) ?? throw new JsonException("empty document");

    private static Digest DigestOf(string path)
    {
        using var stream = File.OpenRead(path);
        return new Digest(stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
    }
}
