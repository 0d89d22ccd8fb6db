using TorchSharp;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Analysis;

/// <summary>A node of a model's computational graph: the embeddings, one head, one MLP, or the logits.</summary>
public sealed record GraphNode(int Index, GraphNodeKind Kind, int Layer, int Head)
{
    /// <summary>"embed", "L1H3", "MLP0" or "logits".</summary>
    public string Name => Kind switch
    {
        GraphNodeKind.Embed => "embed",
        GraphNodeKind.Head => HeadMatrices.Name(Layer, Head),
        GraphNodeKind.Mlp => $"MLP{Layer}",
        _ => "logits",
    };
}

/// <summary>Kinds of <see cref="GraphNode"/>.</summary>
public enum GraphNodeKind { Embed, Head, Mlp, Logits }

/// <summary>Which input of the receiver an edge feeds.</summary>
public enum EdgeInput { Q, K, V, Mlp, Logits }

/// <summary>An edge: the sender's output as read by one input of a later receiver (docs/design.md §4 "Circuit discovery").</summary>
public sealed record GraphEdge(int Index, GraphNode Sender, GraphNode Receiver, EdgeInput Input)
{
    /// <summary>"L0H2 → L1H1.K", "L1H1 → logits", "embed → MLP0".</summary>
    public string Name => $"{Sender.Name} → {Receiver.Name}{(Input is EdgeInput.Q or EdgeInput.K or EdgeInput.V ? "." + Input : "")}";
}

/// <summary>The edge-level graph of a <see cref="HookedTransformer"/> and a forward pass in which each edge carries
/// either the sender's output of this run or its output on the corrupted input.</summary>
/// <remarks>Source: Conmy et al. 2023 (ACDC), after Elhage et al. 2021's residual-stream decomposition: the input of a
/// head's Q, K or V (before ln1), of an MLP (before ln2) and of the unembedding (before ln_final) is the sum of the
/// outputs of every earlier node (embeddings = token + position embedding; a head's output = its z·W_O, as hook_result;
/// an MLP's output with its bias) plus the attention output biases b_O of earlier layers, which no edge carries. With
/// every edge present the pass equals <see cref="HookedTransformer.forward"/> (a test checks it). Dropout is not applied.</remarks>
public sealed class EdgeGraph : IDisposable
{
    private readonly HookedTransformer model;
    private readonly Scalar scale;
    private readonly List<Group> groups = new();

    /// <summary>Receivers of one kind at one depth: heads of a layer (3·n_heads slots: Q of every head, then K, then V), one MLP or the logits.</summary>
    private sealed record Group(int Layer, GraphNodeKind Kind, int[] Senders, int[,] EdgeIndex);

    /// <summary>Nodes in computation order: embed, then per layer its heads and MLP, then logits.</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>Edges grouped by receiver in computation order; per head Q, K, V; senders in computation order.</summary>
    public IReadOnlyList<GraphEdge> Edges { get; }

