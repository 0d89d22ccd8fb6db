using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Tasks;

namespace Toolkit.Verdicts;

/// <summary>The mechanism test behind "memorizes positions" (docs/design.md §4): on the predictable positions
/// where every offset of the position-only shortcut (<see cref="PositionBaseline.OffsetSetAt"/>) predicts a token
/// other than the rule's, how often the model's top-1 prediction is one of the shortcut's tokens. A model that
/// memorized positions follows the shortcut there, from whichever earlier copy it reads; a model that fails for
/// another reason does not. A low probe score alone shows neither.</summary>
/// <param name="Positions">Predictable positions where every shortcut offset predicts a token other than the rule's.</param>
/// <param name="Agreement">Share of those positions where the model predicts one of the shortcut's tokens.</param>
/// <param name="AgreementLow">2.5th percentile of <paramref name="Agreement"/>, bootstrapping over sequences.</param>
/// <param name="AgreementHigh">97.5th percentile.</param>
/// <param name="RuleAccuracy">Share of those positions where the model predicts the rule's token.</param>
/// <param name="Chance">Agreement a model predicting content tokens at random would reach: per position, the
/// shortcut's distinct content tokens over the content tokens, averaged over the positions counted.</param>
public sealed record ShortcutAgreement(long Positions, double Agreement, double AgreementLow, double AgreementHigh, double RuleAccuracy, double Chance)
{
    /// <summary>Measures the model against a fitted shortcut on examples of a task.</summary>
    public static ShortcutAgreement Measure(HookedTransformer model, PositionBaseline shortcut, IReadOnlyList<Example> examples, Vocabulary vocabulary) =>
        FromPredictions(Evaluator.Predictions(model, examples), shortcut, examples, vocabulary);

    /// <summary>The measure from predictions already made (<see cref="Evaluator.Predictions"/>); pure, so
    /// property tests can check it on hand-built predictors.</summary>
    public static ShortcutAgreement FromPredictions(int[][] predictions, PositionBaseline shortcut, IReadOnlyList<Example> examples, Vocabulary vocabulary)
    {
        var agreePerSequence = new long[examples.Count];
        var rulePerSequence = new long[examples.Count];
        var disagreePerSequence = new long[examples.Count];
        double chanceSum = 0;
        for (var k = 0; k < examples.Count; k++)
        {
            var ex = examples[k];
            for (var i = 1; i < ex.Tokens.Length; i++)
            {
                if (!ex.LossMask[i] || predictions[k][i] < 0) continue; // a masked LM predicts only the positions it had masked
                var shortcutTokens = shortcut.ShortcutTokens(ex.Tokens, i);
                if (shortcutTokens.Length == 0 || shortcutTokens.Contains(ex.Tokens[i])) continue;
                disagreePerSequence[k]++;
                if (shortcutTokens.Contains(predictions[k][i])) agreePerSequence[k]++;
                if (predictions[k][i] == ex.Tokens[i]) rulePerSequence[k]++;
                chanceSum += shortcutTokens.Count(t => t >= vocabulary.ContentStart && t < vocabulary.Size);
            }
        }
        var positions = disagreePerSequence.Sum();
        if (positions == 0) return new ShortcutAgreement(0, double.NaN, double.NaN, double.NaN, double.NaN, PositionBaseline.Chance(vocabulary));
        var chance = chanceSum / positions * PositionBaseline.Chance(vocabulary);
        var (low, high) = Bootstrap.Interval(agreePerSequence, disagreePerSequence);
        return new ShortcutAgreement(positions, (double)agreePerSequence.Sum() / positions, low, high,
            (double)rulePerSequence.Sum() / positions, chance);
    }

    /// <summary>Whether there are enough disagreeing positions to say anything.</summary>
    public bool Measurable(VerdictSettings settings) => Positions >= settings.MinShortcutPositions;

    /// <summary>The model follows the shortcut: the interval's lower end reaches the settings' agreement level.</summary>
    public bool Follows(VerdictSettings settings) => Measurable(settings) && AgreementLow >= settings.ShortcutAgreement;

    /// <summary>The model does not follow the shortcut: the interval's upper end stays below the agreement level.</summary>
    public bool DoesNotFollow(VerdictSettings settings) => Measurable(settings) && AgreementHigh < settings.ShortcutAgreement;

    public override string ToString() => Positions == 0
        ? "the shortcut and the rule never disagree here"
        : $"where the shortcut and the rule disagree ({Positions} positions) the model predicts a token at one of the shortcut's offsets {Agreement:P1} " +
          $"[{AgreementLow:P1}, {AgreementHigh:P1}] (chance {Chance:P1}) and the rule's {RuleAccuracy:P1}";
}
