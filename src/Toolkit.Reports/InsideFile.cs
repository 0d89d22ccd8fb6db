using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Tasks;
using Toolkit.Verdicts;

namespace Toolkit.Reports;

/// <summary>One simple strategy's accuracy in the shortcut audit.</summary>
public sealed record AuditScore(string Strategy, string Description, double Accuracy);

/// <summary>The shortcut audit of one evaluation set: what each simple strategy scores on it.</summary>
public sealed record AuditSet(string Set, IReadOnlyList<AuditScore> Scores);

/// <summary>One head's attention pattern [dest][src] on the report's sequence, with its label.</summary>
public sealed record SavedHead(string Label, double[][] Pattern);

/// <summary>What a run report shows of the model's inside, saved in <c>RUN/analysis/inside.json</c> so a redraw recomputes
/// nothing: the shortcut audit, every head's attention on one scoring sequence, the logit lens and the composition scores.
/// A file of another schema or checkpoint step is computed again.</summary>
/// <param name="ScoringStart">Where the scoring sequence's repeated block starts.</param>
/// <param name="Lens">The logit lens, or null when it does not apply (<paramref name="LensNote"/> says why).</param>
/// <param name="LensThrough">What the lens reads the stream through ("W_U" or "ln_final and W_U").</param>
/// <param name="Composition">Composition scores, or null for a one-layer or routed model.</param>
/// <param name="RoutedNote">For a routed pool: why the lens and composition are left out; null otherwise.</param>
public sealed record InsideFile(int SchemaVersion, int CheckpointStep, IReadOnlyList<AuditSet> Audit, int ScoringPeriod, int ScoringStart,
    IReadOnlyList<string> Tokens, IReadOnlyList<SavedHead> Attention, IReadOnlyList<LogitLensLayer>? Lens, string LensThrough,
    string? LensNote, CompositionTable? Composition, string? RoutedNote)
{
    /// <summary>The version this build writes.</summary>
    public const int CurrentSchema = 1;

    /// <summary>RUN/analysis/inside.json.</summary>
    public static string PathOf(string runDir) => Path.Combine(runDir, "analysis", "inside.json");

    /// <summary>The saved file when it describes <paramref name="checkpointStep"/> with this schema; otherwise null.</summary>
    public static InsideFile? Read(string runDir, int checkpointStep) =>
        JsonFile.Load<InsideFile>(PathOf(runDir)) is { } file && file.SchemaVersion == CurrentSchema && file.CheckpointStep == checkpointStep ? file : null;

    /// <summary>The saved file for the run's latest checkpoint, or the model looked at (loading the run only then) and saved.</summary>
    public static InsideFile ReadOrCompute(string runDir, int checkpointStep, Func<LoadedRun> load)
    {
        if (Read(runDir, checkpointStep) is { } saved) return saved;
        var file = Compute(load());
        JsonFile.Save(PathOf(runDir), file);
        return file;
    }

    /// <summary>Computes what the report shows of a loaded run's model.</summary>
    public static InsideFile Compute(LoadedRun run)
    {
        var (config, task, model, scoring, heads) = (run.Config, run.Task, run.Model, run.Scoring, run.Heads);
        // What simple strategies would score on the same sets: a high one means the task itself admits a shortcut.
        var audit = ShortcutAudit.table(task, 1UL, 1000, 500)
            .Select(c => new AuditSet(c.Item1, c.Item2.Select(s => new AuditScore(s.Name, s.Description, s.Accuracy)).ToList())).ToList();
        var view = AttentionView.Of(model, task.Vocabulary, scoring.Examples[0], heads);
        // Patterns kept at the 3 decimals the view embeds: the redraw is the same page.
        var attention = view.Heads.Select(h => new SavedHead(h.Label, Enumerable.Range(0, h.Pattern.GetLength(0))
            .Select(i => Enumerable.Range(0, h.Pattern.GetLength(1)).Select(j => Math.Round(h.Pattern[i, j], 3)).ToArray()).ToArray())).ToList();
        var through = model.Config.NormalizationType is null ? "W_U" : "ln_final and W_U";
        if (model.Config.Routed)
            return new InsideFile(CurrentSchema, run.Step, audit, scoring.Period, scoring.Starts[0], view.Tokens, attention, null, through, null, null,
                "Logit lens and composition are left out: this model routes a pool of blocks, so its blocks are no fixed sequence of layers (see the router statistics below).");
        IReadOnlyList<LogitLensLayer>? lens = null;
        string? lensNote = null;
        if (model.Config.MaskedLm)
            lensNote = "Logit lens left out: this model is a masked LM, and the lens reads each layer as a next-token prediction.";
        else if (model.Config.EncoderDecoder)
            lensNote = "Logit lens left out: this model is an encoder-decoder, and the lens reads the decoder blocks as the whole model (they also read the encoder). Composition below is between the decoder's self-attention heads only.";
        else
        {
            using var lensBatch = Batch.Sample(task, Seeds.Derive(config.Training.Seed, Seeds.Stream.Probe), 256, model.Device);
            lens = LogitLens.Run(model, lensBatch.Tokens, lensBatch.LossMask);
        }
        var composition = model.Config.NLayers > 1 ? Toolkit.Analysis.Composition.Compute(model) : null;
        return new InsideFile(CurrentSchema, run.Step, audit, scoring.Period, scoring.Starts[0], view.Tokens, attention, lens, through, lensNote, composition, null);
    }

    /// <summary>The saved attention as the interactive view.</summary>
    public AttentionView.Sequence AttentionSequence() => new(Tokens, Attention.Select(h =>
    {
        var n = h.Pattern.Length;
        var z = new double[n, n == 0 ? 0 : h.Pattern[0].Length];
        for (var i = 0; i < n; i++)
            for (var j = 0; j < h.Pattern[i].Length; j++) z[i, j] = h.Pattern[i][j];
        return new AttentionView.Head(h.Label, z);
    }).ToList());
}
