namespace Toolkit.Tasks

open System.Collections.Generic
open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// Settings of the repeated-copy family.
type RepeatedCopySettings = {
    Context: int
    VocabSize: int
    /// Period (block length) range; a single value is the fixed-period task.
    Period: IntRange
    /// Periods of the range never drawn (held out for the held-out-periods probe).
    Holdout: int list
    /// How many times the block occurs (2: block then one copy).
    Repeats: int
    /// Start offset range of the first block; clipped per instance so every copy fits.
    Start: IntRange
    /// "random": random content tokens around the blocks; "pad": PAD tokens.
    Filler: string
    /// false (default): block tokens are distinct and the filler never uses them, so the copy
    /// rule has exactly one answer. true: tokens drawn freely (the harder, natural version).
    Collisions: bool
    /// Content ids that blocks and filler use (all by default; a sub-range makes unseen-token probes).
    Tokens: IntRange
    /// 0: mask every predictable position of every later copy. k ≥ 2: mask only copy k, the
    /// notes' variants ("repeat 3 times then predict again" = repeats 4, maskcopy 4).
    MaskCopy: int
}

/// `repeated-copy`: a random block of `period` tokens repeated `repeats` times from `start`,
/// filler elsewhere. Predictable positions: every position of a later copy whose previous token
/// is also inside the copies (the first token of the second copy is not predictable: nothing
/// before it says a repeat begins).
type RepeatedCopy(s: RepeatedCopySettings) =
    inherit FamilyTask<RepeatedCopySettings>("repeated-copy", s, s.Context)

    static let specs: ParamSpec list = [
        {
            Name = "context"
            Default = "64"
            Help = "sequence length (the model's n_ctx)"
        }
        {
            Name = "vocab"
            Default = "64"
            Help = "vocabulary size, PAD included (the model's d_vocab)"
        }
        {
            Name = "period"
            Default = "6..29"
            Help = "block length: 32 (fixed) or a range 6..29 (variable)"
        }
        holdoutSpec "periods"
        {
            Name = "repeats"
            Default = "2"
            Help = "occurrences of the block (2 = block then copy)"
        }
        {
            Name = "start"
            Default = "any"
            Help = "start offset of the first block: any, a number or a range"
        }
        {
            Name = "filler"
            Default = "random"
            Help = "what surrounds the blocks: random or pad"
        }
        {
            Name = "collisions"
            Default = "false"
            Help = "allow repeated tokens inside a block and in the filler"
        }
        {
            Name = "tokens"
            Default = "all"
            Help = "content ids used, all or a range like 1..47 (unseen-tokens probe uses the rest)"
        }
        {
            Name = "maskcopy"
            Default = "all"
            Help = "mask every later copy (all) or only copy k (2..repeats)"
        }
    ]

    let vocab = {
        Size = s.VocabSize
        Reserved = [ "PAD" ]
    }

    let pad = 0
    let span period = period * s.Repeats
    let periods = allowedValues s.Period s.Holdout

    do
        if s.Context < 4 then
            fail $"context {s.Context} is too short" "use a context of at least 4 tokens"

        if s.VocabSize < 3 then
            fail $"vocab {s.VocabSize} is too small" "use a vocabulary of at least 3 tokens"

        if s.Repeats < 2 then
            fail $"repeats {s.Repeats} is below 2: nothing repeats" "use repeats=2 or more"

        if s.Period.Lo < 2 then
            fail $"period {s.Period} includes periods below 2" "use periods of at least 2"

        if s.Start.Lo < 0 then
            fail $"start {s.Start} is negative" "use start offsets from 0"

        if s.Start.Lo + span s.Period.Hi > s.Context then
            let largest = (s.Context - s.Start.Lo) / s.Repeats

            fail
                $"period {s.Period} does not fit context {s.Context}: {s.Repeats} repeats of {s.Period.Hi} from start {s.Start.Lo} need {s.Start.Lo + span s.Period.Hi} tokens"
                $"use periods up to {largest}, fewer repeats or a longer --n-ctx"

        if s.Filler <> "random" && s.Filler <> "pad" then
            fail $"filler '{s.Filler}' is unknown" "use filler=random or filler=pad"

        checkTokens vocab s.Tokens
        checkHoldout "period" s.Period s.Holdout
        let content = s.Tokens.Count

        if
            not s.Collisions
            && s.Period.Hi + (if s.Filler = "random" then 1 else 0) > content
        then
            fail
                $"a block of {s.Period.Hi} distinct tokens (plus filler) needs more than the {content} content tokens {s.Tokens}"
                "use a larger --d-vocab, shorter periods, or collisions=true"

        if s.MaskCopy <> 0 && (s.MaskCopy < 2 || s.MaskCopy > s.Repeats) then
            fail $"maskcopy {s.MaskCopy} is not a later copy of {s.Repeats} repeats" $"use maskcopy=all or a number from 2 to {s.Repeats}"

    /// Start offsets that fit a given period.
    let startsFor period =
        s.Start.Lo, min s.Start.Hi (s.Context - span period)

    /// Whether training draws this period at this start (the support of Instances, in closed form).
    let draws period start =
        let lo, hi = startsFor period
        Array.contains period periods && start >= lo && start <= hi

    let probes = FamilyProbes(fun settings -> RepeatedCopy(settings) :> ITask)

    /// First predictable position and the end (exclusive) of the copies for one instance (all copies masked).
    static member MaskSpan(period: int, start: int, repeats: int) =
        start + period + 1, start + period * repeats

    /// The masked span [from, to) of an instance: all later copies, or only copy `maskCopy` (1-based).
    static member MaskSpan(period: int, start: int, repeats: int, maskCopy: int) =
        if maskCopy = 0 then
            RepeatedCopy.MaskSpan(period, start, repeats)
        else
            max (start + (maskCopy - 1) * period) (start + period + 1), start + maskCopy * period

    /// The parameters this family accepts.
    static member Specs = specs

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        TaskFamily.factory "repeated-copy" "a random block repeated (fixed or variable period), filler around it" specs (fun p ->
            let context = p.Int "context"
            let vocabSize = p.Int "vocab"

            let start =
                match p.Text "start" with
                | "any" -> { Lo = 0; Hi = context }
                | _ -> p.Range "start"

            let maskCopy =
                match (p.Text "maskcopy").ToLowerInvariant() with
                | "all" -> 0
                | _ -> p.Int "maskcopy"

            RepeatedCopy(
                {
                    Context = context
                    VocabSize = vocabSize
                    Period = p.Range "period"
                    Holdout = p.Holdout "period"
                    Repeats = p.Int "repeats"
                    Start = start
                    Filler = p.Choice("filler", [ "random"; "pad" ])
                    Collisions = p.Bool "collisions"
                    Tokens = p.Tokens [ "PAD" ]
                    MaskCopy = maskCopy
                }
            ))

    override _.Vocabulary = vocab

    override _.Parameters =
        let startText =
            if s.Start.Lo = 0 && s.Start.Hi >= s.Context then
                "any"
            else
                string s.Start

        paramsDict [
            "context", string s.Context
            "vocab", string s.VocabSize
            "period", string s.Period
            "holdout", holdoutText s.Holdout
            "repeats", string s.Repeats
            "start", startText
            "filler", s.Filler
            "collisions", TaskFamily.boolText s.Collisions
            "tokens", TaskFamily.tokensText vocab s.Tokens
            "maskcopy", (if s.MaskCopy = 0 then "all" else string s.MaskCopy)
        ]

    override _.SeenPeriods = List.ofArray periods

    override _.PredictiveOffsets =
        [
            for p in periods do
                for k in 1 .. s.Repeats - 1 do
                    yield k * p - 1
                    yield k * p
        ]
        |> List.distinct
        |> List.sort

    override _.Probes =
        let maxFit = (s.Context - s.Start.Lo) / s.Repeats
        let widen = max 2 (s.Period.Count / 4)

        [ // Inside: start offsets are a nuisance the rule ignores; this probe draws only starts after the last one
            // training draws, so no instance of it is a training instance. With start=any training draws every start
            // that fits, and there is no such probe (nor when a fixed period fills the context).
            (let lo = s.Start.Hi + 1

             let fits = [|
                 for p in periods do
                     if lo + span p <= s.Context then
                         p
             |]

             if fits.Length = 0 then
                 None
             else
                 probes.Probe(
                     "shifted-start",
                     Inside,
                     $"first block starts at {lo} or later (training: {s.Start})",
                     {
                         s with
                             Start = { Lo = lo; Hi = s.Context }
                             Period = {
                                 Lo = Array.min fits
                                 Hi = Array.max fits
                             }
                             Holdout = s.Holdout |> List.filter (fun h -> h >= Array.min fits && h <= Array.max fits)
                     }
                 ))
            // Outside: with a fixed period, training saw no other period, so a shorter repeat (about 5/8
            // of it, e.g. 20 for 32) from a moved start is a new period, reported as what it is. Its accuracy
            // decides nothing; it is where "look exactly L back" memorization gives itself away, and the
            // shortcut test (the model's predictions against the position-only shortcut's) decides that.
            (let p = max 2 (s.Period.Lo * 5 / 8)
             let lo = max 1 s.Start.Lo

             if s.Period.Lo <> s.Period.Hi || p >= s.Period.Lo || lo + span p > s.Context then
                 None
             else
                 probes.Probe(
                     "moved-repeat",
                     Outside,
                     $"a new period, {p}, from a start of {lo} or later; training saw only period {s.Period}",
                     {
                         s with
                             Period = IntRange.Single p
                             Start = { Lo = lo; Hi = s.Context }
                             Holdout = []
                     }
                 ))
            // Inside: periods inside the trained range that training never drew.
            probes.HeldOut(
                "held-out-periods",
                $"periods {s.Holdout} inside the range {s.Period}, held out of training",
                s.Period,
                s.Holdout,
                fun h -> { s with Holdout = h }
            )
            // Outside: extrapolation to longer periods.
            probes.Beyond(
                "longer-periods",
                Outside,
                s.Period,
                min (s.Period.Hi + widen) maxFit,
                (fun r -> $"periods {r.Lo}..{r.Hi}, beyond the trained {s.Period}"),
                fun r -> { s with Period = r; Holdout = [] }
            )
            // Outside: extrapolation to shorter periods.
            (let lo = max 2 (s.Period.Lo - widen)

             if lo > s.Period.Lo - 1 then
                 None
             else
                 probes.Probe(
                     "shorter-periods",
                     Outside,
                     $"periods {lo}..{s.Period.Lo - 1}, below the trained {s.Period}",
                     {
                         s with
                             Period = { Lo = lo; Hi = s.Period.Lo - 1 }
                             Holdout = []
                     }
                 ))
            // Outside: token ids never seen in training (only when training used a sub-range).
            (match complement vocab s.Tokens with
             | Some r ->
                 probes.Probe("unseen-tokens", Outside, $"content ids {r}, never used in training ({s.Tokens})", { s with Tokens = r })
             | None -> None)
        ]
        |> List.choose id

    override _.Instances =
        gen {
            let! i = Gen.choose (0, periods.Length - 1)
            let period = periods.[i]
            let lo, hi = startsFor period
            let! start = Gen.choose (lo, hi)
            let! seed = Sampling.seed

            return {
                Shape = Map [ "period", period; "start", start; "repeats", s.Repeats ]
                Seed = seed
            }
        }

    override _.Build inst =
        let period, start, repeats =
            shape inst "period", shape inst "start", shape inst "repeats"

        if start < 0 || period < 1 || repeats < 2 || start + period * repeats > s.Context then
            fail
                $"instance period={period} start={start} repeats={repeats} does not fit context {s.Context}"
                "choose a smaller period or start"

        let rng = FastRng(inst.Seed)
        let lo, hi = s.Tokens.Lo, s.Tokens.Hi

        let block =
            if s.Collisions then
                Array.init period (fun _ -> rng.Between(lo, hi))
            else
                rng.Distinct(lo, hi, period)

        let tokens = Array.zeroCreate s.Context

        if s.Filler = "pad" then
            Array.fill tokens 0 tokens.Length pad
        elif s.Collisions then
            for i in 0 .. tokens.Length - 1 do
                tokens.[i] <- rng.Between(lo, hi)
        else
            // Filler from the content tokens not in the block, so the copy rule has one answer.
            fillFrom rng tokens 0 tokens.Length (without s.Tokens block)

        for r in 0 .. repeats - 1 do
            Array.blit block 0 tokens (start + r * period) period

        let mask = Array.zeroCreate s.Context
        let maskCopy = if s.MaskCopy > repeats then 0 else s.MaskCopy
        let first, stop = RepeatedCopy.MaskSpan(period, start, repeats, maskCopy)

        for i in first .. stop - 1 do
            mask.[i] <- true

        {
            Tokens = tokens
            LossMask = mask
            Meta =
                inst.Shape
                |> withMeta [ "maskStart", first; "maskEnd", stop; "maskcopy", maskCopy ]
        }

    override _.Shrink inst =
        let period, start = shape inst "period", shape inst "start"

        let withShape p st = {
            inst with
                Shape = inst.Shape |> Map.add "period" p |> Map.add "start" st
        }
        // Shrinks stay in the training distribution.
        seq {
            for st in [ s.Start.Lo; start / 2; start - 1 ] do
                if st < start && draws period st then
                    yield withShape period st

            for p in [ s.Period.Lo; (period + s.Period.Lo) / 2; period - 1 ] do
                if p < period && draws p start then
                    yield withShape p start
        }
        |> Seq.distinct

    // Blocks and filler draw only from the `tokens` range, so head scores are read on those ids.
    interface IUsedTokens with
        member _.UsedTokens = [| s.Tokens.Lo .. s.Tokens.Hi |]

    interface IShapeSupport with
        member _.Draws shape =
            match tryShape [ "period"; "start"; "repeats" ] shape with
            | Some [ period; start; repeats ] -> repeats = s.Repeats && draws period start
            | _ -> false
