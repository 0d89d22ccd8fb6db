using System.Diagnostics;
using System.Text;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>How a circuit is found.</summary>
public enum CircuitMethod
{
    /// <summary>ACDC (Conmy et al. 2023): patch every edge in turn, from the output backwards.</summary>
    Acdc,
    /// <summary>Edge attribution patching (Syed et al. 2023): a first-order estimate from one forward and backward pass.</summary>
    Eap,
}

/// <summary>One edge as circuit discovery judged it.</summary>
/// <param name="Edge">Sender, receiver and the receiver's input.</param>
/// <param name="Effect">The change of the damage (docs/design.md §4) when this edge is patched with its corrupted value: ACDC measures it
/// with everything found so far in place; EAP estimates it to first order at the clean run.</param>
/// <param name="Kept">Whether the edge belongs to the circuit.</param>
/// <param name="Tested">False when ACDC removed it without a run because its receiver no longer reaches the logits.</param>
public sealed record EdgeEffect(GraphEdge Edge, double Effect, bool Kept, bool Tested = true)
{
    /// <summary>e.g. "L0H2 → L1H1.K".</summary>
    public string Name => Edge.Name;
}

/// <summary>A circuit: the edges kept, every edge's effect, and how faithful the circuit alone is.</summary>
/// <param name="Method">ACDC or EAP.</param>
/// <param name="Metric">The metric measured (EAP always differentiates the logit difference or loss; see <see cref="GradientMetric"/>).</param>
/// <param name="GradientMetric">For EAP, the metric whose gradient ranked the edges; for ACDC the same as <paramref name="Metric"/>.</param>
/// <param name="Threshold">τ: an edge is removed when patching it changes the damage by less than τ (EAP: when |estimate| &lt; τ).</param>
/// <param name="Edges">Every edge of the graph with its effect.</param>
/// <param name="CleanMetric">The metric of the full model on clean input.</param>
/// <param name="CorruptedMetric">The metric of the full model on corrupted input.</param>
/// <param name="CircuitMetric">The metric of the circuit alone (every other edge carries its corrupted value).</param>
/// <param name="Corruption">What the corruption did.</param>
/// <param name="Sequences">Sequences measured.</param>
/// <param name="Runs">Forward passes spent.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record CircuitResult(CircuitMethod Method, PatchingMetricKind Metric, PatchingMetricKind GradientMetric, double Threshold,
    IReadOnlyList<EdgeEffect> Edges, double CleanMetric, double CorruptedMetric, double CircuitMetric, string Corruption, int Sequences, int Runs, TimeSpan Elapsed)
{
    /// <summary>The kept edges, largest effect first.</summary>
    public IReadOnlyList<EdgeEffect> Circuit => Edges.Where(e => e.Kept).OrderByDescending(e => Math.Abs(e.Effect)).ToList();

    /// <summary>Faithfulness: (circuit − corrupted) / (clean − corrupted) of the metric; 1 = the circuit alone does what the model does.</summary>
    public double Faithfulness => PatchingProblem.Recovery(CircuitMetric, CleanMetric, CorruptedMetric);

    /// <summary>Nodes touched by a kept edge (besides embed and logits), e.g. L0H2, L1H1.</summary>
    public IReadOnlyList<string> Heads => Circuit.SelectMany(e => new[] { e.Edge.Sender, e.Edge.Receiver })
        .Where(n => n.Kind is GraphNodeKind.Head or GraphNodeKind.Mlp).DistinctBy(n => n.Index).OrderBy(n => n.Index).Select(n => n.Name).ToList();

    /// <summary>The circuit as text: one edge a line with its effect, then faithfulness.</summary>
    public string Render(int top = 40)
    {
        var sb = new StringBuilder();
        var m = PatchingMetric.Name(Metric);
        sb.AppendLine($"{(Method == CircuitMethod.Acdc ? "ACDC" : "EAP")} circuit on {Sequences} sequences ({Corruption}); metric {m}" +
                      (GradientMetric != Metric ? $", edges ranked by the gradient of {PatchingMetric.Name(GradientMetric)}" : "") + $", τ = {Threshold:G3}");
        sb.AppendLine($"{Circuit.Count} of {Edges.Count} edges kept; heads: {(Heads.Count == 0 ? "none" : string.Join(", ", Heads))}");
        sb.AppendLine("  edge                      effect");
        foreach (var e in Circuit.Take(top)) sb.AppendLine($"  {e.Name,-24} {e.Effect,7:F3}");
        if (Circuit.Count > top) sb.AppendLine($"  ... {Circuit.Count - top} more");
        sb.AppendLine($"{m}: full model {CleanMetric:F3} clean, {CorruptedMetric:F3} corrupted; circuit alone {CircuitMetric:F3}; faithfulness {Faithfulness:P1}");
        sb.AppendLine($"{Runs} forward passes in {Elapsed.TotalSeconds:F1} s");
        return sb.ToString();
    }
}

