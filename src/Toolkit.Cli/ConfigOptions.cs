using System.CommandLine;
using System.Text.Json.Nodes;
using Toolkit.Configs;

namespace Toolkit.Cli;

/// <summary>The command-line options of a run's settings, made from the configs themselves: one option per
/// <see cref="Setting"/>, named after its config.json key (n_layers → --n-layers), with the config's default,
/// description and choices. A command line, a sweep grid and config.json therefore say the same thing the same way.</summary>
public sealed class ConfigOptions
{
    private readonly List<(Setting Setting, Option Option, Func<ParseResult, JsonNode?> Read)> options = [];

    /// <param name="settings">The settings to offer (default: every model and training setting).</param>
    public ConfigOptions(IEnumerable<Setting>? settings = null)
    {
        foreach (var s in settings ?? Setting.Model.Concat(Setting.Training))
        {
            var make = typeof(ConfigOptions).GetMethod(nameof(Make), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!
                .MakeGenericMethod(s.Type);
            var (option, read) = ((Option, Func<ParseResult, JsonNode?>))make.Invoke(null, [s])!;
            options.Add((s, option, read));
        }
    }

    private static (Option, Func<ParseResult, JsonNode?>) Make<T>(Setting s)
    {
        var type = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        var option = new Option<T>(s.Flag)
        {
            Description = s.Description,
            HelpName = s.Choices is { } c ? (string.Join('|', c) is { Length: <= 16 } all ? all : "NAME") : type == typeof(int) || type == typeof(long) ? "N" : type == typeof(double) ? "X" : null,
        };
        if (s.Default is not null) option.DefaultValueFactory = _ => (T)s.Default;
        if (s.Choices is { } choices) option.AcceptOnlyFromAmong([.. choices]);
        // An enum-typed setting reads the value's JSON spelling (--routing per-token), not the C# member name;
        // AcceptOnlyFromAmong has already refused any other word with the list of spellings.
        if (type.IsEnum)
            option.CustomParser = r => SettingChoices.FromName(type, r.Tokens[0].Value) is { } value ? (T)value : Refuse<T>(r, s);
        return (option, r => Setting.Node(r.GetValue(option)));
    }

    /// <summary>A parse error naming the spellings an enum-typed setting accepts (the value it returns is never read).</summary>
    private static T Refuse<T>(System.CommandLine.Parsing.ArgumentResult r, Setting s)
    {
        r.AddError($"{s.Flag} does not accept '{r.Tokens[0].Value}'; use one of: {string.Join(", ", s.Choices!)}");
        return default!;
    }

    /// <summary>Every option, in the configs' order.</summary>
    public IEnumerable<Option> All => options.Select(o => o.Option);

    /// <summary>The options of one help group (<see cref="Setting.Group"/>).</summary>
    public IEnumerable<Option> InGroup(string group) => options.Where(o => o.Setting.Group == group).Select(o => o.Option);

    /// <summary>The option of a config key.</summary>
    public Option this[string key] => options.Single(o => o.Setting.Key == key).Option;

    /// <summary>The flags given on the command line (not defaulted), in the configs' order.</summary>
    public IReadOnlyList<string> Given(ParseResult r) =>
        options.Where(o => r.GetResult(o.Option) is { Implicit: false }).Select(o => o.Setting.Flag).ToList();

    /// <summary>Whether the setting of <paramref name="key"/> was given on the command line.</summary>
    public bool IsGiven(ParseResult r, string key) => r.GetResult(this[key]) is { Implicit: false };

    /// <summary>The configs the command line asks for: the configs' defaults with every given setting applied.</summary>
    public (ModelConfig Model, TrainingConfig Training) Read(ParseResult r)
    {
        KeyValuePair<string, JsonNode?>[] GivenIn(string section) =>
            options.Where(o => o.Setting.Section == section && r.GetResult(o.Option) is { Implicit: false })
                .Select(o => KeyValuePair.Create(o.Setting.Key, o.Read(r))).ToArray();
        return (Setting.Apply(new ModelConfig(), GivenIn("model")), Setting.Apply(new TrainingConfig(), GivenIn("training")));
    }
}
