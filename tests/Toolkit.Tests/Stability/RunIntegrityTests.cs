using System.Buffers.Binary;

namespace Toolkit.Tests.Stability;

/// <summary>A run directory proves itself (docs/design.md §6; issue 26, cases 1–4 and 7): a checkpoint file from another
/// run or another step, non-finite weights, a damaged metrics.csv row and an impossible path are each caught, and a
/// resume passes over what does not verify to the newest checkpoint that does, ending byte for byte as the
/// uninterrupted run. Runs made before run ids and manifests ("legacy") are checked as far as they can be.</summary>
[NonParallelizable]
public class RunIntegrityTests
{
    private string root = "", reference = "", other = "";

    private static readonly string[] Tiny =
        ["--period", "3..6", "--n-ctx", "16", "--d-vocab", "16", "--d-model", "16", "--n-heads", "2", "--batch-size", "8", "--steps", "6",
         "--threads", "1", "--eval-every", "2", "--checkpoint-every", "2", "--embed-dropout", "0.1", "--attn-dropout", "0.1", "--resid-dropout", "0.1"];

    /// <summary>The files a resume must reproduce.</summary>
    private static readonly string[] Results =
        ["metrics.csv", "checkpoints/step-6/model.safetensors", "checkpoints/step-6/optimizer.safetensors", "checkpoints/step-6/state.json"];

    [OneTimeSetUp]
    public void TrainReference()
    {
        root = Directory.CreateTempSubdirectory("toolkit-integrity-").FullName;
        reference = Path.Combine(root, "reference");
        other = Path.Combine(root, "other");
        Train(reference, "--seed", "0");
        Train(other, "--seed", "7");
    }

    [OneTimeTearDown]
    public void CleanUp() => Directory.Delete(root, recursive: true);

    private static void Train(string run, params string[] more)
    {
        var (code, _, err) = CliRunner.InProcess([.. new[] { "train" }, .. Tiny, .. more, "--out", run]);
        Assert.That(code, Is.EqualTo(0), err);
    }

    /// <summary>The reference run as if killed after step 4: its copy without the step-6 checkpoint and report.</summary>
    private string Killed(string name, bool legacy)
    {
        var run = Path.Combine(root, $"{name}-{(legacy ? "legacy" : "current")}-{Guid.NewGuid():N}");
        RunFixtures.Copy(reference, run);
        Directory.Delete(Path.Combine(run, "checkpoints", "step-6"), recursive: true);
        File.Delete(Path.Combine(run, "report.html"));
        if (legacy) RunFixtures.MakeLegacy(run);
        return run;
    }

    private static (int Code, string Err) Resume(string run)
    {
        var (code, _, err) = CliRunner.InProcess("train", "--resume", run);
        return (code, err);
    }

    private void AssertSameAsReference(string run)
    {
        foreach (var file in Results)
            Assert.That(File.ReadAllBytes(Path.Combine(run, file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(reference, file))), file);
    }

    [Test]
    public void Case1_a_state_json_from_another_run_is_passed_over_and_the_resume_ends_as_the_uninterrupted_run()
    {
        var run = Killed("foreign-state", legacy: false);
        File.Copy(Path.Combine(other, "checkpoints", "step-4", "state.json"), Path.Combine(run, "checkpoints", "step-4", "state.json"), overwrite: true);
        var (code, err) = Resume(run);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(err, Does.Contain("passed over").And.Contain(Path.Combine(run, "checkpoints", "step-4", "state.json")));
        AssertSameAsReference(run);
    }

