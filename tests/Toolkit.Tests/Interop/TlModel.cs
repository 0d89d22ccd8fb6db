using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Toolkit.Tests.Interop;

/// <summary>A TransformerLens model built by hand, independently of the toolkit: its state dict as float arrays under
/// TransformerLens's names and shapes, its cfg.json, a minimal safetensors writer, and the forward pass written
/// from TransformerLens's formulas in doubles.</summary>
internal sealed class TlModel
{
    public int Layers, Heads, DModel, DHead, DVocab, NCtx, DMlp;
    public bool AttnOnly;
    public string? Normalization; // "LN", "LNPre" or null
    public string ActFn = "gelu";
    public readonly Dictionary<string, (long[] Shape, float[] Data)> Weights = new(StringComparer.Ordinal);

    /// <summary>Random weights (biases and LayerNorm weights included, so every term of the formulas matters).</summary>
    public static TlModel Random(int layers, int heads, int dModel, int dHead, int dVocab, int nCtx, bool attnOnly, string? normalization,
        int dMlp = 16, string actFn = "gelu", int seed = 1)
    {
        var m = new TlModel
        {
            Layers = layers, Heads = heads, DModel = dModel, DHead = dHead, DVocab = dVocab, NCtx = nCtx, AttnOnly = attnOnly,
            Normalization = normalization, DMlp = dMlp, ActFn = actFn,
        };
        var rng = new Random(seed);
        void Add(string name, double scale, double mean, params long[] shape)
        {
            var n = shape.Aggregate(1L, (a, b) => a * b);
            var data = new float[n];
            for (var i = 0; i < n; i++) data[i] = (float)(mean + scale * (2 * rng.NextDouble() - 1));
            m.Weights[name] = (shape, data);
        }
        var ln = normalization == "LN";
        Add("embed.W_E", 1, 0, dVocab, dModel);
        Add("pos_embed.W_pos", 1, 0, nCtx, dModel);
        for (var l = 0; l < layers; l++)
        {
            var b = $"blocks.{l}";
            if (ln) { Add($"{b}.ln1.w", 0.3, 1, dModel); Add($"{b}.ln1.b", 0.3, 0, dModel); }
            Add($"{b}.attn.W_Q", 0.8, 0, heads, dModel, dHead);
            Add($"{b}.attn.W_K", 0.8, 0, heads, dModel, dHead);
            Add($"{b}.attn.W_V", 0.8, 0, heads, dModel, dHead);
            Add($"{b}.attn.W_O", 0.8, 0, heads, dHead, dModel);
            Add($"{b}.attn.b_Q", 0.3, 0, heads, dHead);
            Add($"{b}.attn.b_K", 0.3, 0, heads, dHead);
            Add($"{b}.attn.b_V", 0.3, 0, heads, dHead);
            Add($"{b}.attn.b_O", 0.3, 0, dModel);
            if (!attnOnly)
            {
                if (ln) { Add($"{b}.ln2.w", 0.3, 1, dModel); Add($"{b}.ln2.b", 0.3, 0, dModel); }
                Add($"{b}.mlp.W_in", 0.8, 0, dModel, dMlp);
                Add($"{b}.mlp.b_in", 0.3, 0, dMlp);
                Add($"{b}.mlp.W_out", 0.5, 0, dMlp, dModel);
                Add($"{b}.mlp.b_out", 0.3, 0, dModel);
            }
        }
        if (ln) { Add("ln_final.w", 0.3, 1, dModel); Add("ln_final.b", 0.3, 0, dModel); }
        Add("unembed.W_U", 0.8, 0, dModel, dVocab);
        Add("unembed.b_U", 0.3, 0, dVocab);
        return m;
    }

