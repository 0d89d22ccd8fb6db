using System.Text.Json.Nodes;

namespace Toolkit.Tests;

/// <summary>Run directories as tests shape them: copied whole, or turned into what the toolkit wrote before run ids and
/// checkpoint manifests (docs/design.md §6).</summary>
public static class RunFixtures
{
    /// <summary>Copies a directory tree.</summary>
    public static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)));
    }

    /// <summary>Turns a run into one written before run ids: no run_id in any config.json, no manifest.json.</summary>
    public static void MakeLegacy(string run)
    {
        foreach (var config in Directory.GetFiles(run, "config.json", SearchOption.AllDirectories))
        {
            var json = JsonNode.Parse(File.ReadAllText(config))!.AsObject();
            if (!json.Remove("run_id")) continue;
            File.WriteAllText(config, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        }
        foreach (var manifest in Directory.GetFiles(run, "manifest.json", SearchOption.AllDirectories)) File.Delete(manifest);
    }
}
