using System.CommandLine;
using Toolkit.Runs;
using Toolkit.Tasks;

namespace Toolkit.Cli;

/// <summary>Options that choose a task: --task, the common --period/--start/--n-ctx/--d-vocab, and
/// --param key=value for any other task parameter.</summary>
public sealed class TaskOptions
{
    public readonly Option<string?> Task = new("--task") { Description = "task family (toolkit tasks lists them)" };
    public readonly Option<string?> Period = new("--period") { Description = "block length: 32 (fixed) or a range 6..29" };
    public readonly Option<string?> Start = new("--start") { Description = "start offset of the first block: any, 5 or 0..10" };
    public readonly Option<string[]> Params = new("--param") { Description = "any task parameter, key=value (repeatable)", AllowMultipleArgumentsPerToken = true };

    /// <summary>Parses "key=value" items (keys and values trimmed); <paramref name="bad"/> makes the
    /// error for an item without a key.</summary>
    public static Dictionary<string, string> ParseAssignments(IEnumerable<string> items, Func<string, Exception> bad)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            var eq = item.IndexOf('=');
            if (eq <= 0 || item[..eq].Trim().Length == 0) throw bad(item);
            var key = item[..eq].Trim();
            if (!result.TryAdd(key, item[(eq + 1)..].Trim()))
                throw new ToolkitException($"'{key}' is given twice ({key}={result[key]} and {item.Trim()})", $"give {key} once");
        }
        return result;
    }

    /// <summary>The four options, in help order.</summary>
    public IEnumerable<Option> All => [Task, Period, Start, Params];

    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>A task spec from the options, layered over <paramref name="baseSpec"/> (the run's own task, or defaults).</summary>
    public TaskSpec Read(ParseResult r, TaskSpec? baseSpec, int? context = null, int? vocab = null)
    {
        var name = r.GetValue(Task) ?? baseSpec?.Name ?? "repeated-copy";
        var factory = Catalog.Find(name);
        var parameters = baseSpec is not null && baseSpec.Name == name
            ? new Dictionary<string, string>(baseSpec.Parameters)
            : new Dictionary<string, string>();
        bool Declares(string p) => factory.Parameters.Any(s => s.Name == p);
        void Set(string key, string? value)
        {
            if (value is null) return;
            if (!Declares(key))
                throw new ToolkitException($"task {name} has no parameter '{key}'",
                    $"its parameters are: {string.Join(", ", factory.Parameters.Select(s => s.Name))}");
            parameters[key] = value;
        }
        if (context is int c && Declares("context")) parameters["context"] = c.ToString();
        if (vocab is int v && Declares("vocab")) parameters["vocab"] = v.ToString();
        Set("period", r.GetValue(Period));
        Set("start", r.GetValue(Start));
        var assignments = ParseAssignments(r.GetValue(Params) ?? Array.Empty<string>(),
            kv => new ToolkitException($"--param '{kv}' is not key=value", "write --param filler=pad, for example"));
        // A parameter given by its own option and by --param is ambiguous: say so instead of picking one.
        var own = new Dictionary<string, string?> { ["period"] = r.GetValue(Period), ["start"] = r.GetValue(Start) };
        foreach (var (key, value) in assignments)
        {
            if (own.GetValueOrDefault(key) is string given && given != value)
                throw new ToolkitException($"{key} is given twice: --{key} {given} and --param {key}={value}", $"give {key} once");
            Set(key, value);
        }
        return new TaskSpec { Name = name, Parameters = parameters };
    }
}