    /// <summary>Builds the graph of a model (its weights are read at every pass, never copied).</summary>
    public EdgeGraph(HookedTransformer model)
    {
        this.model = model;
        var cfg = model.Config;
        model.RequireSequentialBlocks("circuit discovery");
        // The graph sums each receiver's inputs from senders; a post-norm or parallel block's input is not such a sum.
        if (cfg.NormalizationPosition == LayerNormPosition.Post || (cfg.ParallelAttnMlp && !cfg.AttnOnly))
            throw new ToolkitException("circuit discovery needs a pre-norm model with sequential blocks (each receiver reads a sum of earlier outputs)",
                "use it on pre-norm models without parallel attention and MLP");
        scale = (1.0 / Math.Sqrt(cfg.HeadDim)).ToScalar();
        var nodes = new List<GraphNode> { new(0, GraphNodeKind.Embed, -1, -1) };
        var heads = new int[cfg.NLayers, cfg.NHeads];
        var mlps = new int[cfg.NLayers];
        for (var l = 0; l < cfg.NLayers; l++)
        {
            for (var h = 0; h < cfg.NHeads; h++) { heads[l, h] = nodes.Count; nodes.Add(new(nodes.Count, GraphNodeKind.Head, l, h)); }
            mlps[l] = -1;
            if (model.blocks[l].mlp is not null) { mlps[l] = nodes.Count; nodes.Add(new(nodes.Count, GraphNodeKind.Mlp, l, -1)); }
        }
        nodes.Add(new(nodes.Count, GraphNodeKind.Logits, cfg.NLayers, -1));
        Nodes = nodes;

        var edges = new List<GraphEdge>();
        List<int> Before(int layer, bool headsOfLayer) // senders of a receiver in `layer`
        {
            var s = new List<int> { 0 };
            for (var l = 0; l < layer; l++)
            {
                for (var h = 0; h < cfg.NHeads; h++) s.Add(heads[l, h]);
                if (mlps[l] >= 0) s.Add(mlps[l]);
            }
            if (headsOfLayer) for (var h = 0; h < cfg.NHeads; h++) s.Add(heads[layer, h]);
            return s;
        }
        for (var l = 0; l < cfg.NLayers; l++)
        {
            var senders = Before(l, false).ToArray();
            var index = new int[3 * cfg.NHeads, senders.Length];
            for (var h = 0; h < cfg.NHeads; h++)
                for (var t = 0; t < 3; t++)
                    for (var s = 0; s < senders.Length; s++)
                    {
                        index[t * cfg.NHeads + h, s] = edges.Count;
                        edges.Add(new(edges.Count, nodes[senders[s]], nodes[heads[l, h]], (EdgeInput)t));
                    }
            groups.Add(new Group(l, GraphNodeKind.Head, senders, index));
            if (mlps[l] >= 0)
            {
                var ms = Before(l, true).ToArray();
                var mi = new int[1, ms.Length];
                for (var s = 0; s < ms.Length; s++) { mi[0, s] = edges.Count; edges.Add(new(edges.Count, nodes[ms[s]], nodes[mlps[l]], EdgeInput.Mlp)); }
                groups.Add(new Group(l, GraphNodeKind.Mlp, ms, mi));
            }
        }
        var ls = Enumerable.Range(0, nodes.Count - 1).ToArray();
        var li = new int[1, ls.Length];
        for (var s = 0; s < ls.Length; s++) { li[0, s] = edges.Count; edges.Add(new(edges.Count, nodes[ls[s]], nodes[^1], EdgeInput.Logits)); }
        groups.Add(new Group(cfg.NLayers, GraphNodeKind.Logits, ls, li));
        Edges = edges;
    }

    /// <summary>The edge from a sender to an input of a receiver, by names ("L0H2", "L1H1", K), or null.</summary>
    public GraphEdge? Find(string sender, string receiver, EdgeInput input) =>
        Edges.FirstOrDefault(e => e.Sender.Name == sender && e.Receiver.Name == receiver && e.Input == input);