    /// <summary>cfg.json as <c>json.dump(model.cfg.to_dict(), f, default=str)</c> writes it, with extra keys appended.</summary>
    public string ConfigJson(string extra = "")
    {
        string N(string? s) => s is null ? "null" : $"\"{s}\"";
        return $$"""
            {"n_layers": {{Layers}}, "d_model": {{DModel}}, "n_ctx": {{NCtx}}, "d_head": {{DHead}}, "model_name": "custom", "n_heads": {{Heads}},
             "d_mlp": {{(AttnOnly ? "null" : DMlp.ToString(CultureInfo.InvariantCulture))}}, "act_fn": {{N(AttnOnly ? null : ActFn)}}, "d_vocab": {{DVocab}}, "eps": 1e-05,
             "use_attn_result": false, "use_attn_scale": true, "attn_scale": {{Math.Sqrt(DHead).ToString("R", CultureInfo.InvariantCulture)}},
             "use_split_qkv_input": false, "use_hook_mlp_in": false, "use_attn_in": false, "use_local_attn": false,
             "original_architecture": null, "from_checkpoint": false, "checkpoint_index": null, "tokenizer_name": null, "window_size": null,
             "attn_types": null, "init_mode": "gpt2", "normalization_type": {{N(Normalization)}}, "device": "cpu", "n_devices": 1,
             "attention_dir": "causal", "attn_only": {{(AttnOnly ? "true" : "false")}}, "seed": 0, "initializer_range": 0.25, "init_weights": true,
             "scale_attn_by_inverse_layer_idx": false, "positional_embedding_type": "standard", "final_rms": false, "d_vocab_out": {{DVocab}},
             "parallel_attn_mlp": false, "rotary_dim": null, "n_params": 1234, "use_hook_tokens": false, "gated_mlp": false,
             "default_prepend_bos": true, "dtype": "torch.float32", "tokenizer_prepends_bos": null, "n_key_value_heads": null,
             "post_embedding_ln": false, "rotary_base": 10000, "trust_remote_code": false, "rotary_adjacent_pairs": false{{extra}}}
            """;
    }

    /// <summary>The weights (and, if asked, TransformerLens's attention buffers) as a safetensors file.</summary>
    public void WriteSafetensors(string path, bool buffers = true, IEnumerable<string>? drop = null,
        IReadOnlyDictionary<string, (long[] Shape, float[] Data)>? extra = null)
    {
        var dropped = new HashSet<string>(drop ?? []);
        var entries = Weights.Where(kv => !dropped.Contains(kv.Key))
            .Concat(extra ?? new Dictionary<string, (long[] Shape, float[] Data)>())
            .Select(kv => (kv.Key, "F32", kv.Value.Shape, Floats(kv.Value.Data))).ToList();
        if (buffers)
            for (var l = 0; l < Layers; l++)
            {
                var mask = new byte[NCtx * NCtx];
                for (var i = 0; i < NCtx; i++)
                    for (var j = 0; j <= i; j++) mask[i * NCtx + j] = 1;
                entries.Add(($"blocks.{l}.attn.mask", "BOOL", [NCtx, NCtx], mask));
                entries.Add(($"blocks.{l}.attn.IGNORE", "F32", [], Floats([float.NegativeInfinity])));
            }
        Write(path, entries);
    }

