namespace Toolkit.Tasks

open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// Settings of the pattern-in-noise family.
type PatternInNoiseSettings =
    { Context: int
      VocabSize: int
      /// Motif length range.
      Motif: IntRange
      /// Motif lengths of the range never drawn (the held-out-motifs probe draws only these).
      Holdout: int list
      /// Number of occurrences of the motif (≥ 2).
      Occurrences: IntRange
      Collisions: bool
      Tokens: IntRange }

/// `pattern-in-noise`: random noise with a motif of length m at two or more random,
/// non-overlapping places. The only simple general solution is induction: positions carry no
/// information. Predictable: every later occurrence after its first token.
type PatternInNoise(s: PatternInNoiseSettings) =
    static let specs: ParamSpec list =
        [ { Name = "context"; Default = "64"; Help = "sequence length" }
          { Name = "vocab"; Default = "64"; Help = "vocabulary size, PAD included" }
          { Name = "motif"; Default = "3..8"; Help = "motif length, a number or range" }
          holdoutSpec "motif lengths"
          { Name = "occurrences"; Default = "2..4"; Help = "how many times the motif occurs (at least 2)" }
          { Name = "collisions"; Default = "false"; Help = "allow the noise to use motif tokens and the motif to repeat tokens" }
          { Name = "tokens"; Default = "all"; Help = "content ids used, all or a range (unseen-tokens probe uses the rest)" } ]

    let vocab = { Size = s.VocabSize; Reserved = [ "PAD" ] }
    let motifs = allowedValues s.Motif s.Holdout

    do
        if s.Motif.Lo < 2 then fail $"motif {s.Motif} includes motifs shorter than 2" "use motif lengths of at least 2"
        if s.Occurrences.Lo < 2 then fail $"occurrences {s.Occurrences} includes fewer than 2: nothing repeats" "use occurrences of 2 or more"
        checkHoldout "motif length" s.Motif s.Holdout
        if s.Motif.Hi * s.Occurrences.Hi > s.Context then
            fail $"{s.Occurrences.Hi} occurrences of a motif of {s.Motif.Hi} need {s.Motif.Hi * s.Occurrences.Hi} tokens, more than context {s.Context}"
                 "use shorter motifs, fewer occurrences, or a longer --context"
        checkTokens vocab s.Tokens
        if not s.Collisions && s.Motif.Hi + 1 > s.Tokens.Count then
            fail $"a motif of {s.Motif.Hi} distinct tokens plus noise needs more than the {s.Tokens.Count} content tokens"
                 "use a larger --vocab, shorter motifs, or collisions=true"

    /// Whether training draws this shape (the support of Instances, in closed form).
    let draws m c = Array.contains m motifs && c >= s.Occurrences.Lo && c <= min s.Occurrences.Hi (s.Context / m)

    let probe name kind description settings : Probe option =
        try Some { Name = name; Kind = kind; Description = description; Task = PatternInNoise(settings) }
        with :? TaskParameterException -> None

    /// The validated settings of this task.
    member _.Settings = s

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        { new ITaskFactory with
            member _.Name = "pattern-in-noise"
            member _.Summary = "random noise with a motif occurring two or more times at random places"
            member _.Parameters = specs
            member _.Create given =
                Params.checkKnown "pattern-in-noise" specs given
                let vocabSize = Params.int specs given "vocab"
                PatternInNoise(
                    { Context = Params.int specs given "context"
                      VocabSize = vocabSize
                      Motif = Params.range specs given "motif"
                      Holdout = holdoutOf (Params.range specs given "motif") (Params.get specs given "holdout")
                      Occurrences = Params.range specs given "occurrences"
                      Collisions = Params.bool specs given "collisions"
                      Tokens = tokenRange { Size = max vocabSize 2; Reserved = [ "PAD" ] } (Params.get specs given "tokens") })
                :> ITask }

    interface ITask with
        member _.Name = "pattern-in-noise"
        member _.Parameters =
            paramsDict
                [ "context", string s.Context; "vocab", string s.VocabSize; "motif", string s.Motif
                  "holdout", holdoutText s.Holdout
                  "occurrences", string s.Occurrences; "collisions", (if s.Collisions then "true" else "false")
                  "tokens", (if s.Tokens.Lo = 1 && s.Tokens.Hi = s.VocabSize - 1 then "all" else string s.Tokens) ]
        member _.Vocabulary = vocab
        member _.Context = s.Context
        // Distances between occurrences are random: no single period to avoid.
        member _.SeenPeriods = []
        member _.PredictiveOffsets = []

        member _.Probes =
            [ // Inside: motif lengths inside the trained range that training never drew. (Training places occurrences
              // anywhere they fit, so no placement is a probe of unseen instances.)
              (if s.Holdout.IsEmpty then None
               else probe "held-out-motifs" Inside $"motif lengths {holdoutText s.Holdout} inside {s.Motif}, held out of training"
                        { s with Holdout = onlyHoldout s.Motif s.Holdout })
              // Outside: more occurrences than any training sequence had.
              (let hi = min (s.Context / s.Motif.Lo) (s.Occurrences.Hi + 2)
               if hi <= s.Occurrences.Hi then None
               else probe "more-occurrences" Outside $"{s.Occurrences.Hi + 1}..{hi} occurrences (training {s.Occurrences})"
                        { s with Occurrences = { Lo = s.Occurrences.Hi + 1; Hi = hi }; Motif = { s.Motif with Hi = min s.Motif.Hi (s.Context / hi) }; Holdout = [] })
              (let hi = min (s.Context / s.Occurrences.Lo) (s.Motif.Hi + max 2 (s.Motif.Count / 2))
               if hi <= s.Motif.Hi then None
               else probe "longer-motifs" Outside $"motifs of {s.Motif.Hi + 1}..{hi} tokens (training {s.Motif})"
                        { s with Motif = { Lo = s.Motif.Hi + 1; Hi = hi }; Holdout = []; Occurrences = { s.Occurrences with Hi = s.Occurrences.Lo } })
              (match complement vocab s.Tokens with
               | Some r -> probe "unseen-tokens" Outside $"content ids {r}, never used in training" { s with Tokens = r }
               | None -> None) ]
            |> List.choose id

        member _.Instances =
            gen {
                let! m = Gen.elements motifs
                let! c = Gen.choose (s.Occurrences.Lo, min s.Occurrences.Hi (s.Context / m))
                let! seed = Sampling.seed
                return { Shape = Map [ "motif", m; "occurrences", c ]; Seed = seed }
            }

        member _.Build inst =
            let m, c = shape inst "motif", shape inst "occurrences"
            if m < 1 || c < 1 || m * c > s.Context then
                fail $"instance motif={m} occurrences={c} does not fit context {s.Context}" "choose smaller shapes"
            let rng = FastRng(inst.Seed)
            let lo, hi = s.Tokens.Lo, s.Tokens.Hi
            let motif = if s.Collisions then Array.init m (fun _ -> rng.Between(lo, hi)) else rng.Distinct(lo, hi, m)
            let tokens = Array.zeroCreate s.Context
            fillFrom rng tokens 0 tokens.Length (if s.Collisions then [| lo .. hi |] else without s.Tokens motif)
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
                    for i in starts.[k] + 1 .. starts.[k] + m - 1 do mask.[i] <- true
            { Tokens = tokens; LossMask = mask
              Meta = inst.Shape |> withMeta [ for k in 0 .. c - 1 -> $"at{k}", starts.[k] ] }

        member _.Shrink inst =
            let m, c = shape inst "motif", shape inst "occurrences"
            let mk m c = { inst with Shape = Map [ "motif", m; "occurrences", c ] }
            seq {
                for c' in [ s.Occurrences.Lo; c - 1 ] do
                    if c' < c && draws m c' then yield mk m c'
                for m' in [ s.Motif.Lo; (m + s.Motif.Lo) / 2; m - 1 ] do
                    if m' < m && draws m' c then yield mk m' c
            }
            |> Seq.distinct

    // Blocks and filler draw only from the `tokens` range, so head scores are read on those ids.
    interface IUsedTokens with
        member _.UsedTokens = [| s.Tokens.Lo .. s.Tokens.Hi |]

    interface IShapeSupport with
        member _.Draws shape =
            match tryShape [ "motif"; "occurrences" ] shape with
            | Some [ m; c ] -> draws m c
            | _ -> false
