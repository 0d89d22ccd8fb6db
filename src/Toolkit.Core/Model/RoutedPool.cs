using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Toolkit.Model;

/// <summary>The hook points of one routing step, named <c>router.steps.{s}.hook_*</c>.</summary>
/// <remarks>hook_resid_pre [batch, pos, d_model] enters the step; hook_logits [batch, pos, options] are the router's
/// logits (per-sequence and closed-choice logits repeated over positions); hook_choice [batch, pos] (int64) is the
/// option taken (blocks 0..n_layers−1, then the identity layers; −1 where ACT already halted), and a hook that
/// replaces it changes the route; hook_halt [batch, pos] is ACT's halting probability after the step;
/// hook_resid_post leaves the step.</remarks>
public sealed class RouteStep : nn.Module<Tensor, Tensor>
{
    public readonly HookPoint hook_resid_pre = new(), hook_logits = new(), hook_choice = new(), hook_halt = new(), hook_resid_post = new();

    internal RouteStep() : base("RouteStep") => RegisterComponents();

    public override Tensor forward(Tensor x) => x;
}

/// <summary>What the last evaluation-mode forward pass of a routed pool computed (docs/design.md §9).</summary>
/// <param name="Tokens">Positions of the batch (batch × pos).</param>
/// <param name="BlockTokenRuns">Block applications actually run, counted per position (a block run on a whole
/// sequence counts pos).</param>
/// <param name="ChosenBlockRuns">(position, step) pairs whose choice was a block (not an identity, not halted): what a
/// per-position gather would run.</param>
public sealed record RouteCompute(long Tokens, long BlockTokenRuns, long ChosenBlockRuns)
{
    /// <summary>Blocks run per position (a standard n-layer transformer: n).</summary>
    public double SpentPerToken => Tokens == 0 ? double.NaN : (double)BlockTokenRuns / Tokens;
    /// <summary>Blocks chosen per position.</summary>
    public double ChosenPerToken => Tokens == 0 ? double.NaN : (double)ChosenBlockRuns / Tokens;
}

/// <summary>A routed pool of transformer blocks plus identity layers: at each of route_steps steps a router picks one
/// option per token (per-token), per sequence (per-sequence) or per step (schedule, fixed); optional adaptive
/// computation time (docs/design.md §9).</summary>
/// <remarks>
/// Causality: a per-token decision at position t reads only the residual at t (which attention built from
/// positions ≤ t); a per-sequence decision reads the mean residual of the first route_prefix positions, causal only
/// for route_prefix 1. Training: straight-through Gumbel-softmax (the forward pass takes the hard choice, as
/// evaluation does; gradients reach the router through the soft probabilities, which needs every block's output, so
/// training runs every block on every position). Evaluation: argmax, and each block runs only where it was chosen
/// (per-sequence: the gathered sequences; per-token: the gathered positions, whose attention reads every position). When a hook listens to a block, every block runs on every position at every step, so cached
/// activations keep their full shapes; the numbers are the same.
/// </remarks>
public sealed class RoutedPool : nn.Module<Tensor, Tensor>
{
    private readonly ModelConfig cfg;
    private readonly Func<int, TransformerBlock> block;
    private readonly Func<bool> blocksListened;
    private readonly int stepCount, options, poolSize;
    private readonly bool perToken, act;
    private readonly Scalar inverseTemperature, haltAt, tiny, ponderWeight, longZero, poolLimit;
    private readonly Scalar[] optionIds;

    /// <summary>Step embedding [route_steps, d_model], added to what the router reads (linear, gru).</summary>
    public readonly Parameter? W_step;
    /// <summary>Router read-out [d_model, options] and bias [options] (linear, gru).</summary>
    public readonly Parameter? W_router, b_router;
    /// <summary>Closed choice: learned logits [route_steps, options], the same for every input.</summary>
    public readonly Parameter? schedule_logits;
    /// <summary>ACT halting unit: w [d_model], b [1].</summary>
    public readonly Parameter? W_halt, b_halt;
    public readonly GRUCell? gru;
    public readonly ModuleList<RouteStep> steps;

