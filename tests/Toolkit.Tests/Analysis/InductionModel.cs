using Toolkit.Analysis;
using Toolkit.Model;
using Toolkit.Tasks;
using static TorchSharp.torch;

namespace Toolkit.Tests.Analysis;

/// <summary>A 2-layer attention-only model whose weights are set by hand to an exact induction
/// circuit (L0H2 previous-token head → L1H1 induction head), with random distractor heads; built
/// once per test run.</summary>
/// <remarks>
/// Residual stream (d_model 96) in five orthogonal blocks of one-hot coordinates:
/// token [0,16), position [16,48), previous token [48,64), output [64,80), junk [80,96).
/// L0H2: query = c·e_i from position i, key = c·e_{j+1} from position j, so the only large score
/// (c²/√d_head = 30) is j = i−1; value/output copy the token block into the previous-token block.
/// L1H1: query = c·(current token), key = c·(previous-token block), so position i attends to the
/// j whose previous token equals its own token; value/output copy j's token into the output
/// block, which W_U (×10) reads. Distractors read every block but junk through random Q, K, V and
/// write only into junk (random W_O columns there), with the Frobenius norms of the circuit
/// head's matrices: nothing downstream reads junk, so they cannot help or hurt the circuit.
/// </remarks>
internal static class InductionModel
{
    public const int Vocab = 16, Context = 32, DModel = 96, DHead = 32;
    public const int Tok = 0, Pos = 16, Prev = 48, Out = 64, Junk = 80;
    public const int PrevLayer = 0, PrevHead = 2, IndLayer = 1, IndHead = 1;

    /// <summary>Repeated random tokens (periods 4..8, random filler) fitting the model.</summary>
    public static ITask Task { get; } = Catalog.Create("repeated-copy", new Dictionary<string, string>
    {
        ["context"] = Context.ToString(), ["vocab"] = Vocab.ToString(), ["period"] = "4..8",
    });

    /// <summary>The variant of <see cref="SoftWithDecoy"/>: the induction head's attention logit (the exact model's is 30)
    /// and the decoy head.</summary>
    public const double SoftLogit = 2;
    public const int DecoyHead = 0;

    private static readonly Lazy<HookedTransformer> model = new(() => Build());
    private static readonly Lazy<HookedTransformer> softWithDecoy = new(() => Build(SoftLogit, DecoyHead));
    private static readonly Lazy<CircuitReport> report = new(() => Analyzer.Analyze(Model, Task, seed: 5));

    /// <summary>The hand-built model.</summary>
    public static HookedTransformer Model => model.Value;

    /// <summary>The analysis of the model on <see cref="Task"/>, computed once.</summary>
    public static CircuitReport Report => report.Value;

    /// <summary>The same circuit with the induction head's attention softened to logit <see cref="SoftLogit"/> (it still
    /// puts the most weight on the right token, so the model still solves the task, but its induction score falls below
    /// the threshold), and a decoy head L1H0 with the exact induction attention whose value and output write only into
    /// the junk block: the decoy is the named induction head, and nothing reads what it writes.</summary>
    public static HookedTransformer SoftWithDecoy => softWithDecoy.Value;

