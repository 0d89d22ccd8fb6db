using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;

namespace Toolkit.Sweeps;

/// <summary>One axis of a grid: a key of the run's own vocabulary (a task parameter, a
/// <c>model</c> or <c>training</c> config key, the task or the seed) and the values it takes.</summary>
/// <param name="Section">"task", "parameters", "model", "training" or "seeds".</param>
/// <param name="Key">The key inside its section ("period", "n_layers", "lr"; "task" and "seed" for those two).</param>
/// <param name="Label">The name used in run names and tables: the key, or section.key where keys of two sections clash.</param>
/// <param name="Values">Each value as its JSON text (strings quoted), in the grid's order.</param>
public sealed record GridAxis(string Section, string Key, string Label, IReadOnlyList<string> Values)
{
    /// <summary>The value as shown in names and tables: strings without their quotes.</summary>
    public static string Display(string json) => JsonNode.Parse(json) is JsonValue v && v.TryGetValue<string>(out var s) ? s : json;
}

/// <summary>A sweep grid (<c>grid.json</c>): task parameters × model configurations × training settings
/// × seeds, each value a list, in the run's own vocabulary (docs/design.md §6).</summary>
/// <remarks>Example: <c>{"task": "repeated-copy", "parameters": {"period": ["32", "6..29"]}, "model": {"n_layers": [1, 2]},
/// "training": {"steps": [1500], "lr": [0.001, 0.003]}, "seeds": [0, 1, 2]}</c>. Settings not named keep
/// <c>toolkit train</c>'s defaults; a task's <c>context</c> and <c>vocab</c> follow the model's n_ctx and d_vocab
/// unless given. Every key and value is checked when the grid is read, and every run's config when it is expanded.</remarks>
public sealed class SweepGrid
{
    /// <summary>The top-level keys a grid may hold.</summary>
    public static readonly IReadOnlyList<string> Sections = ["task", "parameters", "model", "training", "seeds"];

    /// <summary>Training keys a grid may not set, with the reason.</summary>
    private static readonly Dictionary<string, string> SweepOwned = new()
    {
        ["seed"] = "seeds are the grid's own top-level list: write \"seeds\": [0, 1, 2]",
        ["threads"] = "the sweep sets threads per run (cores / --workers locally, --cpus-per-task on Slurm)",
    };

    /// <summary>The grid as read (its canonical JSON is stored in sweep.json).</summary>
    public JsonObject Json { get; }

    /// <summary>The axes in a fixed order: task, parameters, model, training (each in the grid's key order), seeds last.</summary>
    public IReadOnlyList<GridAxis> Axes { get; }

    private SweepGrid(JsonObject json, IReadOnlyList<GridAxis> axes) => (Json, Axes) = (json, axes);

    /// <summary>Axes with more than one value (seeds included when there are several): what tells runs apart.</summary>
    public IReadOnlyList<GridAxis> Varying => Axes.Where(a => a.Values.Count > 1).ToList();

    /// <summary>The number of runs: the product of the list lengths.</summary>
    public long Count => Axes.Aggregate(1L, (n, a) => n * a.Values.Count);

    /// <summary>Reads a grid file, with a clear error for a missing file or malformed JSON.</summary>
    public static SweepGrid Read(string path)
    {
        if (!File.Exists(path))
            throw new ToolkitException($"no grid file at {path}",
                "write one, e.g. {\"task\": \"repeated-copy\", \"parameters\": {\"period\": [\"32\", \"6..29\"]}, \"seeds\": [0, 1]}");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses and checks a grid's JSON text; <paramref name="source"/> names it in errors.</summary>
    public static SweepGrid Parse(string text, string source = "the grid")
    {
        JsonNode? root;
        try { root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }); }
        catch (JsonException e)
        {
            throw new ToolkitException($"{source} is not valid JSON: {e.Message}", "a grid is one JSON object, e.g. {\"model\": {\"n_layers\": [1, 2]}, \"seeds\": [0, 1]}");
        }
        if (root is not JsonObject obj)
            throw new ToolkitException($"{source} is not a JSON object", "a grid is one JSON object, e.g. {\"model\": {\"n_layers\": [1, 2]}, \"seeds\": [0, 1]}");
        foreach (var (key, _) in obj)
            if (!Sections.Contains(key))
                throw new ToolkitException($"{source} has an unknown key '{key}'",
                    $"the valid keys are: {string.Join(", ", Sections)}{Suggest(key, Sections)}");

