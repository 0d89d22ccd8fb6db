using System.Globalization;
using System.Text.RegularExpressions;
using Toolkit.Analysis;

namespace Toolkit.Reports;

/// <summary>The part of a run report that shows saved analyses: activation and path patching (<c>toolkit patch</c>)
/// and the circuit found by ACDC or EAP (<c>toolkit circuit</c>).</summary>
public static partial class AnalysisSection
{
    /// <summary>Adds whatever of RUN/analysis/patching.json and circuit.json exists; returns whether anything was added.</summary>
    public static bool Add(HtmlReport report, string runDir)
    {
        var added = false;
        static string F(double x) => double.IsFinite(x) ? x.ToString("F3", CultureInfo.InvariantCulture) : "n/a";
        if (PatchingFiles.Read<PatchingRecord>(PatchingFiles.PatchingPath(runDir), r => r.SchemaVersion, $"toolkit patch {runDir}") is { } p)
        {
            added = true;
            report.AddHeading("Activation patching");
            report.AddParagraph($"{p.Sequences} sequences ({p.Corruption}); metric {p.Metric}: clean {F(p.Clean)}, corrupted {F(p.Corrupted)}. " +
                                "Each cell restores one clean activation in the corrupted run: recovery = (patched − corrupted) / (clean − corrupted), 1 = clean behaviour restored.");
            if (p.ResidPre.Length > 0)
            {
                var z = ToMatrix(p.ResidPre);
                report.AddHeatmap("recovery: resid_pre at one position (layer × position)", z,
                    Enumerable.Range(0, z.GetLength(1)).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray(),
                    Enumerable.Range(0, z.GetLength(0)).Select(l => $"L{l}").ToArray());
                var h = ToMatrix(p.Heads);
                report.AddHeatmap("recovery: one head's output at every position (layer × head)", h,
                    Enumerable.Range(0, h.GetLength(1)).Select(i => $"H{i}").ToArray(),
                    Enumerable.Range(0, h.GetLength(0)).Select(l => $"L{l}").ToArray());
            }
            if (p.Paths.Count > 0)
                report.AddTable("path patching: the edges carry the sender's corrupted output, everything else clean; damage = (clean − patched) / (clean − corrupted)",
                    ["edges", $"{p.Metric} patched", "damage"], p.Paths.Select(x => (IReadOnlyList<string>)[string.Join(", ", x.Edges), F(x.Patched), F(x.Damage)]));
        }
        if (PatchingFiles.Read<CircuitRecord>(PatchingFiles.CircuitPath(runDir), r => r.SchemaVersion, $"toolkit circuit {runDir}") is { } c)
        {
            added = true;
            report.AddHeading($"Circuit ({c.Method.ToUpperInvariant()})");
            report.AddParagraph($"{c.Sequences} sequences ({c.Corruption}); metric {c.Metric}" +
                                (c.GradientMetric != c.Metric ? $" (edges ranked by the gradient of {c.GradientMetric})" : "") +
                                $", τ = {c.Threshold.ToString("G3", CultureInfo.InvariantCulture)}. {c.Edges.Count} of {c.TotalEdges} edges kept. " +
                                $"{c.Metric}: full model {F(c.Clean)} clean, {F(c.Corrupted)} corrupted; circuit alone (every other edge corrupted) {F(c.CircuitMetric)}; " +
                                $"faithfulness {(double.IsFinite(c.Faithfulness) ? c.Faithfulness.ToString("P1", CultureInfo.InvariantCulture) : "n/a")}.");
            report.AddTable("kept edges; effect = change of the damage when the edge alone carries its corrupted value",
                ["edge", "effect"], c.Edges.Select(e => (IReadOnlyList<string>)[Name(e), F(e.Effect)]));
            var nodes = c.Nodes.Select(n => (n, Position(n, c.Nodes))).Select(t => (t.n, t.Item2.X, t.Item2.Y)).ToList();
            report.AddNetwork("the circuit: embeddings at the bottom, logits at the top, one row per layer; line width ∝ |effect|",
                nodes, c.Edges.Select(e => (e.Sender, e.Receiver, e.Input is "Q" or "K" or "V" ? e.Input : "", e.Effect)).ToList());
        }
        return added;
    }

    private static string Name(EdgeRecord e) => $"{e.Sender} → {e.Receiver}{(e.Input is "Q" or "K" or "V" ? "." + e.Input : "")}";

    /// <summary>Diagram position of a node: embed at the bottom, heads of layer l in row l + 1, the layer's MLP after its heads, logits on top.</summary>
    private static (double X, double Y) Position(string node, IReadOnlyList<string> all)
    {
        var layers = all.Select(n => HeadName().Match(n)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max() + 1;
        var heads = all.Select(n => HeadName().Match(n)).Where(m => m.Success).Select(m => int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max() + 1;
        var centre = (heads - 1) / 2.0;
        if (node == "embed") return (centre, 0);
        if (node == "logits") return (centre, layers + 1);
        var h = HeadName().Match(node);
        if (h.Success) return (int.Parse(h.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(h.Groups[1].Value, CultureInfo.InvariantCulture) + 1);
        var m = MlpName().Match(node);
        if (m.Success) return (heads + 0.5, int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1.4);
        return (centre, 0);
    }

    private static double[,] ToMatrix(double[][] rows)
    {
        var m = new double[rows.Length, rows.Length == 0 ? 0 : rows[0].Length];
        for (var i = 0; i < rows.Length; i++)
            for (var j = 0; j < rows[i].Length; j++) m[i, j] = rows[i][j];
        return m;
    }

    [GeneratedRegex(@"^L(\d+)H(\d+)$")]
    private static partial Regex HeadName();

    [GeneratedRegex(@"^MLP(\d+)$")]
    private static partial Regex MlpName();
}
