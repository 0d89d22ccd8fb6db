using Toolkit.Analysis;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>IOI prompts and their counterfactuals, the ioi task's built-in corruption, and the IOI measurements against
/// explicit computations on tiny models.</summary>
[TestFixture]
public class IoiAnalysisTests
{
    private static readonly ITask Task = Catalog.Create("ioi", new Dictionary<string, string> { ["names"] = "8" });

    private static IoiPrompts Prompts(int n = 12) => IoiPrompts.FromTask(Task, 3, n);

    private static HookedTransformer TinyModel(bool attnOnly, int layers = 2)
    {
        using var state = get_rng_state();
        manual_seed(7);
        var model = new HookedTransformer(new ModelConfig
        {
            NLayers = layers, NHeads = 2, DModel = 16, DVocab = Task.Vocabulary.Size, NCtx = Task.Context, AttnOnly = attnOnly,
            NormalizationType = attnOnly ? null : Normalization.LN,
        });
        using (no_grad())
            foreach (var p in model.parameters()) p.add_(randn_like(p).mul(Scalars.One).div(10));
        set_rng_state(state);
        model.eval();
        return model;
    }

    [Test]
    public void Counterfactuals_change_only_what_they_say_and_repeat_for_a_seed()
    {
        var clean = Prompts();
        var abc = clean.ThirdName(5);
        var names = clean.NewNames(5);
        var swapped = clean.SwappedOrder();
        Assert.That(abc.Tokens.Select(t => string.Join(",", t)), Is.EqualTo(clean.ThirdName(5).Tokens.Select(t => string.Join(",", t))), "same seed, same prompts");
        for (var b = 0; b < clean.Count; b++)
        {
            var changed = Enumerable.Range(0, clean.Tokens[b].Length).Where(p => abc.Tokens[b][p] != clean.Tokens[b][p]).ToList();
            Assert.That(changed, Is.EqualTo(new[] { clean.S2[b] }), "ABC changes the second mention only");
            Assert.That(abc.Tokens[b][clean.S2[b]], Is.Not.EqualTo(clean.IoName[b]).And.Not.EqualTo(clean.SName[b]));
            Assert.That(clean.Names, Does.Contain(abc.Tokens[b][clean.S2[b]]), "the third name is one the prompts use");

            Assert.That(names.Io[b], Is.EqualTo(clean.Io[b]));
            Assert.That(names.IoName[b], Is.Not.EqualTo(clean.IoName[b]).And.Not.EqualTo(clean.SName[b]).And.Not.EqualTo(names.SName[b]));
            Assert.That(names.SName[b], Is.Not.EqualTo(clean.IoName[b]).And.Not.EqualTo(clean.SName[b]));
            Assert.That(new[] { names.Tokens[b][names.Io[b]], names.Tokens[b][names.S1[b]], names.Tokens[b][names.S2[b]] },
                Is.EqualTo(new[] { names.IoName[b], names.SName[b], names.SName[b] }));

            Assert.That(swapped.IoName[b], Is.EqualTo(clean.IoName[b]));
            Assert.That(swapped.Io[b], Is.EqualTo(clean.S1[b]));
            Assert.That(swapped.Tokens[b][swapped.Io[b]], Is.EqualTo(clean.IoName[b]));
            Assert.That(swapped.Tokens[b][swapped.S1[b]], Is.EqualTo(clean.SName[b]));
            Assert.That(swapped.Tokens[b][swapped.S2[b]], Is.EqualTo(clean.SName[b]));
        }
    }

    [Test]
    public void The_ioi_task_has_a_built_in_corruption_read_at_the_last_to()
    {
        using var inputs = PatchingInputs.FromTask(Task, 3, 12, CPU);
        var clean = Prompts();
        Assert.That(inputs.ReadCount, Is.EqualTo(12));
        var read = inputs.Read.data<bool>().ToArray();
        var correct = inputs.Correct.data<long>().ToArray();
        var wrong = inputs.Wrong.data<long>().ToArray();
        int len = Task.Context;
        for (var b = 0; b < 12; b++)
        {
            Assert.That(Enumerable.Range(0, len).Where(p => read[b * len + p]), Is.EqualTo(new[] { clean.End[b] }));
            Assert.That(correct[b * len + clean.End[b]], Is.EqualTo(clean.IoName[b]));
            Assert.That(wrong[b * len + clean.End[b]], Is.EqualTo(clean.SName[b]));
        }
    }

