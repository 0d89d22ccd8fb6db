namespace Toolkit.Tests.Interop;

/// <summary><c>toolkit import</c> makes a run the analysis commands open (it has no metrics.csv), and <c>toolkit export</c>
/// writes it back; errors keep the two-line shape.</summary>
public class TransformerLensCliTests
{
    private string dir = "";

    [SetUp]
    public void SetUp() => dir = Directory.CreateTempSubdirectory("toolkit-tl-cli-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(dir, recursive: true);

    private (string Weights, string Config) Files(TlModel tl, string extraConfig = "")
    {
        var weights = Path.Combine(dir, "model.safetensors");
        var config = Path.Combine(dir, "cfg.json");
        tl.WriteSafetensors(weights);
        File.WriteAllText(config, tl.ConfigJson(extraConfig));
        return (weights, config);
    }

    [Test]
    public void Imported_run_is_opened_by_probe_analyze_heads_lens_report_and_export()
    {
        var tl = TlModel.Random(layers: 2, heads: 3, dModel: 10, dHead: 4, dVocab: 16, nCtx: 16, attnOnly: false, normalization: "LN", dMlp: 16);
        var (weights, config) = Files(tl);
        var run = Path.Combine(dir, "runs", "imported");
        var (code, output, error) = CliRunner.InProcess("import", weights, "--config", config, "--out", run, "--period", "3..6");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("3 heads of d_head 4, d_model 10").And.Contain("MLP 16 (gelu), normalization LN")
            .And.Contain("period=3..6").And.Not.Contain("placeholder"));
        Assert.That(File.Exists(Path.Combine(run, "metrics.csv")), Is.False);

        foreach (var args in new[]
                 {
                     new[] { "probe", run, "--sequences", "32" }, new[] { "analyze", run, "--sequences", "8" }, new[] { "heads", run },
                     new[] { "lens", run, "--sequences", "16" }, new[] { "report", run }, new[] { "export", run, "--out", Path.Combine(dir, "exported") },
                 })
        {
            var (c, o, e) = CliRunner.InProcess(args);
            Assert.That(c, Is.EqualTo(0), $"toolkit {string.Join(' ', args)}:\n{e}");
            Assert.That(e, Does.Not.Contain("error:"));
            if (args[0] == "probe") Assert.That(o, Does.Contain("no metrics.csv: training dynamics unknown").And.Contain("verdict:"));
        }
        Assert.That(File.ReadAllText(Path.Combine(run, "report.html")), Does.Contain("No metrics.csv"));
        Assert.That(File.Exists(Path.Combine(dir, "exported", "model.safetensors")) && File.Exists(Path.Combine(dir, "exported", "config.json")));
    }

    [Test]
    public void Import_without_a_task_records_a_placeholder_that_fits_the_model_and_says_so()
    {
        var tl = TlModel.Random(layers: 1, heads: 2, dModel: 8, dHead: 3, dVocab: 7, nCtx: 6, attnOnly: true, normalization: null);
        var (weights, config) = Files(tl);
        var run = Path.Combine(dir, "runs", "placeholder");
        var (code, output, error) = CliRunner.InProcess("import", weights, "--config", config, "--out", run);
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("placeholder").And.Contain("context=6").And.Contain("vocab=7").And.Contain("attention-only, normalization none"));
        var (c, _, e) = CliRunner.InProcess("heads", run);
        Assert.That(c, Is.EqualTo(0), e);
    }

    [Test]
    public void Import_errors_are_two_lines_refuse_an_existing_run_and_an_imported_run_is_not_resumed()
    {
        var tl = TlModel.Random(layers: 1, heads: 2, dModel: 8, dHead: 3, dVocab: 12, nCtx: 8, attnOnly: true, normalization: "LN");
        var (weights, config) = Files(tl, ", \"positional_embedding_type\": \"shortformer\"");
        var (code, _, error) = CliRunner.InProcess("import", weights, "--config", config, "--out", Path.Combine(dir, "bad"));
        Assert.That(code, Is.EqualTo(2));
        CliRunner.AssertTwoLineError(error, "positional_embedding_type 'shortformer' is not supported");

        File.WriteAllText(config, tl.ConfigJson());
        var run = Path.Combine(dir, "twice");
        Assert.That(CliRunner.InProcess("import", weights, "--config", config, "--out", run).Code, Is.EqualTo(0));
        (code, _, error) = CliRunner.InProcess("import", weights, "--config", config, "--out", run);
        Assert.That(code, Is.EqualTo(2));
        CliRunner.AssertTwoLineError(error, "already holds a run");

        // An imported run has weights but no optimizer or generator state: resuming it is refused with the way forward.
        (code, _, error) = CliRunner.InProcess("train", "--resume", run, "--steps", "5");
        Assert.That(code, Is.EqualTo(2));
        CliRunner.AssertTwoLineError(error, "holds weights only");

        (code, _, error) = CliRunner.InProcess("import", weights, "--out", Path.Combine(dir, "no-config"));
        CliRunner.AssertTwoLineError(error, "no config given");
    }
}