    internal RoutedPool(ModelConfig cfg, Func<int, TransformerBlock> block, Func<bool> blocksListened) : base("RoutedPool")
    {
        this.cfg = cfg;
        this.block = block;
        this.blocksListened = blocksListened;
        stepCount = cfg.RouteSteps!.Value;
        poolSize = cfg.NLayers;
        options = cfg.RouteOptions;
        perToken = cfg.Routing == RoutingMode.PerToken;
        act = cfg.RouteAct;
        inverseTemperature = (1.0 / cfg.RouterTemperature).ToScalar();
        haltAt = (1.0 - cfg.RouteActEpsilon).ToScalar();
        tiny = 1e-10.ToScalar();
        ponderWeight = cfg.RoutePonderCost.ToScalar();
        longZero = 0L.ToScalar();
        poolLimit = ((long)cfg.NLayers).ToScalar();
        optionIds = Enumerable.Range(0, options).Select(o => ((long)o).ToScalar()).ToArray();
        var std = cfg.InitializerRange!.Value;
        if (cfg.Routing is RoutingMode.PerToken or RoutingMode.PerSequence)
        {
            W_step = Init.Normal(std, stepCount, cfg.DModel);
            W_router = Init.Normal(std, cfg.DModel, options);
            b_router = Init.Zeros(options);
            if (cfg.RouterType == RouterKind.Gru) gru = nn.GRUCell(cfg.DModel, cfg.DModel);
        }
        else if (cfg.Routing == RoutingMode.Schedule) schedule_logits = Init.Zeros(stepCount, options);
        if (act)
        {
            W_halt = Init.Normal(std, cfg.DModel);
            b_halt = Init.Zeros(1);
        }
        steps = new ModuleList<RouteStep>(Enumerable.Range(0, stepCount).Select(_ => new RouteStep()).ToArray());
        RegisterComponents();
    }

    /// <summary>Whether each position decides for itself (per-token) rather than the sequence or the step.</summary>
    public bool PerToken => perToken;
    /// <summary>Steps T.</summary>
    public int Steps => stepCount;
    /// <summary>Options per step: the n_layers blocks, then the identity layers.</summary>
    public int Options => options;
    /// <summary>Blocks in the pool (options below this index are blocks, the rest identities).</summary>
    public int PoolSize => poolSize;
    /// <summary>The hook points of step s.</summary>
    public RouteStep Step(int s) => steps[s];

    /// <summary>ACT's ponder cost (weight × mean of N + R) from the last training-mode forward pass; null otherwise.</summary>
    public Tensor? PonderLoss { get; private set; }
    /// <summary>ACT with route_act_loss per-step, after a training-mode forward pass: every step's state with its halting
    /// weight [batch, units]; null otherwise.</summary>
    public IReadOnlyList<(Tensor State, Tensor Weight)>? StepStates { get; private set; }
    /// <summary>What the last evaluation-mode forward pass ran.</summary>
    public RouteCompute? LastCompute { get; private set; }

    /// <summary>Option names: L0..L{n−1} for the blocks, I0..I{j−1} for the identity layers.</summary>
    public string OptionName(int o) => o < poolSize ? $"L{o}" : $"I{o - poolSize}";