    [Test]
    public void Logit_difference_and_attention_equal_an_explicit_reading_of_the_model()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModel(attnOnly: false);
        var p = Prompts();
        var run = IoiAnalysis.Measure(model, p);
        var (logits, cache) = model.RunWithCache(p.Tensor(CPU));
        double diff = 0;
        for (var b = 0; b < p.Count; b++)
            diff += logits[b, p.End[b], p.IoName[b]].item<float>() - logits[b, p.End[b], p.SName[b]].item<float>();
        Assert.That(run.LogitDiff, Is.EqualTo(diff / p.Count).Within(1e-5));
        Assert.That(run.Attention, Has.Length.EqualTo(2));
        Assert.That(run.Attention[1], Has.Length.EqualTo(2));
        var pattern = cache.Pattern(1);
        double dup = 0;
        for (var b = 0; b < p.Count; b++) dup += pattern[b, 1, p.S2[b], p.S1[b]].item<float>();
        Assert.That(run.Attention[1][1].S2ToS1, Is.EqualTo(dup / p.Count).Within(1e-5));
        Assert.That(IoiAnalysis.Measure(model, p).LogitDiff, Is.EqualTo(run.LogitDiff), "deterministic");
    }

    [Test]
    public void Patching_every_head_at_END_of_a_one_layer_model_equals_the_explicit_sum()
    {
        using var scope = NewDisposeScope();
        using var model = TinyModel(attnOnly: true, layers: 1);
        var target = Prompts();
        var source = target.NewNames(9);
        var patched = IoiAnalysis.PatchEnd(model, target, source, [(0, 0), (0, 1)]);
        // Explicit: the END residual is the target's embedding plus the source's head outputs there (z W_O summed, plus b_O).
        var (_, sourceCache) = model.RunWithCache(source.Tensor(CPU), n => n == "blocks.0.attn.hook_z");
        var (_, targetCache) = model.RunWithCache(target.Tensor(CPU), n => n == "blocks.0.hook_resid_pre");
        var attn = model.blocks[0].attn;
        double diff = 0;
        for (var b = 0; b < target.Count; b++)
        {
            var e = target.End[b];
            var z = sourceCache["blocks.0.attn.hook_z"][b, e]; // [head, d_head]
            var written = einsum("hd,hdm->m", z, attn.W_O).add(attn.b_O, Scalars.One);
            var resid = targetCache["blocks.0.hook_resid_pre"][b, e].add(written, Scalars.One);
            var logits = model.Unembed(resid.unsqueeze(0)).squeeze(0);
            diff += logits[target.IoName[b]].item<float>() - logits[target.SName[b]].item<float>();
        }
        Assert.That(patched.LogitDiff, Is.EqualTo(diff / target.Count).Within(1e-4));
        // Patching from the target itself changes nothing; patching no head is the plain run.
        var plain = IoiAnalysis.Measure(model, target).LogitDiff;
        Assert.That(IoiAnalysis.PatchEnd(model, target, target, [(0, 0), (0, 1)]).LogitDiff, Is.EqualTo(plain).Within(1e-6));
        Assert.That(patched.LogitDiff, Is.Not.EqualTo(plain).Within(1e-6), "the source's names do change the output");
    }

    [Test]
    public void Misaligned_prompts_are_refused_with_a_hint()
    {
        using var model = TinyModel(attnOnly: true, layers: 1);
        var ex = Assert.Throws<ToolkitException>(() => IoiAnalysis.PatchEnd(model, Prompts(12), Prompts(6), [(0, 0)]));
        Assert.That(ex!.Message, Does.Contain("do not line up"));
    }
}