        var axes = new List<(string Section, string Key, IReadOnlyList<string> Values)>();

        // task: one name or a list of names.
        var tasks = obj["task"] switch
        {
            null => ["\"repeated-copy\""],
            JsonValue v when v.TryGetValue<string>(out var name) => [JsonSerializer.Serialize(name)],
            JsonArray a => Values(a, "task", source),
            _ => throw new ToolkitException($"{source}: \"task\" must be a task name or a list of names", "write \"task\": \"repeated-copy\""),
        };
        foreach (var t in tasks)
        {
            if (JsonNode.Parse(t) is not JsonValue tv || !tv.TryGetValue<string>(out var taskName))
                throw new ToolkitException($"{source}: the task {t} is not a name", "write \"task\": \"repeated-copy\"");
            try { Catalog.Find(taskName); }
            catch (TaskParameterException e) { throw new ToolkitException($"{source}: {e.Message}", e.Hint); }
        }
        axes.Add(("task", "task", tasks));

        // parameters: every task of the grid must declare each key.
        foreach (var (key, node) in Section(obj, "parameters", source))
        {
            foreach (var t in tasks)
            {
                var factory = Catalog.Find(GridAxis.Display(t));
                if (!factory.Parameters.Any(p => p.Name == key))
                    throw new ToolkitException($"{source}: task {factory.Name} has no parameter '{key}'",
                        $"its parameters are: {string.Join(", ", factory.Parameters.Select(p => p.Name))}");
            }
            var values = Values(node, $"parameters.{key}", source);
            foreach (var v in values)
                if (JsonNode.Parse(v) is not JsonValue pv || pv.GetValueKind() is not (JsonValueKind.String or JsonValueKind.Number))
                    throw new ToolkitException($"{source}: parameters.{key} value {v} is not a string or a number",
                        $"task parameters are text, as on the command line: \"{key}\": [\"32\", \"6..29\"]");
            axes.Add(("parameters", key, values.Select(v => JsonSerializer.Serialize(GridAxis.Display(v))).ToList()));
        }

        // model and training: keys of the run's config.json, values checked by deserializing them.
        foreach (var (section, type) in new[] { ("model", typeof(ModelConfig)), ("training", typeof(TrainingConfig)) })
        {
            var known = Setting.JsonKeys(type);
            foreach (var (key, node) in Section(obj, section, source))
            {
                if (section == "training" && SweepOwned.TryGetValue(key, out var why))
                    throw new ToolkitException($"{source}: training.{key} cannot be set by a grid", why);
                if (!known.Contains(key))
                    throw new ToolkitException($"{source} has an unknown {section} key '{key}'",
                        $"the valid {section} keys are: {string.Join(", ", known.Where(k => !SweepOwned.ContainsKey(k) || section != "training"))}{Suggest(key, known)}");
                var values = Values(node, $"{section}.{key}", source);
                foreach (var v in values) CheckValue(type, section, key, v, source);
                axes.Add((section, key, values));
            }
        }

        // seeds: a list of integers (default [0]).
        var seeds = obj["seeds"] is null ? ["0"] : Values(obj["seeds"], "seeds", source);
        foreach (var s in seeds)
            if (!long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
                throw new ToolkitException($"{source}: seed {s} is not an integer", "write \"seeds\": [0, 1, 2]");
        axes.Add(("seeds", "seed", seeds));

        // Labels: the bare key unless two sections share it.
        var clash = axes.GroupBy(a => a.Key).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        var labelled = axes.Select(a => new GridAxis(a.Section, a.Key, clash.Contains(a.Key) ? $"{a.Section}.{a.Key}" : a.Key, a.Values)).ToList();
        var grid = new SweepGrid(obj, labelled);
        if (grid.Count > 100_000)
            throw new ToolkitException($"{source} expands to {grid.Count} runs", "split the grid into several sweeps of at most 100000 runs");
        return grid;
    }

