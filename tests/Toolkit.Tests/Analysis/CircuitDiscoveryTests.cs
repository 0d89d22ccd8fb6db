using System.Diagnostics;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>Edge-level patching, ACDC and EAP recover the hand-built induction circuit of <see cref="InductionModel"/>,
/// and ACDC tells the trained induction model from the trained memorizer without being told any head role.</summary>
[TestFixture]
public class CircuitDiscoveryTests
{
    private static readonly string[] HandBuiltCircuit = ["L0H2 → L1H1.K", "L1H1 → logits", "embed → L1H1.V", "embed → L0H2.V"];

    private static PatchingInputs HandBuiltInputs() => PatchingInputs.FromTask(InductionModel.Task, 11, 16, CPU);

    [Test]
    public void The_graph_with_every_edge_present_is_the_model()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var batch = Batch.Sample(InductionModel.Task, 3, 4, CPU);
        using var graph = new EdgeGraph(InductionModel.Model);
        Assert.That(graph.Edges, Has.Count.EqualTo(4 * 3 * 1 + 4 * 3 * 5 + 9));
        var expected = InductionModel.Model.forward(batch.Tokens);
        Assert.That(graph.Run(batch.Tokens).Logits.sub(expected).abs().max().item<float>(), Is.LessThan(1e-3));