    private static byte[] Floats(float[] data)
    {
        var bytes = new byte[data.Length * 4];
        for (var i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), data[i]);
        return bytes;
    }

    /// <summary>A minimal safetensors writer: u64 little-endian header length, the JSON header, the data.</summary>
    public static void Write(string path, IReadOnlyList<(string Name, string Dtype, long[] Shape, byte[] Data)> tensors)
    {
        var header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        foreach (var (name, dtype, shape, data) in tensors)
        {
            header.Append(CultureInfo.InvariantCulture, $",\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{offset + data.Length}]}}");
            offset += data.Length;
        }
        header.Append('}');
        var headerBytes = Encoding.UTF8.GetBytes(header.ToString());
        using var file = File.Create(path);
        var length = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerBytes.Length);
        file.Write(length);
        file.Write(headerBytes);
        foreach (var t in tensors) file.Write(t.Data);
    }

    private double W(string name, params int[] index)
    {
        var (shape, data) = Weights[name];
        long flat = 0;
        for (var i = 0; i < index.Length; i++) flat = flat * shape[i] + index[i];
        return data[flat];
    }

    /// <summary>Logits [pos][vocab] of one token sequence, by TransformerLens's formulas in doubles.</summary>
    public double[][] Forward(int[] tokens)
    {
        int p = tokens.Length, d = DModel;
        var resid = new double[p][];
        for (var i = 0; i < p; i++)
        {
            resid[i] = new double[d];
            for (var k = 0; k < d; k++) resid[i][k] = W("embed.W_E", tokens[i], k) + W("pos_embed.W_pos", i, k);
        }
        for (var l = 0; l < Layers; l++)
        {
            var b = $"blocks.{l}";
            var x = resid.Select(r => Norm(r, $"{b}.ln1")).ToArray();
            var attnOut = new double[p][];
            for (var i = 0; i < p; i++) { attnOut[i] = new double[d]; for (var k = 0; k < d; k++) attnOut[i][k] = W($"{b}.attn.b_O", k); }
            for (var h = 0; h < Heads; h++)
            {
                double[][] Project(string w, string bias) => x.Select(row => Enumerable.Range(0, DHead)
                    .Select(e => Enumerable.Range(0, d).Sum(k => row[k] * W($"{b}.attn.{w}", h, k, e)) + W($"{b}.attn.{bias}", h, e)).ToArray()).ToArray();
                var q = Project("W_Q", "b_Q");
                var kk = Project("W_K", "b_K");
                var v = Project("W_V", "b_V");
                for (var i = 0; i < p; i++)
                {
                    // Causal: destination i attends to sources j <= i; scores divided by sqrt(d_head).
                    var scores = Enumerable.Range(0, i + 1).Select(j => Enumerable.Range(0, DHead).Sum(e => q[i][e] * kk[j][e]) / Math.Sqrt(DHead)).ToArray();
                    var max = scores.Max();
                    var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
                    var sum = exp.Sum();
                    var z = Enumerable.Range(0, DHead).Select(e => Enumerable.Range(0, i + 1).Sum(j => exp[j] / sum * v[j][e])).ToArray();
                    for (var k = 0; k < d; k++) attnOut[i][k] += Enumerable.Range(0, DHead).Sum(e => z[e] * W($"{b}.attn.W_O", h, e, k));
                }
            }
            for (var i = 0; i < p; i++) for (var k = 0; k < d; k++) resid[i][k] += attnOut[i][k];
            if (AttnOnly) continue;
            for (var i = 0; i < p; i++)
            {
                var y = Norm(resid[i], $"{b}.ln2");
                var post = Enumerable.Range(0, DMlp).Select(f => Act(Enumerable.Range(0, d).Sum(k => y[k] * W($"{b}.mlp.W_in", k, f)) + W($"{b}.mlp.b_in", f))).ToArray();
                for (var k = 0; k < d; k++) resid[i][k] += Enumerable.Range(0, DMlp).Sum(f => post[f] * W($"{b}.mlp.W_out", f, k)) + W($"{b}.mlp.b_out", k);
            }
        }
        return resid.Select(r =>
        {
            var y = Norm(r, "ln_final");
            return Enumerable.Range(0, DVocab).Select(t => Enumerable.Range(0, d).Sum(k => y[k] * W("unembed.W_U", k, t)) + W("unembed.b_U", t)).ToArray();
        }).ToArray();
    }

    /// <summary>LN: (x − mean) / sqrt(var + 1e-5) · w + b (biased variance); LNPre: the same without w, b; none: x.</summary>
    private double[] Norm(double[] x, string name)
    {
        if (Normalization is null) return x;
        var mean = x.Average();
        var scale = Math.Sqrt(x.Average(v => (v - mean) * (v - mean)) + 1e-5);
        return x.Select((v, k) => Normalization == "LN" ? (v - mean) / scale * W($"{name}.w", k) + W($"{name}.b", k) : (v - mean) / scale).ToArray();
    }

    private double Act(double x) => ActFn == "relu" ? Math.Max(0, x) : 0.5 * x * (1 + Erf(x / Math.Sqrt(2)));

    /// <summary>erf by its Maclaurin series (|x| ≤ 3) or its continued fraction (beyond), to about 1e-12.</summary>
    private static double Erf(double x)
    {
        var a = Math.Abs(x);
        double r;
        if (a <= 3)
        {
            double term = a, sum = a;
            for (var n = 1; n < 100; n++)
            {
                term *= -a * a / n;
                var add = term / (2 * n + 1);
                sum += add;
                if (Math.Abs(add) < 1e-17) break;
            }
            r = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc(a) = exp(-a²)/sqrt(π) · 1/(a + 1/2/(a + 1/(a + 3/2/(a + ...)))), evaluated from the tail.
            double f = a;
            for (var n = 60; n >= 1; n--) f = a + n / 2.0 / f;
            r = 1 - Math.Exp(-a * a) / Math.Sqrt(Math.PI) / f;
        }
        return x < 0 ? -r : r;
    }
}