    /// <summary>Every combination once, in a fixed order (the last axis, seeds, varies fastest), named deterministically.</summary>
    /// <remarks>Pure: it reads no task or config code, so it can be tested on any axes.</remarks>
    public IReadOnlyList<GridPoint> Points()
    {
        var varying = Varying.Select(a => a.Label).ToHashSet();
        var points = new List<GridPoint>();
        var index = new int[Axes.Count];
        for (var n = 0L; n < Count; n++)
        {
            var values = new Dictionary<string, string>();
            for (var a = 0; a < Axes.Count; a++) values[Axes[a].Label] = Axes[a].Values[index[a]];
            points.Add(new GridPoint(points.Count, RunName(Axes, values, varying), values));
            for (var a = Axes.Count - 1; a >= 0; a--)
            {
                if (++index[a] < Axes[a].Values.Count) break;
                index[a] = 0;
            }
        }
        var duplicate = points.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ToolkitException($"two runs of the grid would both be named {duplicate.Key}",
                "some values differ only in characters a directory name cannot hold; write them differently");
        return points;
    }

    /// <summary>The readable name of a run: its varying values and its seed, e.g. <c>period=6..29_n_layers=2_seed=1</c>.</summary>
    private static string RunName(IReadOnlyList<GridAxis> axes, IReadOnlyDictionary<string, string> values, HashSet<string> varying)
    {
        var parts = axes.Where(a => varying.Contains(a.Label) || a.Section == "seeds")
            .Select(a => $"{a.Label}={Slug(GridAxis.Display(values[a.Label]))}");
        var name = string.Join('_', parts);
        if (name.Length <= 180) return name;
        // Very long names keep a readable prefix and a hash of the whole name.
        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..10].ToLowerInvariant();
        return $"{name[..160]}-{hash}";
    }

    /// <summary>A value as a path-safe piece: letters, digits and . - + kept, anything else '-'.</summary>
    private static string Slug(string value)
    {
        var sb = new StringBuilder();
        foreach (var c in value) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '+' ? c : '-');
        var s = sb.ToString();
        return s.Length == 0 || s is "." or ".." ? "-" + s : s;
    }

    /// <summary>The run configs of every point, each checked as <c>toolkit train</c> would check it.</summary>
    public IReadOnlyList<SweepRun> Expand()
    {
        var runs = new List<SweepRun>();
        foreach (var point in Points())
        {
            var config = ConfigOf(point);
            try
            {
                var model = config.Model.Resolve();
                config.Training.Validate();
                ITask task;
                try { task = config.Task.Create(); }
                catch (TaskParameterException e) { throw new ToolkitException(e.Message, e.Hint); }
                Evaluator.CheckFits(model, task);
            }
            catch (ToolkitException e)
            {
                throw new ToolkitException($"run {point.Name} of the grid is not valid: {e.Message}", e.Hint);
            }
            var varying = Varying.ToDictionary(a => a.Label, a => GridAxis.Display(point.Values[a.Label]));
            runs.Add(new SweepRun(point.Index, point.Name, config.Training.Seed, varying, config));
        }
        return runs;
    }

    private RunConfig ConfigOf(GridPoint point)
    {
        var model = new Dictionary<string, JsonNode?>();
        var training = new Dictionary<string, JsonNode?>();
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        string task = "repeated-copy";
        foreach (var axis in Axes)
        {
            var value = point.Values[axis.Label];
            switch (axis.Section)
            {
                case "task": task = GridAxis.Display(value); break;
                case "parameters": parameters[axis.Key] = GridAxis.Display(value); break;
                case "model": model[axis.Key] = JsonNode.Parse(value); break;
                case "training": training[axis.Key] = JsonNode.Parse(value); break;
                case "seeds": training["seed"] = JsonNode.Parse(value); break;
            }
        }
        var modelConfig = Setting.Apply(new ModelConfig(), model);
        // As toolkit train does: a task's context and vocab follow the model unless the grid sets them.
        var factory = Catalog.Find(task);
        if (factory.Parameters.Any(p => p.Name == "context")) parameters.TryAdd("context", modelConfig.NCtx.ToString(CultureInfo.InvariantCulture));
        if (factory.Parameters.Any(p => p.Name == "vocab")) parameters.TryAdd("vocab", modelConfig.DVocab.ToString(CultureInfo.InvariantCulture));
        return new RunConfig
        {
            Model = modelConfig,
            Training = Setting.Apply(new TrainingConfig(), training),
            Task = new TaskSpec { Name = task, Parameters = parameters },
        };
    }

    private static IEnumerable<(string Key, JsonNode? Node)> Section(JsonObject grid, string section, string source)
    {
        if (grid[section] is null) return [];
        if (grid[section] is not JsonObject o)
            throw new ToolkitException($"{source}: \"{section}\" must be an object of key: [values]",
                $"write \"{section}\": {{{(section == "parameters" ? "\"period\": [\"32\", \"6..29\"]" : section == "model" ? "\"n_layers\": [1, 2]" : "\"lr\": [0.001, 0.003]")}}}");
        return o.Select(kv => (kv.Key, kv.Value)).ToList();
    }

    /// <summary>A non-empty list of distinct values, as JSON texts.</summary>
    private static List<string> Values(JsonNode? node, string name, string source)
    {
        if (node is not JsonArray array)
            throw new ToolkitException($"{source}: {name} must be a list of values, not {node?.ToJsonString() ?? "null"}",
                $"write every value as a list, e.g. \"{name.Split('.')[^1]}\": [{node?.ToJsonString() ?? "..."}]");
        if (array.Count == 0)
            throw new ToolkitException($"{source}: {name} is an empty list (the grid would have no runs)", $"give {name} at least one value, or leave it out");
        var values = array.Select(v => v?.ToJsonString() ?? "null").ToList();
        var repeated = values.GroupBy(v => v).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
            throw new ToolkitException($"{source}: {name} lists {repeated.Key} twice", "give each value once (seeds repeat a run, not a duplicate value)");
        return values;
    }

    private static void CheckValue(Type type, string section, string key, string value, string source)
    {
        try
        {
            JsonNode.Parse($"{{\"{key}\": {value}}}").Deserialize(type, RunConfig.Json);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            var property = type.GetProperties().First(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name == key);
            var kind = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (kind.IsEnum)
            {
                // A setting with named values: list its spellings, the same words config.json and the command line use.
                var names = SettingChoices.Names(kind);
                throw new ToolkitException($"{source}: {section}.{key} value {value} is not one of {string.Join(", ", names)}",
                    $"write the value as one of those words, e.g. \"{key}\": [{string.Join(", ", names.Take(2).Select(n => $"\"{n}\""))}]");
            }
            throw new ToolkitException($"{source}: {section}.{key} value {value} is not a valid {Describe(kind)}",
                $"{section}.{key} takes {Describe(kind)} values, e.g. \"{key}\": [{Example(kind)}]");
        }
    }

    private static string Describe(Type t) =>
        t == typeof(int) || t == typeof(long) ? "integer" : t == typeof(double) ? "number" : t == typeof(bool) ? "true/false" : "string";

    private static string Example(Type t) =>
        t == typeof(int) || t == typeof(long) ? "1, 2" : t == typeof(double) ? "0.001, 0.003" : t == typeof(bool) ? "true, false" : "\"...\"";

    /// <summary>" (did you mean X?)" for a near miss.</summary>
    private static string Suggest(string key, IEnumerable<string> known) =>
        NearestName.Of(key, known) is { } best ? $" (did you mean '{best}'?)" : "";
}

/// <summary>One combination of a grid: its index, name and the value of every axis (JSON text, by axis label).</summary>
public sealed record GridPoint(int Index, string Name, IReadOnlyDictionary<string, string> Values);