        // LayerNorm, MLPs and biases take the same path as the model's own forward.
        using var state = get_rng_state();
        manual_seed(3);
        using var model = new HookedTransformer(new ModelConfig { NLayers = 2, NHeads = 2, DModel = 16, DVocab = 10, NCtx = 8, AttnOnly = false, NormalizationType = Normalization.LN });
        foreach (var p in model.parameters()) p.add_(randn_like(p).mul(Scalars.One).div(10));
        set_rng_state(state);
        model.eval();
        var tokens = randint(0, 10, new long[] { 3, 8 });
        using var mlpGraph = new EdgeGraph(model);
        Assert.That(mlpGraph.Nodes.Select(n => n.Name), Is.EqualTo(new[] { "embed", "L0H0", "L0H1", "MLP0", "L1H0", "L1H1", "MLP1", "logits" }));
        Assert.That(mlpGraph.Run(tokens).Logits.sub(model.forward(tokens)).abs().max().item<float>(), Is.LessThan(1e-4));
    }

    [Test]
    public void The_task_corruption_reverses_the_first_copy_and_reads_the_predictable_positions()
    {
        using var inputs = HandBuiltInputs();
        var clean = inputs.Clean.data<long>().ToArray();
        var corrupt = inputs.Corrupted.data<long>().ToArray();
        Assert.That(clean.Zip(corrupt).Count(t => t.First != t.Second), Is.GreaterThan(16 * 3));
        // At every read position the copy rule on the corrupted input points at another token than the clean answer.
        var read = inputs.Read.data<bool>().ToArray();
        var correct = inputs.Correct.data<long>().ToArray();
        var wrong = inputs.Wrong.data<long>().ToArray();
        Assert.That(Enumerable.Range(0, read.Length).Where(i => read[i]).All(i => correct[i] != wrong[i]));
    }

    [Test]
    public void Path_patching_over_the_graph_separates_K_from_Q_and_V()
    {
        using var inputs = HandBuiltInputs();
        var k = CircuitDiscovery.PathPatch(InductionModel.Model, inputs, PatchingMetricKind.LogitDiff, "L0H2", "L1H1", [EdgeInput.K]);
        var q = CircuitDiscovery.PathPatch(InductionModel.Model, inputs, PatchingMetricKind.LogitDiff, "L0H2", "L1H1", [EdgeInput.Q]);
        var distractor = CircuitDiscovery.PathPatch(InductionModel.Model, inputs, PatchingMetricKind.LogitDiff, "L0H0", "L1H1");
        TestContext.Out.WriteLine($"K {k}, Q {q}, distractor {distractor}");
        Assert.That(k.Damage, Is.GreaterThan(0.5)); // the head then reads the wrong token: neither answer wins
        Assert.That(q.Damage, Is.EqualTo(0).Within(1e-6));
        Assert.That(distractor.Damage, Is.EqualTo(0).Within(1e-6));
        Assert.That(k.Edges, Is.EqualTo(new[] { "L0H2 → L1H1.K" }));
    }

    [Test]
    public void Activation_patching_with_the_task_corruption_names_the_induction_head()
    {
        using var inputs = PatchingInputs.FromTask(InductionModel.Task, 11, 8, CPU);
        var sweep = ActivationPatching.Sweep(InductionModel.Model, inputs, PatchingMetricKind.LogitDiff);
        Assert.That(sweep.Heads[1][1], Is.GreaterThan(0.9));
        Assert.That(sweep.Heads[1][0], Is.EqualTo(0).Within(1e-6));
        Assert.That(sweep.Clean, Is.GreaterThan(sweep.Corrupted));
    }

    [Test]
    public void Acdc_finds_exactly_the_hand_built_circuit()
    {
        using var inputs = HandBuiltInputs();
        var result = CircuitDiscovery.Find(InductionModel.Model, inputs, CircuitMethod.Acdc);
        TestContext.Out.WriteLine(result.Render());
        Assert.That(result.Heads, Is.EqualTo(new[] { "L0H2", "L1H1" }));
        Assert.That(result.Circuit.Select(e => e.Name), Is.EquivalentTo(HandBuiltCircuit));
        Assert.That(result.Faithfulness, Is.EqualTo(1).Within(0.02));
    }

    [Test]
    public void Acdc_with_the_logit_difference_finds_the_same_circuit()
    {
        using var inputs = HandBuiltInputs();
        var result = CircuitDiscovery.Find(InductionModel.Model, inputs, CircuitMethod.Acdc, PatchingMetricKind.LogitDiff);
        TestContext.Out.WriteLine(result.Render());
        Assert.That(result.Circuit.Select(e => e.Name), Is.EquivalentTo(HandBuiltCircuit));
    }

    [Test]
    public void Eap_ranks_the_hand_built_circuit_edges_first()
    {
        using var inputs = HandBuiltInputs();
        var result = CircuitDiscovery.Find(InductionModel.Model, inputs, CircuitMethod.Eap);
        var ranked = result.Edges.OrderByDescending(e => Math.Abs(e.Effect)).ToList();
        foreach (var e in ranked.Take(8)) TestContext.Out.WriteLine($"{e.Name} {e.Effect:G4}");
        Assert.That(ranked.Take(HandBuiltCircuit.Length).Select(e => e.Name), Is.EquivalentTo(HandBuiltCircuit));
    }

    [Test]
    public void Acdc_finds_a_previous_token_to_induction_K_edge_in_the_trained_variable_period_model()
    {
        var run = TrainedModels.Get(TrainedModels.VariablePeriod);
        var result = TrainedCircuit(run);
        var kEdges = PreviousToInductionK(result, run.FinalHeads);
        Assert.That(kEdges, Is.Not.Empty, result.Render());
    }

    [Test]
    public void Acdc_finds_no_previous_token_to_induction_K_edge_in_the_trained_fixed_period_model()
    {
        var run = TrainedModels.Get(TrainedModels.FixedPeriod);
        var result = TrainedCircuit(run);
        Assert.That(PreviousToInductionK(result, run.FinalHeads), Is.Empty, result.Render());
        // Role-free: no head reads another head through K at all (it copies by position, through V).
        Assert.That(result.Circuit.Where(e => e.Edge.Input == EdgeInput.K && e.Edge.Sender.Kind == GraphNodeKind.Head), Is.Empty, result.Render());
    }

    private static CircuitResult TrainedCircuit(Toolkit.Training.TrainingResult run)
    {
        using var model = run.Run.LoadModel();
        var config = run.Run.ReadConfig();
        using var inputs = PatchingInputs.FromTask(config.Task.Create(), Seeds.Derive(config.Training.Seed, Seeds.Stream.Probe), 16, CPU);
        var watch = Stopwatch.StartNew();
        var result = CircuitDiscovery.Find(model, inputs, CircuitMethod.Acdc);
        TestContext.Out.WriteLine(result.Render());
        TestContext.Out.WriteLine(Cli.Summary.HeadTable(run.FinalHeads));
        TestContext.Out.WriteLine($"ACDC {watch.Elapsed.TotalSeconds:F1} s");
        return result;
    }

    /// <summary>Kept K edges from a layer-0 head with a previous-token score above the naming threshold to a layer-1
    /// head with an induction score above it (scores from the run's own scoring batch, never shown to ACDC).</summary>
    private static List<EdgeEffect> PreviousToInductionK(CircuitResult result, HeadScoreTable heads) =>
        result.Circuit.Where(e => e.Edge.Input == EdgeInput.K && e.Edge.Sender.Kind == GraphNodeKind.Head && e.Edge.Receiver.Kind == GraphNodeKind.Head
                                  && heads.Heads.Single(h => h.Layer == e.Edge.Sender.Layer && h.Head == e.Edge.Sender.Head).PreviousToken >= heads.Threshold
                                  && heads.Heads.Single(h => h.Layer == e.Edge.Receiver.Layer && h.Head == e.Edge.Receiver.Head).Induction >= heads.Threshold)
            .ToList();
}
