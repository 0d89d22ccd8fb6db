using System.Globalization;
using System.Text;

namespace Toolkit.Analysis;

/// <summary>A circuit found by composition: a writer head feeding a reader head's input.</summary>
public sealed record Circuit(CompositionScore Link, double Baseline, double ZScore, double SubspaceOverlap)
{
    /// <summary>e.g. "L0H2 → L1H1, K-composition 0.41, baseline 0.12 (9.5 random sds above)".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Link.Sender} → {Link.Receiver}, {Link.Kind}-composition {Link.Score:0.00}, baseline {Baseline:0.00} ({ZScore:0.0} random sds above), subspace overlap (W_O row space vs W_{Link.Kind} column space) {SubspaceOverlap:0.00}");
}

/// <summary>Everything <see cref="Analyzer.Analyze"/> finds about a model: head roles, circuit,
/// composition, copying scores and ablation effects, printable and writable as CSV.</summary>
public sealed record CircuitReport(
    HeadScoreTable Heads,
    CompositionTable Composition,
    IReadOnlyList<SubspaceOverlap> Subspaces,
    IReadOnlyList<HeadCopyingScore> Copying,
    IReadOnlyList<AblationEffect> Ablations,
    Circuit? Circuit,
    TimeSpan Elapsed,
    IReadOnlyList<PathTerm>? Paths = null,
    IReadOnlyList<CrossAttentionScore>? Cross = null)
{
    private static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);

    /// <summary>How many directions each MLP layer's neurons read and write against its width (none for attention-only
    /// models; null in an analysis saved before it was measured).</summary>
    public IReadOnlyList<MlpDirections>? Mlps { get; init; }

    /// <summary>Names of the heads playing a role (above the threshold), best first.</summary>
    public IReadOnlyList<string> Named(HeadRole role) => Heads.Named(role).Select(h => h.Name).ToList();

    /// <summary>A plain-text summary: roles, circuit, copying scores, ablation effects.</summary>
    public string Render()
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"head roles (score > {F(Heads.Threshold)} on a period-{Heads.ScoringPeriod} scoring batch):");
        if (Heads.Layout.Length > 0) s.AppendLine(CultureInfo.InvariantCulture, $"  {Heads.Layout}");
        foreach (var role in Enum.GetValues<HeadRole>())
        {
            var named = Heads.Named(role);
            s.AppendLine(CultureInfo.InvariantCulture, $"  {role,-15} {(named.Count == 0 ? "none" : string.Join(", ", named.Select(h => $"{h.Name} ({HeadScoreTable.Score(h, role).ToString("0.00", CultureInfo.InvariantCulture)})")))}");
        }
        s.AppendLine(CultureInfo.InvariantCulture, $"circuit: {(Circuit is null ? $"none found (needs a previous-token head feeding an induction head by K-composition at least {Analyzer.CircuitMinZ} random sds above random)" : Circuit.ToString())}");
        var topK = Composition.Ranked(CompositionKind.K).Take(3).ToList();
        if (topK.Count > 0)
            s.AppendLine(CultureInfo.InvariantCulture, $"top K-composition: {string.Join("; ", topK.Select(c => $"{c.Sender} → {c.Receiver} {c.Score.ToString("0.00", CultureInfo.InvariantCulture)}"))} (baseline {Composition.Baseline.ToString("0.00", CultureInfo.InvariantCulture)})");
        s.AppendLine($"copying scores: {string.Join(", ", Copying.Select(c => $"{c.Name} {c.Score.ToString("0.00", CultureInfo.InvariantCulture)}"))}");
        if (Paths is { Count: > 0 })
        {
            // Elhage et al. 2021's path expansion: norms of the token → logit maps; virtual heads are V-composition.
            string Top(IEnumerable<PathTerm> terms, int n) => string.Join(", ", terms.OrderByDescending(t => t.Norm).Take(n).Select(t => $"{t.Name} {t.Norm.ToString("0.00", CultureInfo.InvariantCulture)}"));
            var virtualHeads = Paths.Where(t => t.Name.Contains('→')).ToList();
            var line = string.Create(CultureInfo.InvariantCulture, $"path expansion (Frobenius norm of each token → logit map W_E … W_U): direct {Paths[0].Norm:0.00}; ") +
                $"heads {Top(Paths.Skip(1).Where(t => !t.Name.Contains('→')), 4)}" +
                (virtualHeads.Count == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"; virtual heads (V-composition) {Top(virtualHeads, 3)} (mean {virtualHeads.Average(t => t.Norm):0.00})"));
            s.AppendLine(line);
        }
        if (Cross is { Count: > 0 })
            s.AppendLine("cross-attention (attention from the row that emits a token to its source copies; uniform over the source " +
                         string.Create(CultureInfo.InvariantCulture, $"{Cross[0].UniformBaseline:0.00}): ") +
                         string.Join(", ", Cross.OrderByDescending(c => c.SourceCopy).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Name} {c.SourceCopy:0.00}"))));
        foreach (var mlp in Mlps ?? [])
            s.AppendLine($"MLP directions (participation ratios of neuron norms and of singular values): {mlp}");
        s.AppendLine("ablations (masked accuracy / loss; clean first):");
        var clean = Ablations.FirstOrDefault();
        if (clean is not null)
            s.AppendLine(CultureInfo.InvariantCulture, $"  clean            acc {clean.CleanAccuracy:0.000}  loss {clean.CleanLoss:0.000}");
        foreach (var g in Ablations.GroupBy(a => a.Name))
            s.AppendLine("  " + g.Key.PadRight(6) + string.Join("  ", g.Select(a =>
                string.Create(CultureInfo.InvariantCulture, $"{a.Kind.ToString().ToLowerInvariant()}: acc {a.Accuracy:0.000} loss {a.Loss:0.000}"))));
        s.AppendLine(CultureInfo.InvariantCulture, $"analysis took {Elapsed.TotalSeconds:0.00} s");
        return s.ToString();
    }

    /// <summary>Writes heads.csv, composition.csv and ablations.csv into a folder (created if needed).</summary>
    public IReadOnlyList<string> WriteCsv(string folder)
    {
        Directory.CreateDirectory(folder);
        var copying = Copying.ToDictionary(c => c.Name, c => c.Score);
        var heads = new StringBuilder("head,layer,index,previous_token,duplicate_token,induction,copying,roles\n");
        foreach (var h in Heads.Heads)
        {
            var roles = Enum.GetValues<HeadRole>().Where(r => HeadScoreTable.Score(h, r) > Heads.Threshold).Select(r => r.ToString());
            heads.Append(CultureInfo.InvariantCulture, $"{h.Name},{h.Layer},{h.Head},{F(h.PreviousToken)},{F(h.DuplicateToken)},{F(h.Induction)},{F(copying.GetValueOrDefault(h.Name, double.NaN))},{string.Join(";", roles)}\n");
        }
        var overlaps = Subspaces.ToDictionary(o => (o.Writer, o.Reader, o.Read), o => o.MeanCos2);
        var composition = new StringBuilder("sender,receiver,kind,score,baseline,subspace_overlap\n");
        foreach (var c in Composition.Scores)
        {
            var read = c.Kind switch { CompositionKind.Q => HeadSubspace.Q, CompositionKind.K => HeadSubspace.K, _ => HeadSubspace.V };
            composition.Append(CultureInfo.InvariantCulture, $"{c.Sender},{c.Receiver},{c.Kind},{F(c.Score)},{F(Composition.Baseline)},{F(overlaps.GetValueOrDefault((c.Sender, c.Receiver, read), double.NaN))}\n");
        }
        var ablations = new StringBuilder("head,kind,loss,accuracy,clean_loss,clean_accuracy\n");
        foreach (var a in Ablations)
            ablations.Append(CultureInfo.InvariantCulture, $"{a.Name},{a.Kind.ToString().ToLowerInvariant()},{F(a.Loss)},{F(a.Accuracy)},{F(a.CleanLoss)},{F(a.CleanAccuracy)}\n");
        var paths = new[] { "heads.csv", "composition.csv", "ablations.csv" }.Select(n => Path.Combine(folder, n)).ToList();
        File.WriteAllText(paths[0], heads.ToString());
        File.WriteAllText(paths[1], composition.ToString());
        File.WriteAllText(paths[2], ablations.ToString());
        return paths;
    }
}
