using Toolkit.Runs;
using Toolkit.Reports;
using Toolkit.Sweeps;
using Toolkit.Verdicts;

namespace Toolkit.Tests.Sweeps;

/// <summary>A local sweep of two tiny runs (child toolkit train processes): it completes, a rerun skips
/// both, an interrupted run is resumed to the same files, and collect sees both.</summary>
[NonParallelizable]
public class LocalSweepTests
{
    /// <summary>Two runs (n_layers 1 and 2) of 20 steps on a 24-token context, checkpoints every 10 steps.</summary>
    public const string TinyGrid = """
        {"task": "repeated-copy", "parameters": {"period": ["4..9"]},
         "model": {"n_ctx": [24], "d_vocab": [24], "d_model": [32], "n_heads": [2], "n_layers": [1, 2]},
         "training": {"steps": [20], "batch_size": [16], "warmup_steps": [5], "eval_every": [10], "checkpoint_every": [10], "eval_sequences": [64]},
         "seeds": [3]}
        """;

    private string root = "", grid = "", sweep = "";
    private (int Code, string Out, string Err) first;

    [OneTimeSetUp]
    public void SweepOnce()
    {
        root = Directory.CreateTempSubdirectory("toolkit-sweep-").FullName;
        grid = Path.Combine(root, "grid.json");
        File.WriteAllText(grid, TinyGrid);
        sweep = Path.Combine(root, "out");
        first = CliRunner.InProcess("sweep", grid, "--out", sweep, "--workers", "2");
    }

    [OneTimeTearDown]
    public void Clean() => Directory.Delete(root, recursive: true);

    private SweepPlan Plan => SweepPlan.Open(sweep);

    [Test]
    public void A_sweep_of_two_runs_completes_with_its_sweep_json()
    {
        Assert.That(first.Code, Is.EqualTo(0), first.Err + first.Out);
        Assert.That(first.Out, Does.Contain("2 runs; 2 trained, 0 resumed, 0 skipped"));
        Assert.That(first.Err, Does.Contain("2/2 runs").And.Contain("runs/min").And.Contain("ETA"), "the progress view");
        var plan = Plan;
        Assert.That(plan.Runs.Select(r => r.Name), Is.EqualTo(new[] { "n_layers=1_seed=3", "n_layers=2_seed=3" }));
        Assert.That(plan.Varying, Is.EqualTo(new[] { "n_layers" }));
        Assert.That(plan.Provenance!.GitCommit, Is.Not.Empty);
        Assert.That(plan.Grid["model"]!["n_layers"]!.ToJsonString(), Is.EqualTo("[1,2]"));
        foreach (var run in plan.Runs)
        {
            Assert.That(plan.StateOf(run).State, Is.EqualTo(RunState.Complete), run.Name);
            var config = Toolkit.Runs.RunConfig.Read(Path.Combine(plan.PathOf(run), "config.json"));
            Assert.That(config.Training.Threads, Is.EqualTo(Math.Max(1, Environment.ProcessorCount / 2)), "threads = cores / workers");
            Assert.That(config.Model.NLayers, Is.EqualTo(run.Config.Model.NLayers));
            Assert.That(File.Exists(Path.Combine(sweep, "logs", run.Name + ".log")));
        }
    }

