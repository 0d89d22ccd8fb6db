namespace Toolkit.Tasks

open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// Settings of the set-extraction family.
type SetExtractionSettings =
    { Context: int
      VocabSize: int
      /// Input length range (tokens before SEP).
      Length: IntRange
      /// Input lengths of the range never drawn (the held-out-lengths probe draws only these).
      Holdout: int list
      /// Number of distinct tokens in the input (clipped to the input length).
      Distinct: IntRange
      Tokens: IntRange }

/// `set-extraction`: random tokens with duplicates, SEP, then the distinct tokens in order of
/// first appearance, EOS, PAD to the end (an exaptation test for induction circuits).
/// Predictable: every output token and the EOS (the input and SEP fix them).
type SetExtraction(s: SetExtractionSettings) =
    static let specs: ParamSpec list =
        [ { Name = "context"; Default = "64"; Help = "sequence length" }
          { Name = "vocab"; Default = "64"; Help = "vocabulary size, PAD, SEP and EOS included" }
          { Name = "length"; Default = "8..24"; Help = "input length before SEP" }
          holdoutSpec "input lengths"
          { Name = "distinct"; Default = "2..10"; Help = "distinct tokens in the input" }
          { Name = "tokens"; Default = "all"; Help = "content ids used, all or a range (unseen-tokens probe uses the rest)" } ]

    static let reserved = [ "PAD"; "SEP"; "EOS" ]
    let vocab = { Size = s.VocabSize; Reserved = reserved }
    let sep, eos = 1, 2
    let lengths = allowedValues s.Length s.Holdout

    do
        if s.Length.Lo < 1 then fail $"length {s.Length} includes empty inputs" "use lengths of at least 1"
        checkHoldout "length" s.Length s.Holdout
        if s.Distinct.Lo < 1 then fail $"distinct {s.Distinct} includes 0" "use at least 1 distinct token"
        if s.Distinct.Lo > s.Length.Lo then
            fail $"distinct {s.Distinct} starts above the shortest input {s.Length.Lo}" $"use distinct from at most {s.Length.Lo}"
        let worst = s.Length.Hi + min s.Length.Hi s.Distinct.Hi + 2
        if worst > s.Context then
            fail $"an input of {s.Length.Hi}, SEP, {min s.Length.Hi s.Distinct.Hi} outputs and EOS need {worst} tokens, more than context {s.Context}"
                 "use shorter inputs, fewer distinct tokens, or a longer --context"
        checkTokens vocab s.Tokens
        if s.Distinct.Hi > s.Tokens.Count then
            fail $"distinct {s.Distinct} needs more than the {s.Tokens.Count} content tokens" "use a larger --vocab or fewer distinct tokens"

    /// Whether training draws this shape (the support of Instances, in closed form).
    let draws n d = Array.contains n lengths && d >= s.Distinct.Lo && d <= min s.Distinct.Hi n

    let probe name kind description settings : Probe option =
        try Some { Name = name; Kind = kind; Description = description; Task = SetExtraction(settings) }
        with :? TaskParameterException -> None

    /// The validated settings of this task.
    member _.Settings = s

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        { new ITaskFactory with
            member _.Name = "set-extraction"
            member _.Summary = "tokens with duplicates, SEP, then the distinct tokens in order of first appearance, EOS"
            member _.Parameters = specs
            member _.Create given =
                Params.checkKnown "set-extraction" specs given
                let vocabSize = Params.int specs given "vocab"
                SetExtraction(
                    { Context = Params.int specs given "context"
                      VocabSize = vocabSize
                      Length = Params.range specs given "length"
                      Holdout = holdoutOf (Params.range specs given "length") (Params.get specs given "holdout")
                      Distinct = Params.range specs given "distinct"
                      Tokens = tokenRange { Size = max vocabSize 4; Reserved = reserved } (Params.get specs given "tokens") })
                :> ITask }

    interface ITask with
        member _.Name = "set-extraction"
        member _.Parameters =
            paramsDict
                [ "context", string s.Context; "vocab", string s.VocabSize; "length", string s.Length
                  "holdout", holdoutText s.Holdout; "distinct", string s.Distinct
                  "tokens", (if s.Tokens.Lo = 3 && s.Tokens.Hi = s.VocabSize - 1 then "all" else string s.Tokens) ]
        member _.Vocabulary = vocab
        member _.Context = s.Context
        member _.SeenPeriods = []
        member _.PredictiveOffsets = []

        member _.Probes =
            [ (if s.Holdout.IsEmpty then None
               else probe "held-out-lengths" Inside $"input lengths {holdoutText s.Holdout} inside {s.Length}, held out of training"
                        { s with Holdout = onlyHoldout s.Length s.Holdout })
              (let hi = min (s.Context - 2 - min s.Distinct.Hi s.Length.Hi) (s.Length.Hi + max 2 (s.Length.Count / 2))
               if hi <= s.Length.Hi then None
               else probe "longer-inputs" Outside $"inputs of {s.Length.Hi + 1}..{hi} tokens (training {s.Length})"
                        { s with Length = { Lo = s.Length.Hi + 1; Hi = hi }; Holdout = [] })
              // Outside: more distinct tokens than any training input had (inputs long enough to hold them).
              (let hi = min s.Tokens.Count (min s.Length.Hi (s.Distinct.Hi + 3))
               if hi <= s.Distinct.Hi then None
               else probe "more-distinct" Outside $"{s.Distinct.Hi + 1}..{hi} distinct tokens (training {s.Distinct})"
                        { s with Distinct = { Lo = s.Distinct.Hi + 1; Hi = hi }; Holdout = []
                                 Length = { s.Length with Lo = max s.Length.Lo (s.Distinct.Hi + 1); Hi = min s.Length.Hi (s.Context - 2 - hi) } })
              (match complement vocab s.Tokens with
               | Some r -> probe "unseen-tokens" Outside $"content ids {r}, never used in training" { s with Tokens = r }
               | None -> None) ]
            |> List.choose id

        member _.Instances =
            gen {
                let! n = Gen.elements lengths
                let! d = Gen.choose (s.Distinct.Lo, min s.Distinct.Hi n)
                let! seed = Sampling.seed
                return { Shape = Map [ "length", n; "distinct", d ]; Seed = seed }
            }

        member _.Build inst =
            let n, d = shape inst "length", shape inst "distinct"
            if d < 1 || d > n || n + d + 2 > s.Context then
                fail $"instance length={n} distinct={d} does not fit context {s.Context}" "choose smaller shapes"
            let rng = FastRng(inst.Seed)
            let set = rng.Distinct(s.Tokens.Lo, s.Tokens.Hi, d)
            let tokens = Array.zeroCreate s.Context
            // Each of the d tokens once, the rest drawn from them, then shuffled.
            Array.blit set 0 tokens 0 d
            for i in d .. n - 1 do tokens.[i] <- set.[rng.Between(0, d - 1)]
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
            for i in n + 1 .. k do mask.[i] <- true
            { Tokens = tokens; LossMask = mask; Meta = inst.Shape |> withMeta [ "sep", n; "eos", k ] }

        member _.Shrink inst =
            let n, d = shape inst "length", shape inst "distinct"
            let mk n d = { inst with Shape = Map [ "length", n; "distinct", d ] }
            seq {
                for d' in [ s.Distinct.Lo; d - 1 ] do
                    if d' < d && draws n d' then yield mk n d'
                for n' in [ s.Length.Lo; (n + s.Length.Lo) / 2; n - 1 ] do
                    if n' < n && draws n' d then yield mk n' d
            }
            |> Seq.distinct

    // Blocks and filler draw only from the `tokens` range, so head scores are read on those ids.
    interface IUsedTokens with
        member _.UsedTokens = [| s.Tokens.Lo .. s.Tokens.Hi |]

    interface IShapeSupport with
        member _.Draws shape =
            match tryShape [ "length"; "distinct" ] shape with
            | Some [ n; d ] -> draws n d
            | _ -> false
