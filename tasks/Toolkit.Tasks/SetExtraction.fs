namespace Toolkit.Tasks

open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// Settings of the set-extraction family.
type SetExtractionSettings = {
    Context: int
    VocabSize: int
    /// Input length range (tokens before SEP).
    Length: IntRange
    /// Input lengths of the range never drawn (the held-out-lengths probe draws only these).
    Holdout: int list
    /// Number of distinct tokens in the input (clipped to the input length).
    Distinct: IntRange
    Tokens: IntRange
}

/// `set-extraction`: random tokens with duplicates, SEP, then the distinct tokens in order of
/// first appearance, EOS, PAD to the end (an exaptation test for induction circuits).
/// Predictable: every output token and the EOS (the input and SEP fix them).
type SetExtraction(s: SetExtractionSettings) =
    inherit FamilyTask<SetExtractionSettings>("set-extraction", s, s.Context)

    static let specs =
        InputSettings.Specs(
            64,
            "8..24",
            "input length before SEP",
            [
                {
                    Name = "distinct"
                    Default = "2..10"
                    Help = "distinct tokens in the input"
                }
            ]
        )

    let vocab = {
        Size = s.VocabSize
        Reserved = InputSettings.Reserved
    }

    let sep, eos = 1, 2
    let lengths = allowedValues s.Length s.Holdout

    do
        if s.Length.Lo < 1 then
            fail $"length {s.Length} includes empty inputs" "use lengths of at least 1"

        checkHoldout "length" s.Length s.Holdout

        if s.Distinct.Lo < 1 then
            fail $"distinct {s.Distinct} includes 0" "use at least 1 distinct token"

        if s.Distinct.Lo > s.Length.Lo then
            fail $"distinct {s.Distinct} starts above the shortest input {s.Length.Lo}" $"use distinct from at most {s.Length.Lo}"

        let worst = s.Length.Hi + min s.Length.Hi s.Distinct.Hi + 2

        if worst > s.Context then
            fail
                $"an input of {s.Length.Hi}, SEP, {min s.Length.Hi s.Distinct.Hi} outputs and EOS need {worst} tokens, more than context {s.Context}"
                "use shorter inputs, fewer distinct tokens, or a longer --n-ctx"

        checkTokens vocab s.Tokens

        if s.Distinct.Hi > s.Tokens.Count then
            fail
                $"distinct {s.Distinct} needs more than the {s.Tokens.Count} content tokens"
                "use a larger --d-vocab or fewer distinct tokens"

    /// Whether training draws this shape (the support of Instances, in closed form).
    let draws n d =
        Array.contains n lengths && d >= s.Distinct.Lo && d <= min s.Distinct.Hi n

    let probes = FamilyProbes(fun settings -> SetExtraction(settings) :> ITask)

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        TaskFamily.factory
            "set-extraction"
            "tokens with duplicates, SEP, then the distinct tokens in order of first appearance, EOS"
            specs
            (fun p ->
                SetExtraction(
                    {
                        VocabSize = p.Int "vocab"
                        Context = p.Int "context"
                        Length = p.Range "length"
                        Holdout = p.Holdout "length"
                        Distinct = p.Range "distinct"
                        Tokens = p.Tokens InputSettings.Reserved
                    }
                ))

    override _.Vocabulary = vocab

    override _.Parameters =
        TaskFamily.parameters s.Context vocab s.Tokens [
            "length", string s.Length
            "holdout", holdoutText s.Holdout
            "distinct", string s.Distinct
        ]

    override _.Probes =
        [
            probes.HeldOut(
                "held-out-lengths",
                $"input lengths {holdoutText s.Holdout} inside {s.Length}, held out of training",
                s.Length,
                s.Holdout,
                fun h -> { s with Holdout = h }
            )
            probes.LongerInputs(s.Length, s.Context - 2 - min s.Distinct.Hi s.Length.Hi, fun r -> { s with Length = r; Holdout = [] })
            // Outside: more distinct tokens than any training input had (inputs long enough to hold them).
            probes.Beyond(
                "more-distinct",
                Outside,
                s.Distinct,
                min s.Tokens.Count (min s.Length.Hi (s.Distinct.Hi + 3)),
                (fun r -> $"{r.Lo}..{r.Hi} distinct tokens (training {s.Distinct})"),
                fun r -> {
                    s with
                        Distinct = r
                        Holdout = []
                        Length = {
                            s.Length with
                                Lo = max s.Length.Lo (s.Distinct.Hi + 1)
                                Hi = min s.Length.Hi (s.Context - 2 - r.Hi)
                        }
                }
            )
            probes.UnseenTokens(vocab, s.Tokens, fun r -> { s with Tokens = r })
        ]
        |> List.choose id

    override _.Instances =
        gen {
            let! n = Gen.elements lengths
            let! d = Gen.choose (s.Distinct.Lo, min s.Distinct.Hi n)
            let! seed = Sampling.seed

            return {
                Shape = Map [ "length", n; "distinct", d ]
                Seed = seed
            }
        }

    override _.Build inst =
        let n, d = shape inst "length", shape inst "distinct"

        if d < 1 || d > n || n + d + 2 > s.Context then
            fail $"instance length={n} distinct={d} does not fit context {s.Context}" "choose smaller shapes"

        let rng = FastRng(inst.Seed)
        let set = rng.Distinct(s.Tokens.Lo, s.Tokens.Hi, d)
        let tokens = Array.zeroCreate s.Context
        // Each of the d tokens once, the rest drawn from them, then shuffled.
        Array.blit set 0 tokens 0 d

        for i in d .. n - 1 do
            tokens.[i] <- set.[rng.Between(0, d - 1)]

        for i in n - 1 .. -1 .. 1 do
            let j = rng.Between(0, i)
            let t = tokens.[i]
            tokens.[i] <- tokens.[j]
            tokens.[j] <- t

        tokens.[n] <- sep
        // Output: distinct tokens in order of first appearance.
        let seen = Array.zeroCreate s.VocabSize
        let mutable k = n + 1

        for i in 0 .. n - 1 do
            let t = tokens.[i]

            if not seen.[t] then
                seen.[t] <- true
                tokens.[k] <- t
                k <- k + 1

        tokens.[k] <- eos
        let mask = Array.zeroCreate s.Context

        for i in n + 1 .. k do
            mask.[i] <- true

        {
            Tokens = tokens
            LossMask = mask
            Meta = inst.Shape |> withMeta [ "sep", n; "eos", k ]
        }

    override _.Shrink inst =
        TaskFamily.shrinkTwoValues ("length", s.Length.Lo) ("distinct", s.Distinct.Lo) draws inst

    // Blocks and filler draw only from the `tokens` range, so head scores are read on those ids.
    interface IUsedTokens with
        member _.UsedTokens = [| s.Tokens.Lo .. s.Tokens.Hi |]

    interface IShapeSupport with
        member _.Draws shape =
            TaskFamily.drawsTwoValues "length" "distinct" draws shape
