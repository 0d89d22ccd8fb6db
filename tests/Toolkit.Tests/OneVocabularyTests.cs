using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Toolkit.Cli;
using Toolkit.Configs;
using Toolkit.Runs;
using Toolkit.Sweeps;

namespace Toolkit.Tests;

/// <summary>One name for one setting: a command line, a sweep grid and config.json use the config's keys
/// (n_layers, --n-layers), and the same settings given either way make the same run.</summary>
public class OneVocabularyTests
{
    /// <summary>Keys a run derives from its task, never given by a user.</summary>
    private static readonly string[] Derived = ["mask_token", "source_end_token"];

    [Test]
    public void Every_config_key_is_a_train_option_of_the_same_name_and_every_setting_option_is_a_key()
    {
        var train = Cli.Commands.TrainCommand.Create();
        var flags = train.Options.Select(o => o.Name).ToHashSet();
        foreach (var (section, type) in new[] { ("model", typeof(ModelConfig)), ("training", typeof(TrainingConfig)) })
            foreach (var key in Setting.JsonKeys(type).Except(Derived))
                Assert.That(flags, Does.Contain(Setting.FlagOf(key)), $"{section}.{key} has no option {Setting.FlagOf(key)}");
        var keys = Setting.Model.Concat(Setting.Training).Select(s => s.Flag).ToHashSet();
        var others = flags.Except(keys).Order().ToList();
        Assert.That(others, Is.EqualTo(new[] { "--index", "--objective", "--out", "--param", "--period", "--resume", "--start", "--sweep", "--task" }),
            "an option of train that is no config key must be one of the task, objective and output options");
    }

    /// <summary>Assignments that fit together in one run; a draw takes any subset of them.</summary>
    private static readonly (string Section, string Key, string Json)[][] Pool =
    [
        [("model", "n_layers", "3")], [("model", "n_heads", "2")], [("model", "d_model", "32")], [("model", "d_head", "8")],
        [("model", "d_vocab", "48")], [("model", "n_ctx", "32")],
        [("model", "attn_only", "false"), ("model", "d_mlp", "48"), ("model", "act_fn", "\"relu\"")],
        [("model", "normalization_type", "\"LN\""), ("model", "normalization_position", "\"post\"")], [("model", "positional_embedding_type", "\"sinusoidal\"")],
        [("model", "tied_embeddings", "true")], [("model", "initializer_range", "0.05")],
        [("model", "conv_type", "\"full\""), ("model", "conv_padding", "\"same\"")],
        [("model", "routing", "\"per-token\""), ("model", "router_type", "\"gru\""), ("model", "route_act", "true"), ("model", "route_act_loss", "\"per-step\"")],
        [("model", "embed_dropout", "0.1"), ("model", "attn_dropout", "0.2"), ("model", "resid_dropout", "0.05")], [("model", "dtype", "\"float64\"")],
        [("training", "steps", "300")], [("training", "batch_size", "16")], [("training", "lr", "0.003")], [("training", "warmup_steps", "10")],
        [("training", "schedule", "\"cosine\""), ("training", "min_lr_ratio", "0.2")], [("training", "weight_decay", "0.1")],
        [("training", "beta1", "0.8"), ("training", "beta2", "0.95")], [("training", "grad_clip", "0.5")], [("training", "device", "\"cpu\"")],
        [("training", "log_every", "10"), ("training", "eval_every", "50"), ("training", "eval_sequences", "64")], [("training", "checkpoint_every", "100")],
    ];

    [Test]
    public void The_same_settings_on_a_command_line_and_in_a_grid_make_the_same_run()
    {
        var subsets = Gen.Choose(0, (1 << Pool.Length) - 1).Select(mask => Pool.Where((_, i) => (mask >> i & 1) == 1).SelectMany(a => a).ToArray());
        Prop.ForAll(subsets.ToArbitrary(), assignments =>
        {
            var args = new List<string> { "--period", "3..6", "--seed", "4" };
            var grid = new JsonObject { ["task"] = "repeated-copy", ["parameters"] = new JsonObject { ["period"] = new JsonArray("3..6") }, ["seeds"] = new JsonArray(4) };
            foreach (var (section, key, json) in assignments)
            {
                args.Add(Setting.FlagOf(key));
                args.Add(JsonNode.Parse(json) is JsonValue v && v.TryGetValue<string>(out var text) ? text : json);
                ((grid[section] ??= new JsonObject()).AsObject())[key] = new JsonArray(JsonNode.Parse(json));
            }
            var fromGrid = SweepGrid.Parse(grid.ToJsonString()).Expand().Single().Config;
            var fromCommandLine = CommandLineConfig(args);
            // A sweep sets threads per run; everything else must agree.
            var (a, b) = (Comparable(fromGrid), Comparable(fromCommandLine));
            return (a.ToJson() == b.ToJson()).Label($"{string.Join(' ', args)}\ngrid: {a.ToJson()}\ncommand line: {b.ToJson()}");
        }).Check(PropertyConfig.Cases(60));
    }

    [Test]
    public void Train_without_settings_trains_the_demos_model()
    {
        var demo = Toolkit.Experiments.MemorizationDemo.Config(Toolkit.Experiments.MemorizationDemo.VariablePeriods, Toolkit.Experiments.MemorizationDemo.VariableSteps);
        var train = CommandLineConfig(["--task", "repeated-copy", "--period", Toolkit.Experiments.MemorizationDemo.VariablePeriods]);
        // How often a run saves does not change its numbers; threads are the machine's.
        static RunConfig Saved(RunConfig c) => Comparable(c) with { Training = Comparable(c).Training with { CheckpointEvery = 0 } };
        Assert.That(Saved(train).ToJson(), Is.EqualTo(Saved(demo).ToJson()));
    }

    /// <summary>A config with threads fixed and task parameters in key order: what two ways of making a run must agree on.</summary>
    private static RunConfig Comparable(RunConfig c) => c with
    {
        Training = c.Training with { Threads = 1 },
        Task = c.Task with { Parameters = c.Task.Parameters.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary() },
    };

    /// <summary>The config <c>train</c> builds from a command line, read the way the command reads it.</summary>
    private static RunConfig CommandLineConfig(IReadOnlyList<string> args)
    {
        var task = new TaskOptions();
        var settings = new ConfigOptions();
        var command = new RootCommand();
        foreach (var option in task.All.Concat(settings.All)) command.Options.Add(option);
        var parsed = command.Parse([.. args]);
        Assert.That(parsed.Errors, Is.Empty, string.Join("; ", parsed.Errors.Select(e => e.Message)));
        var (model, training) = settings.Read(parsed);
        return new RunConfig { Model = model, Training = training, Task = task.Read(parsed, null, model.NCtx, model.DVocab) };
    }
}