    private static HookedTransformer Build(double inductionLogit = 30, int? decoyHead = null)
    {
        using var state = get_rng_state();
        manual_seed(42);
        var m = new HookedTransformer(new ModelConfig
        {
            NLayers = 2, NHeads = 4, DModel = DModel, DHead = DHead, DVocab = Vocab, NCtx = Context, AttnOnly = true,
        });
        m.eval();
        var c = Math.Sqrt(30 * Math.Sqrt(DHead));
        using (no_grad())
        {
            var wE = new float[Vocab, DModel];
            for (var t = 0; t < Vocab; t++) wE[t, Tok + t] = 1;
            Set(m.W_E, wE);
            var wPos = new float[Context, DModel];
            for (var p = 0; p < Context; p++) wPos[p, Pos + p] = 1;
            Set(m.W_pos, wPos);
            var wU = new float[DModel, Vocab];
            for (var t = 0; t < Vocab; t++) wU[Out + t, t] = 10;
            Set(m.W_U, wU);

            var q0 = new float[DModel, DHead];
            var k0 = new float[DModel, DHead];
            for (var i = 0; i < Context; i++) q0[Pos + i, i] = (float)c;
            for (var j = 0; j + 1 < Context; j++) k0[Pos + j, j + 1] = (float)c;
            var (v0, o0) = Copy(Tok, Prev);
            SetHead(m, PrevLayer, PrevHead, q0, k0, v0, o0);

            var q1 = new float[DModel, DHead];
            var k1 = new float[DModel, DHead];
            for (var t = 0; t < Vocab; t++) { q1[Tok + t, t] = (float)c; k1[Prev + t, t] = (float)c; }
            var (v1, o1) = Copy(Tok, Out);
            var soft = (float)Math.Sqrt(inductionLogit / 30);
            SetHead(m, IndLayer, IndHead, Scale(q1, soft), Scale(k1, soft), v1, o1);
            if (decoyHead is { } decoy)
            {
                var (vd, od) = Copy(Tok, Junk);
                SetHead(m, IndLayer, decoy, q1, k1, vd, od);
            }

            for (var l = 0; l < 2; l++)
            {
                var circuitHead = l == PrevLayer ? PrevHead : IndHead;
                var attn = m.blocks[l].attn;
                for (var h = 0; h < 4; h++)
                {
                    if (h == circuitHead || (l == IndLayer && h == decoyHead)) continue;
                    using var readMask = zeros(DModel, 1);
                    readMask.narrow(0, 0, Junk).fill_(1);
                    using var writeMask = zeros(1, DModel);
                    writeMask.narrow(1, Junk, DModel - Junk).fill_(1);
                    Tensor Like(Tensor circuit, Tensor mask, long[] shape)
                    {
                        var r = randn(shape).mul(mask);
                        return r.mul(circuit.norm().div(r.norm()));
                    }
                    attn.W_Q[h].copy_(Like(attn.W_Q[circuitHead], readMask, new long[] { DModel, DHead }));
                    attn.W_K[h].copy_(Like(attn.W_K[circuitHead], readMask, new long[] { DModel, DHead }));
                    attn.W_V[h].copy_(Like(attn.W_V[circuitHead], readMask, new long[] { DModel, DHead }));
                    attn.W_O[h].copy_(Like(attn.W_O[circuitHead], writeMask, new long[] { DHead, DModel }));
                }
            }
            foreach (var (name, p) in m.named_parameters())
                if (name.Contains(".b_") || name.EndsWith("b_U", StringComparison.Ordinal)) p.zero_();
        }
        set_rng_state(state);
        return m;
    }

    private static float[,] Scale(float[,] m, float by)
    {
        var r = (float[,])m.Clone();
        for (var i = 0; i < r.GetLength(0); i++)
            for (var j = 0; j < r.GetLength(1); j++) r[i, j] *= by;
        return r;
    }

    private static (float[,] V, float[,] O) Copy(int from, int to)
    {
        var v = new float[DModel, DHead];
        var o = new float[DHead, DModel];
        for (var t = 0; t < Vocab; t++) { v[from + t, t] = 1; o[t, to + t] = 1; }
        return (v, o);
    }

    private static void SetHead(HookedTransformer m, int layer, int head, float[,] q, float[,] k, float[,] v, float[,] o)
    {
        var attn = m.blocks[layer].attn;
        Set(attn.W_Q[head], q);
        Set(attn.W_K[head], k);
        Set(attn.W_V[head], v);
        Set(attn.W_O[head], o);
    }

    private static void Set(Tensor target, float[,] values)
    {
        using var source = tensor(values);
        target.copy_(source);
    }
}
