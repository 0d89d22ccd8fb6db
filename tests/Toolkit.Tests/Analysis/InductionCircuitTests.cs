using NUnit.Framework;
using Toolkit.Analysis;
using Toolkit.Data;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>The analysis must recover the hand-built induction circuit of <see cref="InductionModel"/>.</summary>
[TestFixture]
public class InductionCircuitTests
{
    private static CircuitReport Report => InductionModel.Report;

    [Test]
    public void NamesExactlyTheCircuitHeads()
    {
        Assert.That(Report.Named(HeadRole.PreviousToken), Is.EqualTo(new[] { "L0H2" }), Report.Render());
        Assert.That(Report.Named(HeadRole.Induction), Is.EqualTo(new[] { "L1H1" }), Report.Render());
        var prev = Report.Heads.Heads.Single(h => h.Name == "L0H2");
        var ind = Report.Heads.Heads.Single(h => h.Name == "L1H1");
        Assert.That(prev.PreviousToken, Is.GreaterThan(0.9));
        Assert.That(ind.Induction, Is.GreaterThan(0.9));
    }

    [Test]
    public void RanksTheCircuitPairFirstInKComposition()
    {
        var top = Report.Composition.Ranked(CompositionKind.K)[0];
        Assert.That((top.Sender, top.Receiver), Is.EqualTo(("L0H2", "L1H1")));
        // Exact: L = W_OV^A maps the 16 token directions onto the 16 previous-token directions (one
        // each), R = (W_QK^B)^T maps them back; ||LR|| / (||L|| ||R||) = √16 / (√16 √16) = 1/4.
        Assert.That(top.Score, Is.EqualTo(0.25).Within(1e-5));
        Assert.That(Report.Composition.Baseline, Is.LessThan(top.Score));
        Assert.That(Report.Composition.Get(0, 2, 1, 1, CompositionKind.Q), Is.EqualTo(0).Within(1e-9));
        Assert.That(Report.Composition.Get(0, 2, 1, 1, CompositionKind.V), Is.EqualTo(0).Within(1e-9));
        Assert.That(Report.Circuit, Is.Not.Null);
        Assert.That(Report.Circuit!.ToString(), Does.StartWith("L0H2 → L1H1, K-composition 0.25"));
    }

    [Test]
    public void AblatingACircuitHeadDestroysAccuracyAndDistractorsDoNot()
    {
        Assert.That(Report.Ablations[0].CleanAccuracy, Is.GreaterThan(0.95), Report.Render());
        foreach (var a in Report.Ablations)
        {
            var circuit = a.Name is "L0H2" or "L1H1";
            if (circuit) Assert.That(a.Accuracy, Is.LessThan(0.4), $"{a.Name} {a.Kind}");
            else Assert.That(a.Accuracy, Is.EqualTo(a.CleanAccuracy).Within(1e-9), $"{a.Name} {a.Kind}");
        }
    }

    [Test]
    public void CopyingScoreOfTheInductionHeadIsOne()
    {
        // W_E W_OV W_U of L1H1 = 10 · I: every eigenvalue 10.
        Assert.That(Report.Copying.Single(c => c.Name == "L1H1").Score, Is.EqualTo(1).Within(1e-5));
        // L0H2 writes into a block W_U never reads: the circuit is zero.
        Assert.That(Report.Copying.Single(c => c.Name == "L0H2").Score, Is.EqualTo(0).Within(1e-9));
    }

    [Test]
    public void SubspacesOfTheCircuitPairCoincide()
    {
        var k = Report.Subspaces.Single(o => o.Writer == "L0H2" && o.Reader == "L1H1" && o.Read == HeadSubspace.K);
        var q = Report.Subspaces.Single(o => o.Writer == "L0H2" && o.Reader == "L1H1" && o.Read == HeadSubspace.Q);
        Assert.That(k.MeanCos2, Is.EqualTo(1).Within(1e-6));
        Assert.That(q.MeanCos2, Is.EqualTo(0).Within(1e-6));
    }

