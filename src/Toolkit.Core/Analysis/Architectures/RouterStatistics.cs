using System.Globalization;
using System.Text;
using Toolkit.Data;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>What a routed pool chose on some inputs (docs/design.md §9). A <em>unit</em> is one position (per-token
/// routing) or one sequence (per-sequence, schedule, fixed); a <em>decision</em> is one unit's choice at one step
/// (ACT units that halted decide no more).</summary>
/// <param name="Options">Option names, blocks then identity layers (L0.., I0..).</param>
/// <param name="Selection">[option, step]: decisions that chose the option at the step; column s sums to
/// <see cref="Decisions"/>[s].</param>
/// <param name="CoSelection">[option, option]: over every unit and every pair of its steps s &lt; s′ with different
/// choices a ≠ b, one count in [a, b] and one in [b, a]; the diagonal (the same option twice) is removed and counted in
/// <see cref="Repeats"/>. Sum + 2 × sum(Repeats) = Σ over units of n(n − 1), n = the unit's decisions.</param>
/// <param name="Repeats">[option]: step pairs of one unit that chose the option twice.</param>
/// <param name="Decisions">[step]: decisions made at each step.</param>
/// <param name="Units">Units measured.</param>
/// <param name="PairTotal">Σ over units of n(n − 1).</param>
/// <param name="Compute">Blocks run and chosen per position, over all measured batches.</param>
public sealed record RouterStatistics(
    IReadOnlyList<string> Options, long[,] Selection, long[,] CoSelection, long[] Repeats, long[] Decisions, long Units,
    long PairTotal, int IdentityFrom, RouteCompute Compute)
{
    /// <summary>Identity decisions at each step.</summary>
    public long[] IdentityDecisions => Enumerable.Range(0, Decisions.Length)
        .Select(s => Enumerable.Range(IdentityFrom, Options.Count - IdentityFrom).Sum(o => Selection[o, s])).ToArray();

    /// <summary>Runs the model (evaluation mode, no gradient) on the examples and counts its routing decisions.</summary>
    public static RouterStatistics Measure(HookedTransformer model, IReadOnlyList<Example> examples, int batchSize = 128)
    {
        var pool = model.router ?? throw new ToolkitException("the model has no routed pool", "router statistics need a model with routing (--routing per-token, for example)");
        int steps = pool.Steps, options = pool.Options;
        var selection = new long[options, steps];
        var co = new long[options, options];
        var repeats = new long[options];
        var decisions = new long[steps];
        long units = 0, pairs = 0, tokens = 0, spent = 0, chosen = 0;
        using var evalMode = model.EvalMode();
        for (var start = 0; start < examples.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var batch = Batch.From(examples.Skip(start).Take(batchSize).ToList(), model.Device);
            var choices = new Tensor[steps];
            var attached = Enumerable.Range(0, steps).Select(s => pool.Step(s).hook_choice.Add((x, _) => { choices[s] = x.detach().clone(); return null; })).ToList();
            try { model.forward(batch.Tokens); }
            finally { foreach (var a in attached) a.Dispose(); }
            var compute = pool.LastCompute!;
            (tokens, spent, chosen) = (tokens + compute.Tokens, spent + compute.BlockTokenRuns, chosen + compute.ChosenBlockRuns);
            // ACT may stop before the last step: a step that never ran decided nothing.
            var perUnit = choices.Select(c => c is null ? null : (pool.PerToken ? c : c.narrow(1, 0, 1)).reshape(-1).cpu().data<long>().ToArray()).ToArray();
            var n = perUnit.First(c => c is not null)!.Length;
            units += n;
            var taken = new List<long>(steps);
            for (var u = 0; u < n; u++)
            {
                taken.Clear();
                for (var s = 0; s < steps; s++)
                {
                    var c = perUnit[s]?[u] ?? -1;
                    if (c < 0) continue;
                    selection[c, s]++;
                    decisions[s]++;
                    taken.Add(c);
                }
                pairs += (long)taken.Count * (taken.Count - 1);
                for (var i = 0; i < taken.Count; i++)
                    for (var j = i + 1; j < taken.Count; j++)
                    {
                        if (taken[i] == taken[j]) { repeats[taken[i]]++; continue; }
                        co[taken[i], taken[j]]++;
                        co[taken[j], taken[i]]++;
                    }
            }
        }
        return new RouterStatistics(Enumerable.Range(0, options).Select(pool.OptionName).ToList(), selection, co, repeats, decisions,
            units, pairs, pool.PoolSize, new RouteCompute(tokens, spent, chosen));
    }

    /// <summary>File names in the run directory.</summary>
    public const string SelectionFile = "router-selection.csv", CoSelectionFile = "router-coselection.csv", IdentityFile = "router-identity.csv";

    /// <summary>Writes the three CSV files (replacing the previous evaluation's), each row tagged with the step.</summary>
    public void Write(string runPath, int step)
    {
        static string I(long x) => x.ToString(CultureInfo.InvariantCulture);
        var steps = Decisions.Length;
        var sel = new StringBuilder("step,option," + string.Join(",", Enumerable.Range(0, steps).Select(s => $"step_{s}")) + "\n");
        for (var o = 0; o < Options.Count; o++)
            sel.Append($"{step},{Options[o]},{string.Join(",", Enumerable.Range(0, steps).Select(s => I(Selection[o, s])))}\n");
        var co = new StringBuilder("step,option," + string.Join(",", Options) + "\n");
        for (var a = 0; a < Options.Count; a++)
            co.Append($"{step},{Options[a]},{string.Join(",", Enumerable.Range(0, Options.Count).Select(b => I(CoSelection[a, b])))}\n");
        var identity = new StringBuilder("step,route_step,decisions,identity,identity_share\n");
        var ids = IdentityDecisions;
        for (var s = 0; s < steps; s++)
            identity.Append($"{step},{s},{I(Decisions[s])},{I(ids[s])},{(Decisions[s] == 0 ? "NaN" : ((double)ids[s] / Decisions[s]).ToString("G6", CultureInfo.InvariantCulture))}\n");
        AtomicFile.WriteText(Path.Combine(runPath, SelectionFile), sel.ToString());
        AtomicFile.WriteText(Path.Combine(runPath, CoSelectionFile), co.ToString());
        AtomicFile.WriteText(Path.Combine(runPath, IdentityFile), identity.ToString());
    }
}
