using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Toolkit.Sweeps;

namespace Toolkit.Tests.Sweeps;

/// <summary>Grid expansion: every combination once, under unique deterministic names; bad grids refused clearly.</summary>
public class SweepGridTests
{
    /// <summary>Axes a generated grid may use: section, key and a pool of values (JSON texts).</summary>
    private static readonly (string Section, string Key, string[] Pool)[] Pool =
    [
        ("parameters", "period", ["\"4\"", "\"5\"", "\"6..9\"", "\"3..5\"", "\"8\""]),
        ("model", "n_layers", ["1", "2", "3", "4"]),
        ("model", "d_model", ["16", "32", "64", "128"]),
        ("training", "lr", ["0.001", "0.003", "0.0001", "0.01"]),
        ("training", "steps", ["10", "20", "1500", "3000"]),
        ("seeds", "seed", ["0", "1", "2", "7", "11"]),
    ];

    /// <summary>A grid from list lengths (0: axis absent) and an offset into each value pool.</summary>
    private static (string Json, List<(string Label, string[] Values)> Axes) Generate(int code, int offset)
    {
        var grid = new JsonObject();
        var axes = new List<(string, string[])>();
        for (var i = 0; i < Pool.Length; i++)
        {
            var length = (code >> (2 * i)) & 3;
            if (length == 0) continue;
            var (section, key, pool) = Pool[i];
            var values = Enumerable.Range(0, length).Select(j => pool[(offset + j) % pool.Length]).ToArray();
            var list = new JsonArray(values.Select(v => JsonNode.Parse(v)).ToArray());
            if (section == "seeds") grid["seeds"] = list;
            else ((grid[section] ??= new JsonObject()).AsObject())[key] = list;
            axes.Add((key, values));
        }
        if (grid["seeds"] is null) axes.Add(("seed", ["0"]));
        return (grid.ToJsonString(), axes);
    }

    [Test]
    public void Expansion_gives_every_combination_once_under_unique_deterministic_names()
    {
        Prop.ForAll(Gen.Choose(0, 4095).ToArbitrary(), Gen.Choose(0, 20).ToArbitrary(), (code, offset) =>
        {
            var (json, axes) = Generate(code, offset);
            var points = SweepGrid.Parse(json).Points();
            var again = SweepGrid.Parse(json).Points();
            var product = axes.Aggregate(1, (n, a) => n * a.Values.Length);
            var combinations = points.Select(p => string.Join("|", axes.Select(a => p.Values[a.Label]))).ToList();
            var expected = axes.Skip(1).Aggregate(axes[0].Values.ToList(),
                (acc, a) => acc.SelectMany(prefix => a.Values.Select(v => prefix + "|" + v)).ToList()).ToHashSet();
            return points.Count == product
                   && points.Select(p => p.Name).Distinct().Count() == product
                   && points.Select(p => p.Name).SequenceEqual(again.Select(p => p.Name))
                   && points.Select(p => p.Index).SequenceEqual(Enumerable.Range(0, product))
                   && combinations.Distinct().Count() == product
                   && combinations.ToHashSet().SetEquals(expected)
                   && points.All(p => p.Name.Contains("seed=") && !p.Name.Contains('/') && !p.Name.Contains(' '));
        }).Check(PropertyConfig.Quick);
    }

    [Test]
    public void Run_names_are_the_varying_values_and_the_seed()
    {
        var grid = SweepGrid.Parse("""
            {"task": "repeated-copy", "parameters": {"period": ["32", "6..29"]}, "model": {"n_layers": [1, 2]},
             "training": {"steps": [1500], "lr": [0.001, 0.003]}, "seeds": [0, 1, 2]}
            """);
        var runs = grid.Expand();
        Assert.That(runs, Has.Count.EqualTo(2 * 2 * 2 * 3));
        Assert.That(runs[0].Name, Is.EqualTo("period=32_n_layers=1_lr=0.001_seed=0"));
        Assert.That(runs[^1].Name, Is.EqualTo("period=6..29_n_layers=2_lr=0.003_seed=2"));
        Assert.That(runs[^1].Config.Task.Parameters["period"], Is.EqualTo("6..29"));
        Assert.That(runs[^1].Config.Model.NLayers, Is.EqualTo(2));
        Assert.That(runs[^1].Config.Training.LearningRate, Is.EqualTo(0.003));
        Assert.That(runs[^1].Config.Training.Steps, Is.EqualTo(1500));
        Assert.That(runs[^1].Seed, Is.EqualTo(2));
        Assert.That(runs[^1].Config.Task.Parameters["context"], Is.EqualTo("64"), "the task's context follows n_ctx, as toolkit train does");
        Assert.That(runs[0].Values.Keys, Is.EquivalentTo(new[] { "period", "n_layers", "lr", "seed" }), "steps has one value: not varying");
    }