    /// <summary>The node of a name ("embed", "L1H3", "MLP0", "logits"), or an error naming the nodes.</summary>
    public GraphNode Node(string name) =>
        Nodes.FirstOrDefault(n => string.Equals(n.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ToolkitException($"the model has no node '{name}'", $"nodes are embed, L0H0 .. {Nodes[^2].Name}, logits");

    /// <summary>One pass of the graph.</summary>
    public sealed class Pass
    {
        /// <summary>Logits [batch, pos, vocab].</summary>
        public required Tensor Logits { get; init; }
        /// <summary>Every node's output [batch, pos, d_model] (the logits node: null).</summary>
        public required Tensor?[] Outputs { get; init; }
        /// <summary>Per receiver group: its inputs [slots, batch, pos, d_model] before LayerNorm, with the edge index of every (slot, sender) and the senders.</summary>
        public required List<(Tensor Input, int[,] EdgeIndex, int[] Senders)> Inputs { get; init; }
    }

    /// <summary>Runs <paramref name="tokens"/>; an edge absent from <paramref name="present"/> carries the sender's output
    /// from <paramref name="corrupted"/> (a pass on the corrupted input) instead of this run's.</summary>
    public Pass Run(Tensor tokens, bool[]? present = null, Pass? corrupted = null)
    {
        if (present is not null && corrupted is null) throw new ArgumentException("absent edges need a corrupted pass");
        var cfg = model.Config;
        var outputs = new Tensor?[Nodes.Count];
        var inputs = new List<(Tensor, int[,], int[])>();
        outputs[0] = model.StreamIntoFirstBlock(tokens); // tokens, positions (when added to the stream) and Conv-Attn's smear
        Tensor? bias = null;
        long p = tokens.shape[1];
        Tensor? logits = null;
        foreach (var g in groups)
        {
            int slots = g.EdgeIndex.GetLength(0), senders = g.Senders.Length;
            var current = stack(g.Senders.Select(s => outputs[s]!).ToArray()); // [S, b, p, d]
            var diff = current;
            Tensor? baseline = null;
            if (corrupted is not null)
            {
                var other = stack(g.Senders.Select(s => corrupted.Outputs[s]!).ToArray());
                diff = current.sub(other);
                baseline = other.sum(0L);
            }
            var mask = new float[slots, senders];
            for (var i = 0; i < slots; i++)
                for (var s = 0; s < senders; s++) mask[i, s] = present is null || present[g.EdgeIndex[i, s]] ? 1f : 0f;
            var x = einsum("gs,sbpd->gbpd", tensor(mask, device: tokens.device), diff);
            if (baseline is not null) x = x.add(baseline, Scalars.One);
            if (bias is not null) x = x.add(bias, Scalars.One);
            inputs.Add((x, g.EdgeIndex, g.Senders));
            if (g.Kind == GraphNodeKind.Head)
            {
                var block = model.blocks[g.Layer];
                var attn = block.attn;
                var h = cfg.NHeads;
                var normed = block.ln1 is null ? x : nn.functional.layer_norm(x, new[] { (long)cfg.DModel }, block.ln1.w, block.ln1.b, 1e-5);
                var parts = normed.view(3, h, x.shape[1], p, cfg.DModel);
                Tensor Project(Tensor input, Tensor w, Tensor b) => einsum("hbpd,hde->hbpe", input, w).add(b.unsqueeze(1).unsqueeze(1), Scalars.One);
                // Shortformer positions and rotary rotations, as the model's own attention applies them ([b, p, h, e] there).
                Tensor Rotate(Tensor qk) => attn.Rotate(qk.permute(1, 2, 0, 3)).permute(2, 0, 1, 3);
                var q = Rotate(Project(attn.AddQueryKeyPositions(parts[0]), attn.W_Q, attn.b_Q));
                var k = Rotate(Project(attn.AddQueryKeyPositions(parts[1]), attn.W_K, attn.b_K));
                var v = Project(parts[2], attn.W_V, attn.b_V);
                var scores = q.matmul(k.transpose(-1, -2)).mul(scale); // [h, b, dest, src]
                using (var future = ones(p, p, ScalarType.Bool, device: tokens.device).triu_(1))
                    scores = scores.masked_fill(future, Scalars.NegativeInfinity);
                var z = scores.softmax(-1).matmul(v); // [h, b, p, d_head]
                var result = einsum("hbpe,hed->hbpd", z, attn.W_O);
                for (var i = 0; i < h; i++) outputs[1 + g.Layer * h + i + MlpsBefore(g.Layer)] = result[i];
                bias = bias is null ? attn.b_O : bias.add(attn.b_O, Scalars.One);
            }
            else if (g.Kind == GraphNodeKind.Mlp)
            {
                var block = model.blocks[g.Layer];
                var input = block.ln2 is null ? x[0] : nn.functional.layer_norm(x[0], new[] { (long)cfg.DModel }, block.ln2.w, block.ln2.b, 1e-5);
                outputs[Nodes.First(n => n.Kind == GraphNodeKind.Mlp && n.Layer == g.Layer).Index] = block.mlp!.forward(input);
            }
            else
            {
                var final = model.ln_final is null ? x[0] : nn.functional.layer_norm(x[0], new[] { (long)cfg.DModel }, model.ln_final.w, model.ln_final.b, 1e-5);
                logits = model.unembed.forward(final);
            }
        }
        return new Pass { Logits = logits!, Outputs = outputs, Inputs = inputs };
    }

    private int MlpsBefore(int layer)
    {
        var n = 0;
        for (var l = 0; l < layer; l++) if (model.blocks[l].mlp is not null) n++;
        return n;
    }

    public void Dispose() => scale.Dispose();
}
