using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Toolkit.Cli;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Sweeps;

namespace Toolkit.Tests;

/// <summary>The settings with named values are enums that keep TransformerLens's spellings: config.json, a sweep grid,
/// the command line and --help read and write exactly the words they did when the settings were strings.</summary>
public class SettingChoicesTests
{
    /// <summary>Every enum-typed setting with its spellings, as config.json wrote them before the enums: the list the
    /// enums must keep (TransformerLens's words for act_fn, normalization_type and positional_embedding_type).</summary>
    private static readonly (string Key, string[] Spellings)[] Spellings =
    [
        ("act_fn", ["gelu", "relu"]),
        ("normalization_type", ["LN", "LNPre"]),
        ("positional_embedding_type", ["standard", "sinusoidal", "rotary", "shortformer", "none"]),
        ("normalization_position", ["pre", "post"]),
        ("conv_type", ["depthwise", "full"]),
        ("conv_padding", ["causal", "same"]),
        ("routing", ["none", "per-token", "per-sequence", "schedule", "fixed"]),
        ("router_type", ["linear", "gru"]),
        ("route_act_loss", ["mixture", "per-step"]),
        ("dtype", ["float32", "float64"]),
        ("schedule", ["constant", "cosine"]),
    ];

    private static IEnumerable<Setting> EnumSettings => Setting.Model.Concat(Setting.Training)
        .Where(s => (Nullable.GetUnderlyingType(s.Type) ?? s.Type).IsEnum);

    [Test]
    public void Every_enum_setting_offers_exactly_its_spellings()
    {
        Assert.That(EnumSettings.Select(s => (s.Key, s.Choices)), Is.EqualTo(Spellings.Select(e => (e.Key, (IReadOnlyList<string>?)e.Spellings))));
    }

    [Test]
    public void Every_member_round_trips_through_json_under_its_spelling()
    {
        foreach (var s in EnumSettings)
        {
            var type = Nullable.GetUnderlyingType(s.Type) ?? s.Type;
            var members = Enum.GetValues(type).Cast<Enum>().ToList();
            Assert.That(members.Select(m => m.JsonName()), Is.EqualTo(s.Choices), s.Key);
            foreach (var member in members)
            {
                var spelling = member.JsonName();
                Assert.That(JsonSerializer.Serialize(member, type, JsonSerializerOptions.Default), Is.EqualTo($"\"{spelling}\""), $"{s.Key} {member}");
                Assert.That(JsonSerializer.Deserialize($"\"{spelling}\"", type, JsonSerializerOptions.Default), Is.EqualTo(member), $"{s.Key} {spelling}");
                Assert.That(SettingChoices.FromName(type, spelling), Is.EqualTo(member));
                // Through a config, the way config.json, a grid and the command line set it.
                var json = s.Section == "model"
                    ? Setting.Node(Setting.Apply(new ModelConfig(), [KeyValuePair.Create(s.Key, (JsonNode?)spelling)]))
                    : Setting.Node(Setting.Apply(new TrainingConfig(), [KeyValuePair.Create(s.Key, (JsonNode?)spelling)]));
                Assert.That(json![s.Key]!.GetValue<string>(), Is.EqualTo(spelling), $"{s.Key} {spelling}");
            }
        }
        // normalization_type null is no LayerNorm, written as null (as TransformerLens writes it).
        Assert.That(Setting.Node(new ModelConfig())!["normalization_type"], Is.Null);
        Assert.That(Setting.Apply(new ModelConfig { NormalizationType = Normalization.LN }, [KeyValuePair.Create("normalization_type", (JsonNode?)null)]).NormalizationType, Is.Null);
    }