    [TestCase("""{"model": {"n_layers": [1]}, "sedes": [0]}""", "unknown key 'sedes'", "task, parameters, model, training, seeds", TestName = "Unknown top-level key names the valid keys")]
    [TestCase("""{"model": {"n_layer": [1]}}""", "unknown model key 'n_layer'", "n_layers", TestName = "Unknown model key names the valid ones")]
    [TestCase("""{"training": {"learning_rate": [0.1]}}""", "unknown training key 'learning_rate'", "lr", TestName = "Unknown training key names the valid ones")]
    [TestCase("""{"parameters": {"perod": ["4"]}}""", "has no parameter 'perod'", "period", TestName = "Unknown task parameter names the task's parameters")]
    [TestCase("""{"training": {"lr": 0.001}}""", "must be a list", "[0.001]", TestName = "A value that is not a list")]
    [TestCase("""{"training": {"lr": []}}""", "empty list", "at least one value", TestName = "An empty list")]
    [TestCase("""{"training": {"seed": [1]}}""", "training.seed cannot be set by a grid", "seeds", TestName = "Seed inside training")]
    [TestCase("""{"model": {"n_layers": ["two"]}}""", "n_layers value \"two\" is not a valid integer", "integer", TestName = "A value of the wrong type")]
    [TestCase("""{"model": {"routing": ["per-token", "sideways"]}}""", "model.routing value \"sideways\" is not one of none, per-token, per-sequence, schedule, fixed",
        "\"routing\": [\"none\", \"per-token\"]", TestName = "A setting value that is none of its spellings")]
    [TestCase("""{"model": {"routing": [1]}}""", "model.routing value 1 is not one of none, per-token", "", TestName = "A setting value given as a number")]
    [TestCase("""{"seeds": [0, 0]}""", "lists 0 twice", "once", TestName = "A repeated value")]
    [TestCase("""{"task": "no-such-task"}""", "unknown task 'no-such-task'", "repeated-copy", TestName = "Unknown task")]
    [TestCase("""{"model": {"n_layers": [1]""", "not valid JSON", "JSON object", TestName = "Malformed JSON")]
    [TestCase("""{"parameters": {"period": ["6..40"]}}""", "run seed=0 of the grid is not valid", "", TestName = "A run that does not fit the model")]
    [TestCase("""{"model": {"d_model": [30], "n_heads": [4]}}""", "not divisible", "", TestName = "An impossible model")]
    public void Bad_grids_are_refused_with_one_clear_error(string grid, string expected, string hintPart)
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-grid-").FullName;
        try
        {
            var path = Path.Combine(dir, "grid.json");
            File.WriteAllText(path, grid);
            var (code, _, err) = CliRunner.InProcess("sweep", path, "--out", Path.Combine(dir, "out"), "--dry-run");
            Assert.That(code, Is.EqualTo(2), err);
            CliRunner.AssertTwoLineError(err, expected);
            Assert.That(err.Split('\n')[1], Does.Contain(hintPart));
            Assert.That(Directory.Exists(Path.Combine(dir, "out")), Is.False, "nothing written");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestCase("--partition debug", "--partition only apply to Slurm", TestName = "Slurm option without --slurm")]
    [TestCase("--slurm --workers 2", "--workers applies to a local sweep", TestName = "Workers with --slurm")]
    [TestCase("--workers 0", "--workers 0 is outside", TestName = "Zero workers")]
    public void Bad_sweep_options_are_refused(string options, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-grid-").FullName;
        try
        {
            var path = Path.Combine(dir, "grid.json");
            File.WriteAllText(path, """{"seeds": [0, 1]}""");
            var (code, _, err) = CliRunner.InProcess(["sweep", path, "--out", Path.Combine(dir, "out"), "--dry-run", .. options.Split(' ')]);
            Assert.That(code, Is.EqualTo(2), err);
            CliRunner.AssertTwoLineError(err, expected);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void Slurm_dry_run_prints_the_job_script_with_one_array_task_per_run()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-grid-").FullName;
        try
        {
            var path = Path.Combine(dir, "grid.json");
            File.WriteAllText(path, """{"model": {"n_layers": [1, 2]}, "seeds": [0, 1, 2]}""");
            var (code, output, err) = CliRunner.InProcess("sweep", path, "--out", Path.Combine(dir, "out"), "--slurm", "--dry-run",
                "--partition", "cpu", "--time", "1:00:00", "--cpus-per-task", "4", "--gres", "gpu:1");
            Assert.That(code, Is.EqualTo(0), err);
            Assert.That(output, Does.StartWith("#!/bin/bash\n"));
            Assert.That(output, Does.Contain("#SBATCH --array=0-5\n"));
            foreach (var line in new[] { "#SBATCH --partition=cpu", "#SBATCH --time=1:00:00", "#SBATCH --cpus-per-task=4", "#SBATCH --gres=gpu:1" })
                Assert.That(output, Does.Contain(line + "\n"));
            // The built toolkit, run as is for the task's index, with the task's CPUs as threads.
            Assert.That(output, Does.Contain(Path.Combine(AppContext.BaseDirectory, "toolkit.dll")));
            Assert.That(output, Does.Contain($"train --sweep {Path.Combine(dir, "out")} --index \"$SLURM_ARRAY_TASK_ID\" --threads \"${{SLURM_CPUS_PER_TASK:-4}}\""));
            Assert.That(output, Does.Not.Contain("dotnet build").And.Not.Contain("./toolkit"));
            Assert.That(Directory.Exists(Path.Combine(dir, "out")), Is.False, "a dry run writes nothing");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [TestCase("collect {empty}", "no sweep at", TestName = "collect of a directory without sweep.json")]
    [TestCase("train --sweep {empty} --index 0", "no sweep at", TestName = "train --sweep without sweep.json")]
    [TestCase("train --index 0 --out {empty}", "--index needs --sweep", TestName = "--index without --sweep")]
    [TestCase("train --sweep {sweep}", "--sweep needs --index", TestName = "--sweep without --index")]
    [TestCase("train --sweep {sweep} --index 2", "has no run 2", TestName = "an index outside the sweep")]
    [TestCase("train --sweep {sweep} --index 0 --lr 0.1", "--lr cannot change a sweep's run", TestName = "a config option with --sweep")]
    [TestCase("collect {broken}", "is not a valid sweep file", TestName = "collect of a damaged sweep.json")]
    public void Bad_sweep_directories_and_indices_get_the_two_line_error(string commandLine, string expected)
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-grid-").FullName;
        try
        {
            var (empty, sweep, broken) = (Path.Combine(dir, "empty"), Path.Combine(dir, "sweep"), Path.Combine(dir, "broken"));
            Directory.CreateDirectory(empty);
            SweepPlan.Of(SweepGrid.Parse("""{"seeds": [0, 1]}"""), sweep).Save(threads: 1);
            Directory.CreateDirectory(broken);
            File.WriteAllText(Path.Combine(broken, SweepPlan.FileName), "{\"runs\": [");
            var args = commandLine.Replace("{empty}", empty).Replace("{sweep}", sweep).Replace("{broken}", broken).Split(' ');
            var (code, _, err) = CliRunner.InProcess(args);
            Assert.That(code, Is.EqualTo(2), err);
            CliRunner.AssertTwoLineError(err, expected);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Test]
    public void Collect_of_a_sweep_not_yet_run_lists_its_runs_as_not_run()
    {
        var dir = Directory.CreateTempSubdirectory("toolkit-grid-").FullName;
        try
        {
            SweepPlan.Of(SweepGrid.Parse("""{"model": {"n_layers": [1, 2]}, "seeds": [0, 1]}"""), dir).Save(threads: 1);
            var (code, output, err) = CliRunner.InProcess("collect", dir);
            Assert.That(code, Is.EqualTo(0), err);
            Assert.That(output, Does.Contain("4 runs, 0 complete (4 not started); grouped by n_layers"));
            Assert.That(output, Does.Contain("no verdict yet"));
            var frame = Toolkit.Reports.CsvFrame.Read(Path.Combine(dir, "collect.csv"));
            Assert.That(frame.RowCount, Is.EqualTo(4));
            Assert.That(frame.GetColumn<string>("verdict").Values, Is.All.EqualTo("not run"));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