/// <summary>Circuit discovery over the edges of <see cref="EdgeGraph"/>: ACDC and edge attribution patching.</summary>
/// <remarks>Sources: Conmy et al. 2023, "Towards Automated Circuit Discovery for Mechanistic Interpretability"
/// (ACDC: receivers from the output backwards, each incoming edge patched alone with its corrupted value, removed when
/// the metric moves by less than τ, removed edges stay corrupted); Syed, Rager and Conmy 2023, "Attribution Patching
/// Outperforms Automated Circuit Discovery" (EAP: score = (corrupted − clean sender output) · ∂metric/∂receiver input).
/// Damage is normalized, (M_clean − M) / (M_clean − M_corrupted), so τ is a share of the corruption's whole effect
/// for every metric (for KL, M_clean = 0 and the damage is the circuit's KL as a share of the corrupted run's).</remarks>
public static class CircuitDiscovery
{
    /// <summary>The default τ.</summary>
    public const double DefaultThreshold = 0.02;

    /// <summary>Finds a circuit with ACDC or EAP.</summary>
    public static CircuitResult Find(HookedTransformer model, PatchingInputs inputs, CircuitMethod method,
        PatchingMetricKind metric = PatchingMetricKind.KL, double threshold = DefaultThreshold)
    {
        model.RequireNextToken("circuit discovery");
        if (!(threshold >= 0) || double.IsInfinity(threshold))
            throw new ToolkitException($"threshold {threshold} is not a non-negative number", "use --threshold 0.02, for example");
        var watch = Stopwatch.StartNew();
        using var scope = NewDisposeScope();
        using var evalMode = model.EvalMode();
        using var graph = new EdgeGraph(model);
        var device = model.Device;
        using var onDevice = inputs.To(device);
        var clean = onDevice.Clean;
        var corrupt = onDevice.Corrupted;
        EdgeGraph.Pass cleanPass, corruptPass;
        using (no_grad())
        {
            cleanPass = graph.Run(clean);
            corruptPass = graph.Run(corrupt);
        }
        using var measure = new PatchingMetric(metric, onDevice, cleanPass.Logits);
        double mClean = measure.Measure(cleanPass.Logits), mCorrupt = measure.Measure(corruptPass.Logits);
        if (mClean == mCorrupt)
            throw new ToolkitException($"the corruption does not change the {PatchingMetric.Name(metric)} ({mClean:F4} on both)",
                "choose another metric, or a corruption that changes what the model predicts");
        double Damage(double m) => (mClean - m) / (mClean - mCorrupt);
        var runs = 2;
        double Evaluate(bool[] present)
        {
            using var inner = NewDisposeScope();
            using var _ = no_grad();
            runs++;
            return measure.Measure(graph.Run(clean, present, corruptPass).Logits);
        }

        var edges = graph.Edges;
        var effects = new EdgeEffect?[edges.Count];
        var kept = Enumerable.Repeat(true, edges.Count).ToArray();
        var gradientMetric = metric;
        if (method == CircuitMethod.Acdc)
        {
            var current = Damage(Evaluate(kept));
            for (var r = graph.Nodes.Count - 1; r >= 1; r--)
            {
                var receiver = graph.Nodes[r];
                var incoming = edges.Where(e => e.Receiver.Index == r).Reverse().ToList();
                if (receiver.Kind != GraphNodeKind.Logits && !edges.Any(e => e.Sender.Index == r && kept[e.Index]))
                {
                    // Nothing reads this node any more: its inputs cannot matter.
                    foreach (var e in incoming) { kept[e.Index] = false; effects[e.Index] = new EdgeEffect(e, 0, false, Tested: false); }
                    continue;
                }
                foreach (var e in incoming)
                {
                    kept[e.Index] = false;
                    var damage = Damage(Evaluate(kept));
                    var delta = damage - current;
                    if (delta < threshold) current = damage;
                    else kept[e.Index] = true;
                    effects[e.Index] = new EdgeEffect(e, delta, kept[e.Index]);
                }
            }
        }
        else
        {
            // KL has zero gradient at the clean run, so EAP differentiates the logit difference instead.
            gradientMetric = metric == PatchingMetricKind.KL || metric == PatchingMetricKind.Accuracy ? PatchingMetricKind.LogitDiff : metric;
            using var gradMeasure = new PatchingMetric(gradientMetric, onDevice);
            double gClean = gradMeasure.Measure(cleanPass.Logits), gCorrupt = gradMeasure.Measure(corruptPass.Logits);
            if (gClean == gCorrupt)
                throw new ToolkitException($"the corruption does not change the {PatchingMetric.Name(gradientMetric)}", "choose a corruption that changes the answer");
            var pass = graph.Run(clean);
            var value = gradMeasure.Compute(pass.Logits);
            var grads = TorchSharp.torch.autograd.grad(new[] { value }, pass.Inputs.Select(i => i.Input).ToArray());
            runs++;
            using (no_grad())
                for (var gi = 0; gi < pass.Inputs.Count; gi++)
                {
                    var (_, index, senders) = pass.Inputs[gi];
                    var delta = stack(senders.Select(s => corruptPass.Outputs[s]!.sub(cleanPass.Outputs[s]!)).ToArray()); // [S, b, p, d]
                    var scores = einsum("sbpd,gbpd->gs", delta, grads[gi]).to_type(ScalarType.Float64).cpu();
                    var data = scores.data<double>().ToArray();
                    int slots = index.GetLength(0), count = index.GetLength(1);
                    for (var g = 0; g < slots; g++)
                        for (var s = 0; s < count; s++)
                        {
                            var e = edges[index[g, s]];
                            var estimate = -data[g * count + s] / (gClean - gCorrupt); // estimated change of the damage
                            kept[e.Index] = Math.Abs(estimate) >= threshold;
                            effects[e.Index] = new EdgeEffect(e, estimate, kept[e.Index]);
                        }
                }
        }
        var circuitMetric = Evaluate(kept);
        return new CircuitResult(method, metric, gradientMetric, threshold, effects.Select(e => e!).ToList(), mClean, mCorrupt, circuitMetric,
            inputs.Corruption, inputs.Sequences, runs, watch.Elapsed);
    }

