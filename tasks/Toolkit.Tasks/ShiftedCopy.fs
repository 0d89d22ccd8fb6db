namespace Toolkit.Tasks

open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// Settings of the shifted-copy family.
type ShiftedCopySettings = {
    Context: int
    VocabSize: int
    /// Block length range.
    Length: IntRange
    /// Gap length range between the block and its copy.
    Gap: IntRange
    /// Gaps of the range never drawn (the held-out-gaps probe draws only these).
    Holdout: int list
    /// "random" (noise that never uses block tokens) or "pad" (PAD tokens) in the gap and around.
    Filler: string
    Collisions: bool
    /// Content ids used by blocks and noise (a sub-range enables the unseen-tokens probe).
    Tokens: IntRange
}

/// `shifted-copy`: a block of `length` tokens from `start`, a gap of `gap` filler tokens, then a
/// copy of the block. The distance between block and copy (length + gap) varies, so a fixed
/// positional offset cannot solve it. Predictable: the copy after its first token.
type ShiftedCopy(s: ShiftedCopySettings) =
    inherit FamilyTask<ShiftedCopySettings>("shifted-copy", s, s.Context)
    static let reserved = [ "PAD" ]

    static let specs: ParamSpec list = [
        TaskFamily.contextSpec 64
        TaskFamily.vocabSpec reserved
        {
            Name = "length"
            Default = "4..12"
            Help = "block length, a number or range"
        }
        {
            Name = "gap"
            Default = "0..16"
            Help = "filler tokens between the block and its copy"
        }
        holdoutSpec "gaps"
        {
            Name = "filler"
            Default = "random"
            Help = "random (noise) or pad"
        }
        {
            Name = "collisions"
            Default = "false"
            Help = "allow repeated tokens in the block and block tokens in the noise"
        }
        TaskFamily.tokensSpec
    ]

    let vocab = {
        Size = s.VocabSize
        Reserved = reserved
    }

    let need len gap = 2 * len + gap
    let gaps = allowedValues s.Gap s.Holdout

    /// Whether training draws this shape (the support of Instances, in closed form).
    let draws len gap start =
        s.Length.Contains len
        && Array.contains gap gaps
        && start >= 0
        && start + need len gap <= s.Context

    do
        if s.Context < 4 then
            fail $"context {s.Context} is too short" "use a context of at least 4 tokens"

        if s.Length.Lo < 2 then
            fail $"length {s.Length} includes blocks shorter than 2" "use length of at least 2"

        if s.Gap.Lo < 0 then
            fail $"gap {s.Gap} is negative" "use gaps from 0"

        if need s.Length.Hi s.Gap.Hi > s.Context then
            fail
                $"a block of {s.Length.Hi}, a gap of {s.Gap.Hi} and the copy need {need s.Length.Hi s.Gap.Hi} tokens, more than context {s.Context}"
                "use shorter blocks or gaps, or a longer --n-ctx"

        checkHoldout "gap" s.Gap s.Holdout

        if s.Filler <> "random" && s.Filler <> "pad" then
            fail $"filler '{s.Filler}' is unknown" "use filler=random or filler=pad"

        checkTokens vocab s.Tokens

        if
            not s.Collisions
            && s.Length.Hi + (if s.Filler = "random" then 1 else 0) > s.Tokens.Count
        then
            fail
                $"a block of {s.Length.Hi} distinct tokens plus noise needs more than the {s.Tokens.Count} content tokens {s.Tokens}"
                "use a larger --d-vocab, shorter blocks, or collisions=true"

    let probes = FamilyProbes(fun settings -> ShiftedCopy(settings) :> ITask)

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        TaskFamily.factory "shifted-copy" "a block, a gap of random length (noise or padding), then its copy" specs (fun p ->
            ShiftedCopy(
                {
                    VocabSize = p.Int "vocab"
                    Context = p.Int "context"
                    Length = p.Range "length"
                    Gap = p.Range "gap"
                    Holdout = p.Holdout "gap"
                    Filler = p.Choice("filler", [ "random"; "pad" ])
                    Collisions = p.Bool "collisions"
                    Tokens = p.Tokens reserved
                }
            ))

    override _.Vocabulary = vocab

    override _.Parameters =
        TaskFamily.parameters s.Context vocab s.Tokens [
            "length", string s.Length
            "gap", string s.Gap
            "holdout", holdoutText s.Holdout
            "filler", s.Filler
            "collisions", TaskFamily.boolText s.Collisions
        ]

    override _.SeenPeriods =
        [
            for l in s.Length.Lo .. s.Length.Hi do
                for g in gaps do
                    l + g
        ]
        |> List.distinct
        |> List.sort
    // One copy: the distance between a token and its copy is length + gap.
    override this.PredictiveOffsets =
        [
            for d in (this :> ITask).SeenPeriods do
                yield d - 1
                yield d
        ]
        |> List.distinct
        |> List.sort

    override _.Probes =
        let maxGap = s.Context - 2 * s.Length.Lo

        [ // Inside: gaps inside the trained range that training never drew. (Training draws every start that fits, so
            // no start shift is a probe of unseen instances.)
            probes.HeldOut(
                "held-out-gaps",
                $"gaps {holdoutText s.Holdout} inside the range {s.Gap}, held out of training",
                s.Gap,
                s.Holdout,
                fun h -> { s with Holdout = h }
            )
            // Outside: gaps longer than any trained gap.
            probes.Beyond(
                "longer-gaps",
                Outside,
                s.Gap,
                min maxGap (s.Gap.Hi + max 2 (s.Gap.Count / 2)),
                (fun r -> $"gaps {r.Lo}..{r.Hi}, beyond the trained {s.Gap}"),
                fun r -> {
                    s with
                        Gap = r
                        Holdout = []
                        Length = {
                            s.Length with
                                Hi = min s.Length.Hi ((s.Context - r.Hi) / 2)
                        }
                }
            )
            probes.UnseenTokens(vocab, s.Tokens, fun r -> { s with Tokens = r })
        ]
        |> List.choose id

    override _.Instances =
        gen {
            let! len = Gen.choose (s.Length.Lo, s.Length.Hi)
            let! gap = Gen.elements gaps
            let! start = Gen.choose (0, s.Context - need len gap)
            let! seed = Sampling.seed

            return {
                Shape = Map [ "length", len; "gap", gap; "start", start ]
                Seed = seed
            }
        }

    override _.Build inst =
        let len, gap, start = shape inst "length", shape inst "gap", shape inst "start"

        if len < 1 || gap < 0 || start < 0 || start + need len gap > s.Context then
            fail $"instance length={len} gap={gap} start={start} does not fit context {s.Context}" "choose smaller shapes"

        let rng = FastRng(inst.Seed)
        let lo, hi = s.Tokens.Lo, s.Tokens.Hi

        let block =
            if s.Collisions then
                Array.init len (fun _ -> rng.Between(lo, hi))
            else
                rng.Distinct(lo, hi, len)

        let tokens = Array.zeroCreate s.Context

        if s.Filler = "random" then
            let allowed =
                if s.Collisions then
                    [| lo..hi |]
                else
                    without s.Tokens block

            fillFrom rng tokens 0 tokens.Length allowed

        let copy = start + len + gap
        Array.blit block 0 tokens start len
        Array.blit block 0 tokens copy len
        let mask = Array.zeroCreate s.Context

        for i in copy + 1 .. copy + len - 1 do
            mask.[i] <- true

        {
            Tokens = tokens
            LossMask = mask
            Meta = inst.Shape |> withMeta [ "copy", copy; "period", len + gap ]
        }

    override _.Shrink inst =
        let len, gap, start = shape inst "length", shape inst "gap", shape inst "start"

        let mk l g st = {
            inst with
                Shape = Map [ "length", l; "gap", g; "start", st ]
        }

        seq {
            if start > 0 then
                yield mk len gap 0

            if start > 1 then
                yield mk len gap (start / 2)

            for g in [ s.Gap.Lo; gap / 2; gap - 1 ] do
                if g < gap && draws len g start then
                    yield mk len g start

            for l in [ s.Length.Lo; (len + s.Length.Lo) / 2; len - 1 ] do
                if l < len && draws l gap start then
                    yield mk l gap start
        }
        |> Seq.distinct

    interface IShapeSupport with
        member _.Draws shape =
            match tryShape [ "length"; "gap"; "start" ] shape with
            | Some [ len; gap; start ] -> draws len gap start
            | _ -> false