    [Test]
    public void WritesTheThreeCsvFiles()
    {
        var dir = Path.Combine(Path.GetTempPath(), "toolkit-analysis-" + Guid.NewGuid().ToString("N"));
        try
        {
            var paths = Report.WriteCsv(dir);
            Assert.That(paths.Select(Path.GetFileName), Is.EqualTo(new[] { "heads.csv", "composition.csv", "ablations.csv" }));
            Assert.That(File.ReadAllLines(paths[0]), Has.Length.EqualTo(1 + 8));
            Assert.That(File.ReadAllText(paths[0]), Does.Contain("L1H1,1,1,"));
            Assert.That(File.ReadAllLines(paths[1]), Has.Length.EqualTo(1 + 4 * 4 * 3));
            Assert.That(File.ReadAllLines(paths[2]), Has.Length.EqualTo(1 + 8 * 2));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Test]
    public void DirectLogitAttributionSumsToTheLogitsWithoutLayerNorm()
    {
        using var scope = NewDisposeScope();
        using var batch = Batch.Sample(InductionModel.Task, 3, 8, CPU);
        var dla = DirectLogitAttribution.Compute(InductionModel.Model, batch.Tokens);
        using var _ = no_grad();
        var logits = InductionModel.Model.forward(batch.Tokens).to_type(ScalarType.Float64);
        long p = batch.Tokens.shape[1];
        var correct = logits.narrow(1, 0, p - 1).gather(2, batch.Tokens.narrow(1, 1, p - 1).unsqueeze(-1)).squeeze(-1).mean(new long[] { 0 });
        var expected = correct.data<double>().ToArray();
        for (var i = 0; i < p - 1; i++)
        {
            var sum = Enumerable.Range(0, dla.Components.Count).Sum(c => dla.PerPosition[c, i]);
            Assert.That(sum, Is.EqualTo(expected[i]).Within(1e-3), $"position {i}");
        }
        // Only the induction head writes where W_U reads.
        var ind = dla.Components.ToList().IndexOf("L1H1");
        Assert.That(dla.Mean(ind), Is.GreaterThan(1));
        Assert.That(dla.Mean(0), Is.EqualTo(0).Within(1e-9));
    }

    [Test]
    public void LogitLensSeesTheAnswerOnlyAfterLayerOne()
    {
        using var batch = Batch.Sample(InductionModel.Task, 4, 16, CPU);
        var lens = LogitLens.Run(InductionModel.Model, batch.Tokens, batch.LossMask);
        Assert.That(lens[0].MeanRank, Is.EqualTo(InductionModel.Vocab - 1).Within(1e-9)); // all logits equal
        Assert.That(lens[1].Accuracy, Is.GreaterThan(0.95));
        Assert.That(lens[1].Probability, Is.GreaterThan(0.9));
        // Layer 0 predicts nothing (all logits tie), so every prediction settles at layer 1.
        Assert.That(lens.Sum(l => l.Settled), Is.EqualTo(1).Within(1e-9), "each position settles at exactly one layer");
        Assert.That(lens[1].Settled, Is.GreaterThan(0.95));
        Assert.That(Cli.Commands.LensCommand.Render(lens), Does.Contain("settle at layer 1"));
    }

    [Test]
    public void InContextLearningScoreIsNegativeOnRepeatedTokens()
    {
        using var scope = NewDisposeScope();
        // Period 16 from position 0 fills the 32-token context: the last token is predictable, the
        // token at one tenth (position 3) is not.
        var tokens = RepeatedBlock(seed: 9, batch: 8);
        var icl = InContextLearningScore.Compute(InductionModel.Model, tokens);
        Assert.That((icl.EarlyPosition, icl.LatePosition), Is.EqualTo((3, 31)));
        Assert.That(icl.Score, Is.LessThan(-1));
    }

    [Test]
    public void ActivationPatchingLocatesTheInductionHead()
    {
        using var scope = NewDisposeScope();
        var clean = RepeatedBlock(seed: 1, batch: 4);
        // Corrupt the token after the earlier occurrence of the last token's predecessor: the clean
        // answer at position 30 is tok[31] = tok[15]; in the corrupted run the first copy holds
        // w = tok[13] there (a token that creates no second match for the query tok[30] = tok[14]).
        var corrupted = clean.clone();
        var wrong = clean.select(1, 13).clone();
        corrupted.select(1, 15).copy_(wrong);
        var problem = new PatchingProblem(clean, corrupted, 30,
            clean.select(1, 31).data<long>().ToArray(), wrong.data<long>().ToArray());
        var result = ActivationPatching.Run(InductionModel.Model, problem);
        Assert.That(result.CleanLogitDiff, Is.GreaterThan(5));
        Assert.That(result.Heads[1, 1], Is.EqualTo(1).Within(0.02));
        Assert.That(result.Heads[0, 2], Is.EqualTo(0).Within(0.02));
        Assert.That(result.Heads[1, 0], Is.EqualTo(0).Within(1e-6));
        // Restoring the clean residual before layer 1 at the corrupted position restores the value read there.
        Assert.That(result.ResidPre[1, 15], Is.EqualTo(1).Within(0.02));
        Assert.That(result.ResidPre[0, 30], Is.EqualTo(0).Within(0.02));
        Assert.That(result.Elapsed, Is.GreaterThan(TimeSpan.Zero));
    }

    [Test]
    public void PathPatchingSeparatesKFromQAndV()
    {
        using var scope = NewDisposeScope();
        var clean = RepeatedBlock(seed: 2, batch: 4);
        // Corrupt the earlier occurrence of the current token (position 14, matching 30): the key at
        // 15 no longer says "after tok[30]", so the induction head loses its target through K only.
        var corrupted = clean.clone();
        var wrong = clean.select(1, 12).clone();
        corrupted.select(1, 14).copy_(wrong);
        var problem = new PatchingProblem(clean, corrupted, 30, clean.select(1, 31).data<long>().ToArray(), wrong.data<long>().ToArray());
        var k = PathPatching.Run(InductionModel.Model, problem, 0, 2, 1, 1, CompositionKind.K);
        var q = PathPatching.Run(InductionModel.Model, problem, 0, 2, 1, 1, CompositionKind.Q);
        var v = PathPatching.Run(InductionModel.Model, problem, 0, 2, 1, 1, CompositionKind.V);
        Assert.That(k.Effect, Is.EqualTo(1).Within(0.05), k.ToString());
        Assert.That(q.Effect, Is.EqualTo(0).Within(1e-6));
        Assert.That(v.Effect, Is.EqualTo(0).Within(1e-6));
        Assert.That(k.Path, Is.EqualTo("L0H2 → L1H1.K"));
    }

    /// <summary>[batch, 32]: a shuffle of the 16 token ids, repeated twice.</summary>
    internal static Tensor RepeatedBlock(int seed, int batch)
    {
        var rng = new Random(seed);
        var data = new long[batch * InductionModel.Context];
        for (var b = 0; b < batch; b++)
        {
            var block = Enumerable.Range(0, 16).OrderBy(_ => rng.Next()).ToArray();
            for (var i = 0; i < 32; i++) data[b * 32 + i] = block[i % 16];
        }
        return tensor(data, new long[] { batch, 32 });
    }
}