    /// <summary>Path patching over the graph: the edges from <paramref name="sender"/> into the given inputs of
    /// <paramref name="receiver"/> carry the sender's corrupted output, everything else is clean. Returns the metric of
    /// that run beside clean and corrupted, and the damage (clean − patched) / (clean − corrupted).</summary>
    public static (double Patched, double Clean, double Corrupted, double Damage, IReadOnlyList<string> Edges) PathPatch(
        HookedTransformer model, PatchingInputs inputs, PatchingMetricKind metric, string sender, string receiver, IReadOnlyCollection<EdgeInput>? through = null)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        using var graph = new EdgeGraph(model);
        var s = graph.Node(sender);
        var r = graph.Node(receiver);
        var chosen = graph.Edges.Where(e => e.Sender.Index == s.Index && e.Receiver.Index == r.Index && (through is null || through.Contains(e.Input))).ToList();
        if (chosen.Count == 0)
            throw new ToolkitException($"there is no edge {s.Name} → {r.Name}{(through is null ? "" : " through " + string.Join("/", through))}",
                "the sender must come before the receiver (an earlier layer for a head; the same layer's heads for an MLP), and --through applies to heads only");
        using var onDevice = inputs.To(model.Device);
        var cleanPass = graph.Run(onDevice.Clean);
        var corruptPass = graph.Run(onDevice.Corrupted);
        using var measure = new PatchingMetric(metric, onDevice, cleanPass.Logits);
        var present = Enumerable.Repeat(true, graph.Edges.Count).ToArray();
        foreach (var e in chosen) present[e.Index] = false;
        double c = measure.Measure(cleanPass.Logits), k = measure.Measure(corruptPass.Logits);
        var patched = measure.Measure(graph.Run(onDevice.Clean, present, corruptPass).Logits);
        return (patched, c, k, c == k ? double.NaN : (c - patched) / (c - k), chosen.Select(e => e.Name).ToList());
    }
}