    [Test]
    public void A_rerun_skips_both_runs()
    {
        var finals = Plan.Runs.Select(r => Path.Combine(Plan.PathOf(r), "checkpoints", "step-20", "model.safetensors")).ToList();
        var times = finals.Select(File.GetLastWriteTimeUtc).ToList();
        var (code, output, err) = CliRunner.InProcess("sweep", grid, "--out", sweep);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("0 trained, 0 resumed, 2 skipped (complete)"));
        Assert.That(finals.Select(File.GetLastWriteTimeUtc), Is.EqualTo(times), "nothing retrained");
    }

    [Test]
    public void An_interrupted_run_is_resumed_to_the_files_of_an_uninterrupted_one()
    {
        // An interrupted run: config.json and the step-10 checkpoint, no final checkpoint.
        var run = Plan.Runs[1];
        var path = Plan.PathOf(run);
        var metrics = File.ReadAllText(Path.Combine(path, "metrics.csv"));
        Directory.Delete(Path.Combine(path, "checkpoints", "step-20"), recursive: true);
        Assert.That(Plan.StateOf(run).State, Is.EqualTo(RunState.Interrupted));

        var (dryCode, dry, _) = CliRunner.InProcess("sweep", grid, "--out", sweep, "--dry-run");
        Assert.That(dryCode, Is.EqualTo(0));
        Assert.That(dry, Does.Contain("would train 0, resume 1, skip 1"));

        var (code, output, err) = CliRunner.InProcess("sweep", grid, "--out", sweep);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("0 trained, 1 resumed, 1 skipped"));
        Assert.That(Plan.StateOf(run).State, Is.EqualTo(RunState.Complete));
        Assert.That(File.ReadAllText(Path.Combine(path, "metrics.csv")), Is.EqualTo(metrics), "resume reproduces the uninterrupted run");
        Assert.That(File.ReadAllText(Path.Combine(sweep, "logs", run.Name + ".log")), Does.Contain("resuming at step 10"));
    }

    [Test]
    public void A_different_grid_into_the_same_directory_is_refused()
    {
        var other = Path.Combine(root, "other.json");
        File.WriteAllText(other, TinyGrid.Replace("\"steps\": [20]", "\"steps\": [30]"));
        var (code, _, err) = CliRunner.InProcess("sweep", other, "--out", sweep);
        Assert.That(code, Is.EqualTo(2));
        CliRunner.AssertTwoLineError(err, "already holds a different sweep");
    }

    [Test]
    public void Collect_sees_both_runs_with_their_verdicts()
    {
        var (code, output, err) = CliRunner.InProcess("collect", sweep, "--sequences", "64");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(output, Does.Contain("2 runs, 2 complete; grouped by n_layers"));
        Assert.That(output, Does.Contain("n_layers=1").And.Contain("n_layers=2").And.Contain("of 1 seeds"));
        var frame = CsvFrame.Read(Path.Combine(sweep, "collect.csv"));
        Assert.That(frame.RowCount, Is.EqualTo(2));
        var runs = frame.GetColumn<string>("run").Values.ToList();
        Assert.That(runs, Is.EqualTo(new[] { "n_layers=1_seed=3", "n_layers=2_seed=3" }));
        Assert.That(CsvFrame.Column(frame, "seed"), Is.EqualTo(new[] { 3.0, 3.0 }));
        Assert.That(CsvFrame.Column(frame, "n_layers"), Is.EqualTo(new[] { 1.0, 2.0 }));
        Assert.That(CsvFrame.Column(frame, "steps"), Is.EqualTo(new[] { 20.0, 20.0 }));
        Assert.That(CsvFrame.Column(frame, "in_distribution_accuracy"), Has.All.InRange(0.0, 1.0));
        // The verdict is the library's: the same as toolkit probe --sequences 64 gives on the run.
        var judged = SeedStudy_Judge(Path.Combine(sweep, runs[0]));
        Assert.That(frame.GetColumn<string>("verdict").Values.First(), Is.EqualTo(judged));
        var html = File.ReadAllText(Path.Combine(sweep, "collect.html"));
        Assert.That(html, Does.Contain("n_layers=1_seed=3").And.Contain("Accuracy by group"));
        Assert.That(html, Does.Contain("<a href=\"n_layers%3D1_seed%3D3/report.html\">n_layers=1_seed=3</a>"), "each run links to its report");

        // The data: collect.json holds the same runs and verdicts, and each run keeps the verdict collect judged.
        Assert.That(output, Does.Contain($"data: {Path.Combine(sweep, CollectFile.FileName)}"));
        var saved = JsonFile.Load<CollectFile>(Path.Combine(sweep, CollectFile.FileName))!;
        Assert.That(saved.SchemaVersion, Is.EqualTo(CollectFile.CurrentSchema));
        Assert.That(saved.Runs.Select(r => r.Name), Is.EqualTo(runs));
        Assert.That(saved.Runs[0].Verdict!.Verdict.Kind, Is.EqualTo(judged));
        Assert.That(saved.Groups.Select(g => g.Label), Is.EqualTo(new[] { "n_layers=1", "n_layers=2" }));
        Assert.That(saved.Groups[0].InDistribution.Mean, Is.EqualTo(CsvFrame.Column(frame, "in_distribution_accuracy")[0]).Within(1e-12));
        // One rendering of the tables: collect.html's group and run tables are the notebook view's, drawn from collect.json.
        var tables = CollectView.Html(saved);
        Assert.That(tables, Does.Contain("<td>n_layers=1</td>").And.Contain($"<td>{VerdictKinds.Parse(judged).Predicate()} in 1 of 1 seeds</td>"));
        foreach (var table in new[] { CollectView.Groups(saved), CollectView.Runs(saved) })
            foreach (var row in table.Rows)
                Assert.That(html, Does.Contain(string.Concat(row.Skip(1).Select(c => $"<td>{Toolkit.Html.Encode(c)}</td>"))), table.Caption);
        var verdictFile = VerdictFile.PathOf(Path.Combine(sweep, runs[0]));
        Assert.That(File.Exists(verdictFile), "collect saves each run's verdict");

        // A second collect reads the saved verdicts: an edit to one shows up, so nothing was judged again.
        File.WriteAllText(verdictFile, File.ReadAllText(verdictFile).Replace("\"Headline\": \"", "\"Headline\": \"EDITED "));
        (code, _, err) = CliRunner.InProcess("collect", sweep, "--sequences", "64");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(File.ReadAllText(Path.Combine(sweep, "collect.html")), Does.Contain("EDITED "));
        // Another rule (a different tolerance) judges again.
        (code, _, err) = CliRunner.InProcess("collect", sweep, "--sequences", "64", "--tolerance", "0.2");
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(File.ReadAllText(Path.Combine(sweep, "collect.html")), Does.Not.Contain("EDITED "));
    }

    private static string SeedStudy_Judge(string run) => SeedStudy.Judge(run, new VerdictSettings { Sequences = 64 }).Verdict.Kind.Word();
}
