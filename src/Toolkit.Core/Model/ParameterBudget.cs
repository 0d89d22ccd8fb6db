using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>Parameter counts, and the standard transformer whose count matches a routed pool's (docs/design.md §9).</summary>
public static class ParameterBudget
{
    /// <summary>Trainable parameters of a configuration (the fixed sinusoidal table excluded).</summary>
    public static long Count(ModelConfig config)
    {
        // Building draws from torch's global generator: keep its state, so counting never changes a later draw.
        using var state = get_rng_state();
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var model = new HookedTransformer(config);
            return model.parameters().Where(p => p.requires_grad).Sum(p => p.numel());
        }
        finally { set_rng_state(state); }
    }

    /// <summary>The standard (unrouted) transformer closest in parameter count to <paramref name="target"/>: among the
    /// given layer counts and every d_model that is a multiple of n_heads (d_head = d_model / n_heads), the smallest
    /// |difference|, ties to the layer count listed first.</summary>
    public static (ModelConfig Config, long Parameters) MatchedBaseline(ModelConfig target, IReadOnlyList<int> layerChoices)
    {
        var goal = Count(target);
        var standard = target.Resolve() with
        {
            Routing = RoutingMode.None, RouteSteps = null, RouteIdentityLayers = 0, RouteAct = false, DHead = null, DMlp = null, InitializerRange = null,
        };
        (ModelConfig, long)? best = null;
        foreach (var layers in layerChoices)
            for (var d = target.NHeads; d <= 4 * target.DModel; d += target.NHeads)
            {
                var candidate = standard with { NLayers = layers, DModel = d };
                var n = Count(candidate);
                if (best is null || Math.Abs(n - goal) < Math.Abs(best.Value.Item2 - goal)) best = (candidate, n);
                if (n > goal) break;
            }
        return best ?? throw new ToolkitException("no layer count to choose from", "pass at least one layer count");
    }

    /// <summary>One line: "name: N parameters (n_layers L, d_model D[, pool …])".</summary>
    public static string Describe(string name, ModelConfig config)
    {
        var c = config.Resolve();
        var shape = c.Routed
            ? $"pool {c.NLayers} blocks + {c.RouteIdentityLayers} identities, {c.RouteSteps} steps, routing {c.Routing.JsonName()}{(c.RouteAct ? " + ACT" : "")}, d_model {c.DModel}"
            : c.EncoderDecoder ? $"encoder {c.NEncoderLayers} + decoder {c.NLayers} layers, d_model {c.DModel}"
            : $"n_layers {c.NLayers}, d_model {c.DModel}";
        return $"{name}: {Count(c):N0} parameters ({shape})";
    }
}
