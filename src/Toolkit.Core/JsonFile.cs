using System.Text.Json;
using System.Text.Json.Serialization;

namespace Toolkit;

/// <summary>Results saved as JSON: written atomically, NaN and infinities kept as named literals, read back into the
/// same records (a report or notebook redraws a result from its file and recomputes nothing).</summary>
public static class JsonFile
{
    /// <summary>The options every result file is written and read with.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Writes a record as JSON atomically, creating its folder.</summary>
    public static void Save<T>(string path, T record) => AtomicFile.WriteText(path, JsonSerializer.Serialize(record, Options));

    /// <summary>Reads a record, or null when the file does not exist.</summary>
    /// <exception cref="ToolkitException">The file is not such a record.</exception>
    public static T? Load<T>(string path) where T : class
    {
        if (!File.Exists(path)) return null;
        try { return JsonSerializer.Deserialize<T>(File.ReadAllText(path), Options); }
        catch (JsonException e) { throw new ToolkitException($"cannot read {path}: {e.Message}", "delete it and run the command that writes it again"); }
    }
}