    /// <summary>resid [batch, pos, d_model] entering the pool → the stream leaving it.</summary>
    public override Tensor forward(Tensor x)
    {
        long b = x.shape[0], p = x.shape[1];
        var units = perToken ? p : 1;
        var dense = training || blocksListened();
        var count = !training;
        long blockTokenRuns = 0, chosenRuns = 0;
        Tensor? hidden = null, output = null, ponder = null;
        var cum = zeros(b, units, device: x.device);
        var running = ones(b, units, ScalarType.Bool, device: x.device);
        PonderLoss = null;
        StepStates = null;
        var perStepLoss = act && cfg.RouteActLoss == ActLoss.PerStep;
        var stepStates = training && perStepLoss ? new List<(Tensor, Tensor)>() : null;
        for (var s = 0; s < stepCount; s++)
        {
            var hooks = steps[s];
            x = hooks.hook_resid_pre.forward(x);
            var logits = hooks.hook_logits.forward(Logits(x, s, b, units, ref hidden).expand(b, p, options));
            var unitLogits = perToken ? logits : logits.narrow(1, 0, 1);
            Tensor? soft = null;
            Tensor choice;
            if (training && cfg.Routing != RoutingMode.Fixed)
            {
                var noise = rand_like(unitLogits).clamp_(tiny).log().neg().log().neg();
                soft = unitLogits.add(noise, Scalars.One).mul(inverseTemperature).softmax(-1);
                choice = soft.argmax(-1);
            }
            else choice = unitLogits.argmax(-1);
            var negative = ones_like(choice).neg();
            choice = hooks.hook_choice.forward(where(running, choice, negative).expand(b, p));
            if (!perToken) choice = choice.narrow(1, 0, 1);
            var live = running.logical_and(choice.ge(longZero));
            var hard = nn.functional.one_hot(choice.clamp_min(longZero), options).to_type(x.dtype);
            if (count) chosenRuns += live.logical_and(choice.lt(poolLimit)).sum().item<long>() * (perToken ? 1 : p);

            Tensor next;
            if (training)
            {
                // Straight-through: the value is the hard choice, the gradient that of the soft probabilities.
                var weights = soft is null ? hard : hard.sub(soft.detach()).add(soft, Scalars.One);
                var identity = weights.narrow(-1, poolSize, options - poolSize).sum(-1, keepdim: true);
                next = x.mul(identity);
                for (var l = 0; l < poolSize; l++)
                    next = next.add(block(l).forward(x).mul(weights.narrow(-1, l, 1)), Scalars.One);
                next = where(live.unsqueeze(-1), next, x);
            }
            else
            {
                next = x;
                for (var l = 0; l < poolSize; l++)
                {
                    var chosen = live.logical_and(choice.eq(optionIds[l]));
                    if (dense)
                    {
                        next = where(chosen.unsqueeze(-1), block(l).forward(x), next);
                        blockTokenRuns += b * p;
                    }
                    else if (perToken)
                    {
                        // Gather: the block computes only the positions that chose it (their attention reads every position).
                        var rows = chosen.reshape(-1).nonzero().squeeze(-1);
                        var n = rows.shape[0];
                        if (n == 0) continue;
                        var (batchIndex, positions) = Grid(b, p, x.device);
                        var gathered = block(l).ForwardAt(x, rows, batchIndex.index_select(0, rows), positions.index_select(0, rows));
                        next = next.reshape(b * p, x.shape[2]).index_copy(0, rows, gathered).view(b, p, x.shape[2]);
                        blockTokenRuns += n;
                    }
                    else
                    {
                        var index = chosen.select(1, 0).nonzero().squeeze(-1);
                        var n = index.shape[0];
                        if (n == 0) continue;
                        next = next.index_copy(0, index, block(l).forward(x.index_select(0, index)));
                        blockTokenRuns += n * p;
                    }
                }
            }
            x = hooks.hook_resid_post.forward(next);

            if (act)
            {
                var halt = hooks.hook_halt.forward(UnitInput(x, units).matmul(W_halt!).add(b_halt!, Scalars.One).sigmoid().expand(b, p));
                if (!perToken) halt = halt.narrow(1, 0, 1);
                var last = s == stepCount - 1;
                var haltsNow = last ? running : running.logical_and(cum.add(halt, Scalars.One).detach().ge(haltAt));
                var remainder = ones_like(cum).sub(cum);
                var weight = where(haltsNow, remainder, where(running, halt, zeros_like(halt)));
                stepStates?.Add((x, weight));
                // Per-step loss: the output is the state where the unit halted; mixture: the halting-weighted mean.
                var contribution = x.mul((perStepLoss ? haltsNow.to_type(x.dtype) : weight).unsqueeze(-1));
                output = output is null ? contribution : output.add(contribution, Scalars.One);
                // Ponder cost N + R: each running step counts 1, the halting step adds its remainder R (the only gradient).
                var stepCost = running.to_type(x.dtype).add(where(haltsNow, remainder, zeros_like(remainder)), Scalars.One);
                ponder = ponder is null ? stepCost : ponder.add(stepCost, Scalars.One);
                cum = cum.add(where(running.logical_and(haltsNow.logical_not()), halt, zeros_like(halt)), Scalars.One);
                running = running.logical_and(haltsNow.logical_not());
                if (!dense && !running.any().item<bool>()) break;
            }
        }
        if (count) LastCompute = new RouteCompute(b * p, blockTokenRuns, chosenRuns);
        if (!act) return x;
        if (training) PonderLoss = ponder!.mean().mul(ponderWeight);
        StepStates = stepStates;
        return output!;
    }

    private static readonly Scalar LongOne = 1L.ToScalar();

    /// <summary>The batch index and position of every flat row batch × pos + position, [batch × pos] each.</summary>
    private static (Tensor Batch, Tensor Position) Grid(long b, long p, Device device)
    {
        var shape = new long[] { b, p };
        return (ones(shape, ScalarType.Int64, device: device).cumsum(0).sub_(LongOne).reshape(-1),
                ones(shape, ScalarType.Int64, device: device).cumsum(1).sub_(LongOne).reshape(-1));
    }

    /// <summary>What a decision reads: each position's residual (per-token), or the mean of the first route_prefix
    /// positions (per-sequence), [batch, units, d_model].</summary>
    private Tensor UnitInput(Tensor x, long units) =>
        perToken ? x : x.narrow(1, 0, cfg.RoutePrefix).mean(new long[] { 1 }, keepdim: true);

    /// <summary>The router's logits at step s, [batch, units, options] (or broadcastable to it).</summary>
    private Tensor Logits(Tensor x, int s, long b, long units, ref Tensor? hidden)
    {
        switch (cfg.Routing)
        {
            case RoutingMode.Schedule:
                return schedule_logits!.select(0, s).view(1, 1, options);
            case RoutingMode.Fixed:
                return nn.functional.one_hot(tensor(new long[] { s % poolSize }, device: x.device), options).to_type(x.dtype).view(1, 1, options);
        }
        var input = UnitInput(x, units).add(W_step!.select(0, s), Scalars.One);
        if (gru is not null)
        {
            var flat = input.reshape(b * units, cfg.DModel);
            hidden = gru.forward(flat, hidden);
            input = hidden.view(b, units, cfg.DModel);
        }
        return input.matmul(W_router!).add(b_router!, Scalars.One);
    }

}
