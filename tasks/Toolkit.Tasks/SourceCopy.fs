namespace Toolkit.Tasks

open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// Settings of the copy family.
type SourceCopySettings =
    { Context: int
      VocabSize: int
      /// Input length range (tokens before SEP).
      Length: IntRange
      /// Input lengths of the range never drawn (the held-out-lengths probe draws only these).
      Holdout: int list
      Tokens: IntRange }

/// `copy`: random tokens, SEP, the same tokens again, EOS, PAD to the end: the sequence-to-sequence copy
/// task, whose input and output an encoder-decoder sees on either side of the SEP. Unlike repeated-copy there
/// is no period to memorize: the output starts after a SEP whose position varies with the input length.
/// Predictable: every output token and the EOS.
type SourceCopy(s: SourceCopySettings) =
    static let specs: ParamSpec list =
        [ { Name = "context"; Default = "64"; Help = "sequence length" }
          { Name = "vocab"; Default = "64"; Help = "vocabulary size, PAD, SEP and EOS included" }
          { Name = "length"; Default = "4..24"; Help = "input length before SEP" }
          holdoutSpec "input lengths"
          { Name = "tokens"; Default = "all"; Help = "content ids used, all or a range (unseen-tokens probe uses the rest)" } ]

    static let reserved = [ "PAD"; "SEP"; "EOS" ]
    let vocab = { Size = s.VocabSize; Reserved = reserved }
    let sep, eos = 1, 2
    let lengths = allowedValues s.Length s.Holdout

    do
        if s.Length.Lo < 1 then fail $"length {s.Length} includes empty inputs" "use lengths of at least 1"
        checkHoldout "length" s.Length s.Holdout
        let worst = 2 * s.Length.Hi + 2
        if worst > s.Context then
            fail $"an input of {s.Length.Hi}, SEP, its copy and EOS need {worst} tokens, more than context {s.Context}"
                 $"use inputs of at most {(s.Context - 2) / 2} tokens or a longer --context"
        checkTokens vocab s.Tokens

    let probe name kind description settings : Probe option =
        try Some { Name = name; Kind = kind; Description = description; Task = SourceCopy(settings) }
        with :? TaskParameterException -> None

    /// The validated settings of this task.
    member _.Settings = s

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        { new ITaskFactory with
            member _.Name = "copy"
            member _.Summary = "random tokens, SEP, the same tokens again, EOS (sequence-to-sequence copy)"
            member _.Parameters = specs
            member _.Create given =
                Params.checkKnown "copy" specs given
                let vocabSize = Params.int specs given "vocab"
                SourceCopy(
                    { Context = Params.int specs given "context"
                      VocabSize = vocabSize
                      Length = Params.range specs given "length"
                      Holdout = holdoutOf (Params.range specs given "length") (Params.get specs given "holdout")
                      Tokens = tokenRange { Size = max vocabSize 4; Reserved = reserved } (Params.get specs given "tokens") })
                :> ITask }

    interface ITask with
        member _.Name = "copy"
        member _.Parameters =
            paramsDict
                [ "context", string s.Context; "vocab", string s.VocabSize; "length", string s.Length
                  "holdout", holdoutText s.Holdout
                  "tokens", (if s.Tokens.Lo = 3 && s.Tokens.Hi = s.VocabSize - 1 then "all" else string s.Tokens) ]
        member _.Vocabulary = vocab
        member _.Context = s.Context
        member _.SeenPeriods = []
        member _.PredictiveOffsets = []

        member _.Probes =
            [ (if s.Holdout.IsEmpty then None
               else probe "held-out-lengths" Inside $"input lengths {holdoutText s.Holdout} inside {s.Length}, held out of training"
                        { s with Holdout = onlyHoldout s.Length s.Holdout })
              (let hi = min ((s.Context - 2) / 2) (s.Length.Hi + max 2 (s.Length.Count / 2))
               if hi <= s.Length.Hi then None
               else probe "longer-inputs" Outside $"inputs of {s.Length.Hi + 1}..{hi} tokens (training {s.Length})"
                        { s with Length = { Lo = s.Length.Hi + 1; Hi = hi }; Holdout = [] })
              (match complement vocab s.Tokens with
               | Some r -> probe "unseen-tokens" Outside $"content ids {r}, never used in training" { s with Tokens = r }
               | None -> None) ]
            |> List.choose id

        member _.Instances =
            gen {
                let! n = Gen.elements lengths
                let! seed = Sampling.seed
                return { Shape = Map [ "length", n ]; Seed = seed }
            }

        member _.Build inst =
            let n = shape inst "length"
            if n < 1 || 2 * n + 2 > s.Context then
                fail $"instance length={n} does not fit context {s.Context}" "choose a smaller length"
            let rng = FastRng(inst.Seed)
            let tokens = Array.zeroCreate s.Context
            for i in 0 .. n - 1 do tokens.[i] <- rng.Between(s.Tokens.Lo, s.Tokens.Hi)
            tokens.[n] <- sep
            Array.blit tokens 0 tokens (n + 1) n
            tokens.[2 * n + 1] <- eos
            let mask = Array.zeroCreate s.Context
            for i in n + 1 .. 2 * n + 1 do mask.[i] <- true
            { Tokens = tokens; LossMask = mask; Meta = inst.Shape |> withMeta [ "sep", n; "eos", 2 * n + 1 ] }

        member _.Shrink inst =
            let n = shape inst "length"
            seq {
                for n' in [ s.Length.Lo; (n + s.Length.Lo) / 2; n - 1 ] do
                    if n' < n && Array.contains n' lengths then yield { inst with Shape = Map [ "length", n' ] }
            }
            |> Seq.distinct

    interface IShapeSupport with
        member _.Draws shape =
            match tryShape [ "length" ] shape with
            | Some [ n ] -> Array.contains n lengths
            | _ -> false