    [TestCase("PerToken", TestName = "The C# member name is not a spelling")]
    [TestCase("PER-TOKEN", TestName = "Spellings are case-sensitive")]
    [TestCase("1", TestName = "A number is not a spelling")]
    [TestCase("sideways", TestName = "An unknown word")]
    public void Json_refuses_anything_but_a_spelling(string text)
    {
        var json = JsonNode.Parse($"{{\"routing\": {(text == "1" ? "1" : $"\"{text}\"")}}}");
        Assert.Throws<JsonException>(() => json.Deserialize<ModelConfig>(JsonSerializerOptions.Default));
    }

    /// <summary>A run's config.json as the toolkit wrote it when these settings were strings (every one set away from
    /// its default), byte for byte.</summary>
    private const string StringEraConfig = """
        {
          "model": {
            "n_layers": 2,
            "n_heads": 2,
            "d_model": 16,
            "d_head": null,
            "d_vocab": 16,
            "n_ctx": 16,
            "attn_only": false,
            "d_mlp": null,
            "act_fn": "relu",
            "normalization_type": "LNPre",
            "positional_embedding_type": "rotary",
            "rotary_dim": null,
            "rotary_base": 10000,
            "tied_embeddings": false,
            "normalization_position": "post",
            "parallel_attn_mlp": false,
            "conv_kernel": 0,
            "conv_type": "full",
            "conv_padding": "same",
            "initializer_range": null,
            "routing": "per-sequence",
            "route_steps": null,
            "route_identity_layers": 0,
            "router_type": "gru",
            "route_prefix": 1,
            "router_temperature": 1,
            "route_act": false,
            "route_ponder_cost": 0.01,
            "route_act_loss": "per-step",
            "route_act_epsilon": 0.01,
            "mask_token": null,
            "n_encoder_layers": 0,
            "source_end_token": null,
            "embed_dropout": 0,
            "attn_dropout": 0,
            "resid_dropout": 0
          },
          "training": {
            "steps": 800,
            "batch_size": 64,
            "lr": 0.01,
            "warmup_steps": 20,
            "schedule": "cosine",
            "min_lr_ratio": 0.1,
            "weight_decay": 0.01,
            "beta1": 0.9,
            "beta2": 0.99,
            "grad_clip": 1,
            "seed": 0,
            "threads": 1,
            "device": "auto",
            "log_every": 20,
            "eval_every": 100,
            "eval_sequences": 256,
            "allow_noncausal": false,
            "mask_prob": 0.15,
            "checkpoint_every": 500
          },
          "task": {
            "name": "repeated-copy",
            "parameters": {}
          },
          "init_from": null,
          "provenance": null
        }
        """;

    [Test]
    public void A_config_json_written_before_the_enums_reads_into_the_same_config_and_writes_back_with_only_the_new_keys()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-choices-").FullName;
        try
        {
            var path = Path.Combine(dir, "config.json");
            File.WriteAllText(path, StringEraConfig);
            var read = RunConfig.Read(path);
            var expected = new RunConfig
            {
                Model = new ModelConfig
                {
                    NLayers = 2, NHeads = 2, DModel = 16, DVocab = 16, NCtx = 16, AttnOnly = false, ActFn = ActivationFunction.Relu,
                    NormalizationType = Normalization.LNPre, PositionalEmbeddingType = PositionalEmbedding.Rotary,
                    NormalizationPosition = LayerNormPosition.Post, ConvType = ConvolutionType.Full, ConvPadding = ConvolutionPadding.Same,
                    Routing = RoutingMode.PerSequence, RouterType = RouterKind.Gru, RouteActLoss = ActLoss.PerStep,
                },
                Training = new TrainingConfig { Schedule = LrSchedule.Cosine, Threads = 1 },
            };
            Assert.That(read.Model, Is.EqualTo(expected.Model));
            Assert.That(read.Training, Is.EqualTo(expected.Training));
            // Written back, it gains only the keys added since, each at its default.
            var now = StringEraConfig.Replace("\"source_end_token\": null,", "\"source_end_token\": null,\n    \"dtype\": \"float32\",").ReplaceLineEndings();
            Assert.That(read.ToJson().ReplaceLineEndings(), Is.EqualTo(now));
            Assert.That(expected.ToJson().ReplaceLineEndings(), Is.EqualTo(now));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void A_grid_takes_every_spelling_and_the_command_line_reads_each_to_the_same_value()
    {
        foreach (var s in EnumSettings)
        {
            var grid = new JsonObject { [s.Section] = new JsonObject { [s.Key] = new JsonArray([.. s.Choices!.Select(c => (JsonNode?)c)]) } };
            var axis = SweepGrid.Parse(grid.ToJsonString()).Axes.Single(a => a.Key == s.Key);
            Assert.That(axis.Values.Select(GridAxis.Display), Is.EqualTo(s.Choices), s.Key);
            foreach (var spelling in s.Choices!)
            {
                var settings = new ConfigOptions();
                var command = new RootCommand();
                foreach (var option in settings.All) command.Options.Add(option);
                var parsed = command.Parse([s.Flag, spelling]);
                Assert.That(parsed.Errors, Is.Empty, $"{s.Flag} {spelling}");
                var (model, training) = settings.Read(parsed);
                var written = s.Section == "model" ? Setting.Node(model) : Setting.Node(training);
                Assert.That(written![s.Key]!.GetValue<string>(), Is.EqualTo(spelling), $"{s.Flag} {spelling}");
            }
        }
    }

    [TestCase("--routing", "PerToken", "'none' 'per-token' 'per-sequence' 'schedule' 'fixed'", TestName = "Routing given by its C# name")]
    [TestCase("--normalization-type", "ln", "'LN' 'LNPre'", TestName = "Normalization in the wrong case")]
    [TestCase("--schedule", "linear", "'constant' 'cosine'", TestName = "An unknown schedule")]
    public void An_unknown_word_on_the_command_line_is_one_line_that_lists_the_spellings(string flag, string value, string listed)
    {
        var (code, _, err) = CliRunner.InProcess("train", flag, value, "--out", Path.Combine(Path.GetTempPath(), "toolkit-never-written"));
        Assert.That(code, Is.EqualTo(2), err);
        CliRunner.AssertTwoLineError(err, $"{flag}: Argument '{value}' not recognized. Must be one of: {listed}");
    }

    [Test]
    public void Printed_text_names_values_by_their_spellings()
    {
        var routed = new ModelConfig { NLayers = 2, NHeads = 2, DModel = 8, DVocab = 11, NCtx = 8, Routing = RoutingMode.PerToken, RouteAct = true };
        Assert.That(ParameterBudget.Describe("routed pool", routed), Does.Contain("routing per-token + ACT"));
        var e = Assert.Throws<ToolkitException>(() => (routed with { Routing = RoutingMode.Schedule }).Resolve());
        Assert.That(e!.Message, Does.Contain("(routing schedule)"));
        Assert.That(RoutingMode.PerSequence.JsonName(), Is.EqualTo("per-sequence"));
        Assert.That(Normalization.LNPre.JsonName(), Is.EqualTo("LNPre"));
    }
}
