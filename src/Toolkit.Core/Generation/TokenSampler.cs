using TorchSharp;
using Toolkit.Model;
using static TorchSharp.torch;

namespace Toolkit.Generation;

/// <summary>How the next token is drawn from the model's logits: greedy at temperature 0, otherwise from
/// softmax(logits / temperature) restricted to the <see cref="TopK"/> most likely tokens and to the smallest
/// set whose probability reaches <see cref="TopP"/> (nucleus sampling, Holtzman et al. 2020).</summary>
public sealed record SamplingSettings
{
    public double Temperature { get; init; } = 1.0;
    /// <summary>Keep only this many most likely tokens (0: all).</summary>
    public int TopK { get; init; }
    /// <summary>Keep the smallest set of most likely tokens whose probability reaches this (1: all).</summary>
    public double TopP { get; init; } = 1.0;
    public ulong Seed { get; init; }

    public SamplingSettings Validate()
    {
        if (!double.IsFinite(Temperature) || Temperature < 0)
            throw new ToolkitException($"temperature {Temperature} must be 0 (greedy) or positive", "use --temperature 1, or 0 for greedy decoding");
        if (TopK < 0) throw new ToolkitException($"top-k {TopK} is negative", "use --top-k 0 (all tokens) or a positive number");
        if (!(TopP > 0 && TopP <= 1)) throw new ToolkitException($"top-p {TopP} is outside (0, 1]", "use --top-p 1 (all tokens) or e.g. 0.9");
        return this;
    }
}

/// <summary>Autoregressive generation from a trained model (docs/design.md §1, sampling): each new token is drawn
/// from the logits at the last position; when the sequence outgrows the context, the model sees the last n_ctx tokens.</summary>
public static class TokenSampler
{
    /// <summary>Continues each prompt by <paramref name="count"/> tokens; returns the generated tokens only.</summary>
    public static long[][] Continue(HookedTransformer model, IReadOnlyList<long[]> prompts, int count, SamplingSettings settings)
    {
        model.RequireNextToken("sampling");
        settings.Validate();
        Check(model, prompts, count);
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        var generator = new Generator(settings.Seed, model.Device);
        return prompts.Select(prompt =>
        {
            var sequence = prompt.ToList();
            for (var i = 0; i < count; i++)
            {
                using var scope = NewDisposeScope();
                var window = sequence.Skip(Math.Max(0, sequence.Count - model.Config.NCtx)).ToArray();
                var logits = model.forward(tensor(window, new long[] { 1, window.Length }, device: model.Device)).select(1, window.Length - 1).squeeze(0);
                sequence.Add(Next(logits, settings, generator));
            }
            return sequence.Skip(prompt.Length).ToArray();
        }).ToArray();
    }

    /// <summary>Beam search (greedy over sequences): keeps the <paramref name="beams"/> continuations with the highest
    /// summed log-probability at every step and returns the best one's <paramref name="count"/> new tokens. Width 1 is
    /// greedy decoding. Deterministic; ties go to the lower token id.</summary>
    public static long[] Beam(HookedTransformer model, long[] prompt, int count, int beams)
    {
        model.RequireNextToken("beam search");
        if (beams < 1) throw new ToolkitException($"{beams} beams is fewer than 1", "use --beams 4, for example");
        Check(model, [prompt], count);
        using var _ = no_grad();
        using var evalMode = model.EvalMode();
        var live = new List<(List<long> Tokens, double LogProbability)> { (prompt.ToList(), 0) };
        for (var i = 0; i < count; i++)
        {
            var candidates = new List<(List<long> Tokens, double LogProbability)>();
            foreach (var (tokens, score) in live)
            {
                using var scope = NewDisposeScope();
                var window = tokens.Skip(Math.Max(0, tokens.Count - model.Config.NCtx)).ToArray();
                var logProbabilities = model.forward(tensor(window, new long[] { 1, window.Length }, device: model.Device))
                    .select(1, window.Length - 1).squeeze(0).to_type(ScalarType.Float64).log_softmax(0).cpu().data<double>().ToArray();
                candidates.AddRange(logProbabilities.Select((lp, token) => (tokens.Append(token).ToList(), score + lp))
                    .OrderByDescending(c => c.Item2).Take(beams));
            }
            live = candidates.Select((c, order) => (c, order)).OrderByDescending(x => x.c.LogProbability).ThenBy(x => x.order)
                .Take(beams).Select(x => x.c).ToList();
        }
        return live[0].Tokens.Skip(prompt.Length).ToArray();
    }

    private static void Check(HookedTransformer model, IReadOnlyList<long[]> prompts, int count)
    {
        if (count < 0) throw new ToolkitException($"{count} tokens to generate is negative", "use --max-tokens 20, for example");
        foreach (var prompt in prompts)
        {
            if (prompt.Length == 0) throw new ToolkitException("a prompt is empty", "give at least one token, e.g. --prompt \"3 7 1\"");
            if (prompt.Any(t => t < 0 || t >= model.Config.DVocab))
                throw new ToolkitException($"prompt token {prompt.First(t => t < 0 || t >= model.Config.DVocab)} is outside the vocabulary 0..{model.Config.DVocab - 1}",
                    "give token ids the model was trained on");
        }
    }

    /// <summary>Draws one token from logits [vocab].</summary>
    public static long Next(Tensor logits, SamplingSettings settings, Generator generator)
    {
        using var scope = NewDisposeScope();
        if (settings.Temperature == 0) return logits.argmax().item<long>();
        using var temperature = settings.Temperature.ToScalar();
        var scaled = logits.to_type(ScalarType.Float64).div(temperature);
        var (sorted, order) = scaled.sort(descending: true);
        var probabilities = sorted.softmax(0);
        var keep = probabilities.shape[0];
        if (settings.TopK > 0) keep = Math.Min(keep, settings.TopK);
        if (settings.TopP < 1)
        {
            // The smallest prefix whose probability reaches top-p: tokens before the crossing point are kept.
            var cumulative = probabilities.cumsum(0).data<double>().ToArray();
            var reach = Array.FindIndex(cumulative, c => c >= settings.TopP);
            keep = Math.Min(keep, reach < 0 ? cumulative.Length : reach + 1);
        }
        var kept = probabilities.narrow(0, 0, keep);
        var choice = multinomial(kept, 1, generator: generator).item<long>();
        return order[choice].item<long>();
    }
}
