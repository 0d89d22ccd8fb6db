using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Toolkit.Configs;

/// <summary>Marks a config property as a setting a user gives: on the command line (<c>--n-layers</c> for
/// <c>n_layers</c>), in a sweep grid and in config.json, under one name.</summary>
/// <param name="description">What the setting does, as <c>--help</c> prints it.</param>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SettingAttribute(string description) : Attribute
{
    public string Description { get; } = description;
    /// <summary>The heading it is listed under in <c>--help</c>.</summary>
    public string Group { get; init; } = Setting.ModelGroup;
    /// <summary>The values a text setting accepts (null: any). An enum-typed setting needs none: its choices are its
    /// members' JSON spellings (<see cref="SettingChoices"/>).</summary>
    public string[]? Choices { get; init; }
}

/// <summary>One key of config.json (its <c>model</c> or <c>training</c> section) that a user can set: the single
/// vocabulary of the command line, sweep grids and run directories.</summary>
/// <param name="Section">"model" or "training".</param>
/// <param name="Key">The config.json key, TransformerLens's name where it has one (n_layers, d_vocab, n_ctx).</param>
public sealed record Setting(string Section, string Key, Type Type, object? Default, string Description, string Group, IReadOnlyList<string>? Choices)
{
    public const string ModelGroup = "model";
    public const string VariantGroup = "architecture variants";
    public const string RoutingGroup = "routed pools";
    public const string TrainingGroup = "training";
    public const string RunGroup = "run bookkeeping";

    /// <summary>The command-line option: the key in kebab case (n_layers → --n-layers).</summary>
    public string Flag => FlagOf(Key);

    /// <summary>The option that sets <paramref name="key"/> (a config.json key).</summary>
    public static string FlagOf(string key) => "--" + key.Replace('_', '-');

    /// <summary>Every setting of the model config, in declaration order.</summary>
    public static IReadOnlyList<Setting> Model { get; } = Of("model", typeof(ModelConfig), new ModelConfig());

    /// <summary>Every setting of the training config, in declaration order.</summary>
    public static IReadOnlyList<Setting> Training { get; } = Of("training", typeof(TrainingConfig), new TrainingConfig());

    /// <summary>Every key of a config type's JSON, settings or not (a grid may set any of them).</summary>
    public static IReadOnlyList<string> JsonKeys(Type type) =>
        type.GetProperties().Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name).OfType<string>().ToList();

    /// <summary>How configs are written and read (config.json, grids, the command line): as every result file.</summary>
    internal static JsonSerializerOptions Json => JsonFile.Options;

    /// <summary>A setting's value as config.json writes it (NaN and infinities as names, so validation can refuse them).</summary>
    public static JsonNode? Node<T>(T value) => JsonSerializer.SerializeToNode(value, Json);

    /// <summary>A config with some of its keys set to JSON values: how a command line and a grid point become a config.</summary>
    public static T Apply<T>(T config, IEnumerable<KeyValuePair<string, JsonNode?>> values) where T : class
    {
        var json = JsonSerializer.SerializeToNode(config, Json)!.AsObject();
        foreach (var (key, value) in values) json[key] = value?.DeepClone();
        return json.Deserialize<T>(Json)!;
    }

    private static List<Setting> Of(string section, Type type, object defaults) =>
        type.GetProperties()
            .Select(p => (Property: p, Json: p.GetCustomAttribute<JsonPropertyNameAttribute>(), Setting: p.GetCustomAttribute<SettingAttribute>()))
            .Where(p => p.Json is not null && p.Setting is not null)
            .OrderBy(p => p.Property.MetadataToken)
            .Select(p => new Setting(section, p.Json!.Name, p.Property.PropertyType, p.Property.GetValue(defaults),
                p.Setting!.Description, section == "training" && p.Setting.Group == ModelGroup ? TrainingGroup : p.Setting.Group,
                p.Setting.Choices ?? EnumChoices(p.Property.PropertyType)))
            .ToList();

    /// <summary>An enum-typed setting's choices: its members' JSON spellings, the one list config.json, grids and the
    /// command line share (null for any other type).</summary>
    private static IReadOnlyList<string>? EnumChoices(Type type) =>
        (Nullable.GetUnderlyingType(type) ?? type) is { IsEnum: true } e ? SettingChoices.Names(e) : null;
}
