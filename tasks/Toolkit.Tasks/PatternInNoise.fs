namespace Toolkit.Tasks

open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// Settings of the pattern-in-noise family.
type PatternInNoiseSettings = {
    Context: int
    VocabSize: int
    /// Motif length range.
    Motif: IntRange
    /// Motif lengths of the range never drawn (the held-out-motifs probe draws only these).
    Holdout: int list
    /// Number of occurrences of the motif (≥ 2).
    Occurrences: IntRange
    Collisions: bool
    Tokens: IntRange
}

/// `pattern-in-noise`: random noise with a motif of length m at two or more random,
/// non-overlapping places. The only simple general solution is induction: positions carry no
/// information. Predictable: every later occurrence after its first token.
type PatternInNoise(s: PatternInNoiseSettings) =
    inherit FamilyTask<PatternInNoiseSettings>("pattern-in-noise", s, s.Context)
    static let reserved = [ "PAD" ]

    static let specs: ParamSpec list = [
        TaskFamily.contextSpec 64
        TaskFamily.vocabSpec reserved
        {
            Name = "motif"
            Default = "3..8"
            Help = "motif length, a number or range"
        }
        holdoutSpec "motif lengths"
        {
            Name = "occurrences"
            Default = "2..4"
            Help = "how many times the motif occurs (at least 2)"
        }
        {
            Name = "collisions"
            Default = "false"
            Help = "allow the noise to use motif tokens and the motif to repeat tokens"
        }
        TaskFamily.tokensSpec
    ]

    let vocab = {
        Size = s.VocabSize
        Reserved = reserved
    }

    let motifs = allowedValues s.Motif s.Holdout

    do
        if s.Motif.Lo < 2 then
            fail $"motif {s.Motif} includes motifs shorter than 2" "use motif lengths of at least 2"

        if s.Occurrences.Lo < 2 then
            fail $"occurrences {s.Occurrences} includes fewer than 2: nothing repeats" "use occurrences of 2 or more"

        checkHoldout "motif length" s.Motif s.Holdout

        if s.Motif.Hi * s.Occurrences.Hi > s.Context then
            fail
                $"{s.Occurrences.Hi} occurrences of a motif of {s.Motif.Hi} need {s.Motif.Hi * s.Occurrences.Hi} tokens, more than context {s.Context}"
                "use shorter motifs, fewer occurrences, or a longer --n-ctx"

        checkTokens vocab s.Tokens

        if not s.Collisions && s.Motif.Hi + 1 > s.Tokens.Count then
            fail
                $"a motif of {s.Motif.Hi} distinct tokens plus noise needs more than the {s.Tokens.Count} content tokens"
                "use a larger --d-vocab, shorter motifs, or collisions=true"

    /// Whether training draws this shape (the support of Instances, in closed form).
    let draws m c =
        Array.contains m motifs
        && c >= s.Occurrences.Lo
        && c <= min s.Occurrences.Hi (s.Context / m)

    let probes = FamilyProbes(fun settings -> PatternInNoise(settings) :> ITask)

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        TaskFamily.factory "pattern-in-noise" "random noise with a motif occurring two or more times at random places" specs (fun p ->
            PatternInNoise(
                {
                    VocabSize = p.Int "vocab"
                    Context = p.Int "context"
                    Motif = p.Range "motif"
                    Holdout = p.Holdout "motif"
                    Occurrences = p.Range "occurrences"
                    Collisions = p.Bool "collisions"
                    Tokens = p.Tokens reserved
                }
            ))

    override _.Vocabulary = vocab

    override _.Parameters =
        TaskFamily.parameters s.Context vocab s.Tokens [
            "motif", string s.Motif
            "holdout", holdoutText s.Holdout
            "occurrences", string s.Occurrences
            "collisions", TaskFamily.boolText s.Collisions
        ]

    // No seen periods (FamilyTask's default): distances between occurrences are random, no single period to avoid.

    override _.Probes =
        [ // Inside: motif lengths inside the trained range that training never drew. (Training places occurrences
            // anywhere they fit, so no placement is a probe of unseen instances.)
            probes.HeldOut(
                "held-out-motifs",
                $"motif lengths {holdoutText s.Holdout} inside {s.Motif}, held out of training",
                s.Motif,
                s.Holdout,
                fun h -> { s with Holdout = h }
            )
            // Outside: more occurrences than any training sequence had.
            probes.Beyond(
                "more-occurrences",
                Outside,
                s.Occurrences,
                min (s.Context / s.Motif.Lo) (s.Occurrences.Hi + 2),
                (fun r -> $"{r.Lo}..{r.Hi} occurrences (training {s.Occurrences})"),
                fun r -> {
                    s with
                        Occurrences = r
                        Motif = {
                            s.Motif with
                                Hi = min s.Motif.Hi (s.Context / r.Hi)
                        }
                        Holdout = []
                }
            )
            probes.Beyond(
                "longer-motifs",
                Outside,
                s.Motif,
                min (s.Context / s.Occurrences.Lo) (s.Motif.Hi + max 2 (s.Motif.Count / 2)),
                (fun r -> $"motifs of {r.Lo}..{r.Hi} tokens (training {s.Motif})"),
                fun r -> {
                    s with
                        Motif = r
                        Holdout = []
                        Occurrences = {
                            s.Occurrences with
                                Hi = s.Occurrences.Lo
                        }
                }
            )
            probes.UnseenTokens(vocab, s.Tokens, fun r -> { s with Tokens = r })
        ]
        |> List.choose id

    override _.Instances =
        gen {
            let! m = Gen.elements motifs
            let! c = Gen.choose (s.Occurrences.Lo, min s.Occurrences.Hi (s.Context / m))
            let! seed = Sampling.seed

            return {
                Shape = Map [ "motif", m; "occurrences", c ]
                Seed = seed
            }
        }

    override _.Build inst =
        let m, c = shape inst "motif", shape inst "occurrences"

        if m < 1 || c < 1 || m * c > s.Context then
            fail $"instance motif={m} occurrences={c} does not fit context {s.Context}" "choose smaller shapes"

        let rng = FastRng(inst.Seed)
        let lo, hi = s.Tokens.Lo, s.Tokens.Hi

        let motif =
            if s.Collisions then
                Array.init m (fun _ -> rng.Between(lo, hi))
            else
                rng.Distinct(lo, hi, m)

        let tokens = Array.zeroCreate s.Context

        fillFrom
            rng
            tokens
            0
            tokens.Length
            (if s.Collisions then
                 [| lo..hi |]
             else
                 without s.Tokens motif)
        // Non-overlapping places by stars and bars: c sorted distinct draws x_k from
        // [0, free + c - 1] give starts x_k - k + k*m, gaps ≥ 0 between occurrences.
        let free = s.Context - c * m
        let xs = rng.Distinct(0, free + c - 1, c)
        System.Array.Sort xs
        let starts = xs |> Array.mapi (fun k x -> x - k + k * m)
        let mask = Array.zeroCreate s.Context

        for k in 0 .. c - 1 do
            Array.blit motif 0 tokens starts.[k] m

            if k > 0 then
                for i in starts.[k] + 1 .. starts.[k] + m - 1 do
                    mask.[i] <- true

        {
            Tokens = tokens
            LossMask = mask
            Meta = inst.Shape |> withMeta [ for k in 0 .. c - 1 -> $"at{k}", starts.[k] ]
        }

    override _.Shrink inst =
        TaskFamily.shrinkTwoValues ("motif", s.Motif.Lo) ("occurrences", s.Occurrences.Lo) draws inst

    // Blocks and filler draw only from the `tokens` range, so head scores are read on those ids.
    interface IUsedTokens with
        member _.UsedTokens = [| s.Tokens.Lo .. s.Tokens.Hi |]

    interface IShapeSupport with
        member _.Draws shape =
            TaskFamily.drawsTwoValues "motif" "occurrences" draws shape