    [Test]
    public void Case1_a_whole_checkpoint_from_another_run_is_named_as_another_run_s()
    {
        var run = Killed("foreign-checkpoint", legacy: false);
        var step4 = Path.Combine(run, "checkpoints", "step-4");
        Directory.Delete(step4, recursive: true);
        RunFixtures.Copy(Path.Combine(other, "checkpoints", "step-4"), step4);
        var (code, _, err) = CliRunner.InProcess("analyze", run);
        Assert.That(code, Is.EqualTo(2), err);
        Assert.That(err, Does.Contain("belongs to run").And.Contain("copied from another run"));
        (code, err) = Resume(run);
        Assert.That(code, Is.EqualTo(0), err);
        AssertSameAsReference(run);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Case2_a_state_json_of_another_step_is_caught_and_passed_over(bool legacy)
    {
        var run = Killed("step-mismatch", legacy);
        File.Copy(Path.Combine(run, "checkpoints", "step-2", "state.json"), Path.Combine(run, "checkpoints", "step-4", "state.json"), overwrite: true);
        var (code, err) = Resume(run);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(err, Does.Contain("passed over").And.Contain("state.json"));
        Assert.That(err, Does.Not.Contain("resuming at step 4"));
        AssertSameAsReference(run);
    }

    /// <summary>NaN in the first weights of the step-4 model.</summary>
    private static void NaNWeights(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var data = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        for (var i = 0; i < 4; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(data + 4 * i), float.NaN);
        File.WriteAllBytes(file, bytes);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Case3_a_non_finite_checkpoint_is_bad_input_naming_the_file_never_a_divergence(bool legacy)
    {
        var run = Killed("nan", legacy);
        var model = Path.Combine(run, "checkpoints", "step-4", "model.safetensors");
        NaNWeights(model);
        var (code, _, err) = CliRunner.InProcess("analyze", run);
        Assert.That(code, Is.EqualTo(2), err);
        CliRunner.AssertTwoLineError(err, model);
        (code, err) = Resume(run);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(err, Does.Not.Contain("diverged"));
        Assert.That(err, Does.Contain("passed over").And.Contain(model));
        AssertSameAsReference(run);
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Case4_a_malformed_metrics_row_before_the_newest_checkpoint_is_never_kept(bool legacy)
    {
        var run = Killed("metrics-row", legacy);
        var metrics = Path.Combine(run, "metrics.csv");
        var lines = File.ReadAllLines(metrics);
        lines[2] = "4,0.001"; // the row of step 4, cut short
        File.WriteAllLines(metrics, lines);
        var (code, _, err) = CliRunner.InProcess("report", run);
        Assert.That(code, Is.EqualTo(2), err);
        CliRunner.AssertTwoLineError(err, $"{metrics} line 3 is damaged");
        (code, err) = Resume(run);
        Assert.That(code, Is.EqualTo(0), err);
        AssertSameAsReference(run);
        (code, _, err) = CliRunner.InProcess("report", run);
        Assert.That(code, Is.EqualTo(0), err);
    }

    [Test]
    public void Case4_a_changed_number_in_an_old_row_is_caught_by_the_manifest()
    {
        var run = Killed("metrics-digit", legacy: false);
        var metrics = Path.Combine(run, "metrics.csv");
        var text = File.ReadAllText(metrics);
        var row2 = text.IndexOf("\n2,", StringComparison.Ordinal) + 1;
        var comma = text.IndexOf(',', text.IndexOf(',', row2) + 1) + 1; // the first digit of step 2's train_loss
        var digit = text[comma + 2];
        File.WriteAllText(metrics, text[..(comma + 2)] + (digit == '9' ? '8' : (char)(digit + 1)) + text[(comma + 3)..]);
        var (code, _, err) = CliRunner.InProcess("analyze", run);
        Assert.That(code, Is.EqualTo(2), err);
        CliRunner.AssertTwoLineError(err, metrics);
        // Every checkpoint was written after row 2: training starts over, and still ends as the reference.
        HintRunner.AssertHintWorks(["analyze", run], err, run, () => Path.Combine(root, $"fresh-{Guid.NewGuid():N}"));
        AssertSameAsReference(run);
    }

    [Test]
    public void A_missing_optimizer_file_is_passed_over_without_a_hint_to_an_option_train_rejects([Values] bool legacy)
    {
        var run = Killed("no-optimizer", legacy);
        File.Delete(Path.Combine(run, "checkpoints", "step-4", "optimizer.safetensors"));
        var (code, err) = Resume(run);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(err, Does.Not.Contain("--init-from"));
        AssertSameAsReference(run);
    }

    [Test]
    public void A_legacy_run_resumes_with_a_one_line_note_and_ends_as_the_uninterrupted_run()
    {
        var run = Killed("legacy", legacy: true);
        var (code, err) = Resume(run);
        Assert.That(code, Is.EqualTo(0), err);
        Assert.That(err.Split('\n').Count(l => l.Contains("made before run ids", StringComparison.Ordinal)), Is.EqualTo(1), err);
        AssertSameAsReference(run);
    }

    [Test]
    public void Case7_a_path_the_file_system_cannot_hold_is_refused_before_anything_is_written()
    {
        var baseDir = Path.Combine(root, $"long-{Guid.NewGuid():N}");
        Directory.CreateDirectory(baseDir);
        var path = baseDir;
        while (path.Length <= 4100) path = Path.Combine(path, new string('d', 200));
        var args = new[] { "train" }.Concat(Tiny).Concat(["--out", path]).ToArray();
        var (code, _, err) = CliRunner.InProcess(args);
        Assert.That(code, Is.EqualTo(2), err);
        CliRunner.AssertTwoLineError(err, "bytes long");
        Assert.That(Directory.GetFileSystemEntries(baseDir), Is.Empty, "a rejected command writes nothing");
        HintRunner.AssertHintWorks(args, err, null, () => Path.Combine(root, $"fresh-{Guid.NewGuid():N}"));
    }

    [Test]
    public void Case8_a_folder_name_longer_than_the_file_system_holds_gets_a_hint_that_works()
    {
        var args = new[] { "train" }.Concat(Tiny).Concat(["--out", Path.Combine(root, new string('n', 300))]).ToArray();
        var (code, _, err) = CliRunner.InProcess(args);
        Assert.That(code, Is.EqualTo(2), err);
        CliRunner.AssertTwoLineError(err, "300 bytes long");
        HintRunner.AssertHintWorks(args, err, null, () => Path.Combine(root, $"fresh-{Guid.NewGuid():N}"));
    }

    [Test]
    public void Case8_train_on_a_task_with_more_tokens_than_the_vocabulary_hints_a_larger_vocabulary()
    {
        var args = new[] { "train", "--task", "text", "--steps", "2", "--threads", "1", "--batch-size", "2", "--eval-every", "2", "--n-layers", "1",
            "--d-model", "16", "--n-heads", "2", "--out", Path.Combine(root, $"text-{Guid.NewGuid():N}") };
        var (code, _, err) = CliRunner.InProcess(args);
        Assert.That(code, Is.EqualTo(2), err);
        CliRunner.AssertTwoLineError(err, "d_vocab is 64");
        HintRunner.AssertHintWorks(args, err, null, () => Path.Combine(root, $"fresh-{Guid.NewGuid():N}"));
    }
}
