using System.Collections.Concurrent;
using System.Reflection;
using System.Text.Json.Serialization;

namespace Toolkit.Configs;

// The settings that take one of a few named values. Each member carries its JSON spelling (TransformerLens's where
// TransformerLens has the setting), so config.json, sweep grids, TransformerLens config JSON, the command line and
// --help all read and write exactly these words: one list of spellings per setting.

/// <summary>The MLP activation (<c>act_fn</c>).</summary>
[JsonConverter(typeof(SpelledEnumConverter<ActivationFunction>))]
public enum ActivationFunction
{
    [JsonStringEnumMemberName("gelu")] Gelu,
    [JsonStringEnumMemberName("relu")] Relu,
}

/// <summary>The LayerNorms (<c>normalization_type</c>); a null setting means none, as TransformerLens writes it.</summary>
[JsonConverter(typeof(SpelledEnumConverter<Normalization>))]
public enum Normalization
{
    /// <summary>LayerNorm in every block and before the unembedding.</summary>
    [JsonStringEnumMemberName("LN")] LN,
    /// <summary>The same LayerNorms without weights (TransformerLens's folded form).</summary>
    [JsonStringEnumMemberName("LNPre")] LNPre,
}

/// <summary>Where position information comes from (<c>positional_embedding_type</c>).</summary>
[JsonConverter(typeof(SpelledEnumConverter<PositionalEmbedding>))]
public enum PositionalEmbedding
{
    [JsonStringEnumMemberName("standard")] Standard,
    [JsonStringEnumMemberName("sinusoidal")] Sinusoidal,
    [JsonStringEnumMemberName("rotary")] Rotary,
    [JsonStringEnumMemberName("shortformer")] Shortformer,
    [JsonStringEnumMemberName("none")] None,
}

/// <summary>The precision of a model's weights and activations (<c>dtype</c>, TransformerLens's name).</summary>
[JsonConverter(typeof(SpelledEnumConverter<FloatType>))]
public enum FloatType
{
    [JsonStringEnumMemberName("float32")] Float32,
    [JsonStringEnumMemberName("float64")] Float64,
}

/// <summary>Where a block's LayerNorms sit (<c>normalization_position</c>).</summary>
[JsonConverter(typeof(SpelledEnumConverter<LayerNormPosition>))]
public enum LayerNormPosition
{
    [JsonStringEnumMemberName("pre")] Pre,
    [JsonStringEnumMemberName("post")] Post,
}

/// <summary>Conv-Attn's convolution (<c>conv_type</c>).</summary>
[JsonConverter(typeof(SpelledEnumConverter<ConvolutionType>))]
public enum ConvolutionType
{
    [JsonStringEnumMemberName("depthwise")] Depthwise,
    [JsonStringEnumMemberName("full")] Full,
}

/// <summary>Conv-Attn's padding (<c>conv_padding</c>).</summary>
[JsonConverter(typeof(SpelledEnumConverter<ConvolutionPadding>))]
public enum ConvolutionPadding
{
    [JsonStringEnumMemberName("causal")] Causal,
    [JsonStringEnumMemberName("same")] Same,
}

/// <summary>How a routed layer pool picks its blocks (<c>routing</c>); None runs the blocks in order.</summary>
[JsonConverter(typeof(SpelledEnumConverter<RoutingMode>))]
public enum RoutingMode
{
    [JsonStringEnumMemberName("none")] None,
    [JsonStringEnumMemberName("per-token")] PerToken,
    [JsonStringEnumMemberName("per-sequence")] PerSequence,
    [JsonStringEnumMemberName("schedule")] Schedule,
    [JsonStringEnumMemberName("fixed")] Fixed,
}

/// <summary>The router of a routed pool (<c>router_type</c>).</summary>
[JsonConverter(typeof(SpelledEnumConverter<RouterKind>))]
public enum RouterKind
{
    [JsonStringEnumMemberName("linear")] Linear,
    [JsonStringEnumMemberName("gru")] Gru,
}

/// <summary>The loss of adaptive computation time (<c>route_act_loss</c>).</summary>
[JsonConverter(typeof(SpelledEnumConverter<ActLoss>))]
public enum ActLoss
{
    [JsonStringEnumMemberName("mixture")] Mixture,
    [JsonStringEnumMemberName("per-step")] PerStep,
}

/// <summary>The learning rate after warm-up (<c>schedule</c>); the rates themselves are <c>Training.LearningRateSchedule</c>.</summary>
[JsonConverter(typeof(SpelledEnumConverter<LrSchedule>))]
public enum LrSchedule
{
    [JsonStringEnumMemberName("constant")] Constant,
    [JsonStringEnumMemberName("cosine")] Cosine,
}

/// <summary>Reads and writes a setting's value as its JSON spelling only: a number ("routing": 1, or 42, which names no
/// member) is refused like any other unknown value instead of becoming a member by position.</summary>
public sealed class SpelledEnumConverter<T>() : JsonStringEnumConverter<T>(namingPolicy: null, allowIntegerValues: false) where T : struct, Enum;

/// <summary>The JSON spellings of the enum-typed settings, for text that names a value (messages, help, reports).</summary>
public static class SettingChoices
{
    private static readonly ConcurrentDictionary<Type, (string Name, object Value)[]> Members = new();

    /// <summary>The value as config.json spells it ("per-token" for <see cref="RoutingMode.PerToken"/>).</summary>
    public static string JsonName(this Enum value) =>
        Array.Find(Of(value.GetType()), m => m.Value.Equals(value)).Name ?? value.ToString();

    /// <summary>Every JSON spelling of an enum's members, in declaration order.</summary>
    public static IReadOnlyList<string> Names(Type enumType) => Of(enumType).Select(m => m.Name).ToList();

    /// <summary>The member of <typeparamref name="T"/> spelt exactly <paramref name="name"/> in JSON, or null when no member is.</summary>
    public static T? FromName<T>(string name) where T : struct, Enum => FromName(typeof(T), name) is T value ? value : null;

    /// <summary>The member spelt exactly <paramref name="name"/> in JSON, or null when no member is.</summary>
    public static object? FromName(Type enumType, string name) => Array.Find(Of(enumType), m => m.Name == name).Value;

    private static (string Name, object Value)[] Of(Type enumType) => Members.GetOrAdd(enumType, t =>
        t.GetFields(BindingFlags.Public | BindingFlags.Static)
            .OrderBy(f => f.MetadataToken)
            .Select(f => (f.GetCustomAttribute<JsonStringEnumMemberNameAttribute>()?.Name ?? f.Name, f.GetValue(null)!))
            .ToArray());
}
