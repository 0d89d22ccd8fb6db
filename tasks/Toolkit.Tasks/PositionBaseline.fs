namespace Toolkit.Tasks

open System

/// The position-only baseline (docs/design.md §4, "position-only baseline"): the memorizing solution,
/// measured. For each position it copies the token at the one fixed offset back that was best for
/// that position on training data; its accuracy on a probe tells what "just positions" scores there.
/// Offsets.[i] is the offset used at position i (0: no offset, i.e. position 0).
type PositionBaseline(offsets: int[], fallback: int) =
    /// Offset back used at each position (training context length); 0 at position 0.
    member _.Offsets = offsets
    /// Offset used at positions never masked in training: the best offset over all positions
    /// (the memorizer has nothing position-specific there; this is the kindest fixed choice).
    member _.Fallback = fallback

    /// Whether position i was a predictable (loss) position in the training examples the baseline was fitted on.
    member _.WasTrained(i: int) = i < offsets.Length && offsets.[i] > 0

    /// Share of the predictable positions of examples that were never predictable in training (NaN when none is
    /// predictable): what an "inside" probe should keep near 0, since positions are part of what training saw.
    member b.UntrainedShare(examples: Example[]) = Predictable.share examples (fun _ i -> not (b.WasTrained i))

    /// The offset used at position i.
    member _.OffsetAt(i: int) =
        if i < offsets.Length && offsets.[i] > 0 then offsets.[i] else fallback

    /// The baseline's prediction at position i of a sequence (-1 when the offset reaches before 0).
    member b.Predict(tokens: int[], i: int) =
        let d = b.OffsetAt i
        if d >= 1 && i - d >= 0 then tokens.[i - d] else -1

    /// Top-1 accuracy on the masked positions of examples (NaN when none is masked).
    member b.Score(examples: Example[]) = Predictable.share examples (fun tokens i -> b.Predict(tokens, i) = tokens.[i])

    /// Fits the best fixed offset per position on the masked positions of training examples.
    /// Ties go to the smaller offset. Cost: positions × offsets × examples.
    static member Fit(examples: Example[]) =
        let ctx = if examples.Length = 0 then 0 else examples |> Array.map (fun e -> e.Tokens.Length) |> Array.max
        // counts.[i].[d]: how often tokens[i] = tokens[i-d] at masked position i.
        let counts = Array.init ctx (fun i -> Array.zeroCreate<int> (i + 1))
        let seen = Array.zeroCreate<int> ctx
        for ex in examples do
            let t = ex.Tokens
            for i in 1 .. t.Length - 1 do
                if ex.LossMask.[i] then
                    seen.[i] <- seen.[i] + 1
                    let c = counts.[i]
                    let target = t.[i]
                    for d in 1 .. i do
                        if t.[i - d] = target then c.[d] <- c.[d] + 1
        let best (c: int[]) =
            let mutable bd = 1
            for d in 2 .. c.Length - 1 do
                if c.[d] > c.[bd] then bd <- d
            bd
        let offsets = Array.init ctx (fun i -> if i > 0 && seen.[i] > 0 then best counts.[i] else 0)
        // Global best offset: summed over positions.
        let total = Array.zeroCreate<int> (max 2 ctx)
        for i in 1 .. ctx - 1 do
            for d in 1 .. i do total.[d] <- total.[d] + counts.[i].[d]
        let fallback = if ctx < 2 then 1 else best total
        PositionBaseline(offsets, fallback)

    /// Chance level of top-1 accuracy: one over the number of content tokens.
    static member Chance(vocab: Vocabulary) = 1.0 / float (max 1 vocab.ContentCount)

    /// The accuracy of always predicting the most common masked target of `examples` (a stronger
    /// "chance" for tasks whose answers are not uniform, e.g. arithmetic digits or EOS).
    static member Majority(examples: Example[]) =
        let counts = Collections.Generic.Dictionary<int, int>()
        let mutable n = 0
        for ex in examples do
            for i in 0 .. ex.Tokens.Length - 1 do
                if ex.LossMask.[i] then
                    n <- n + 1
                    let t = ex.Tokens.[i]
                    counts.[t] <- (match counts.TryGetValue t with | true, c -> c + 1 | _ -> 1)
        if n = 0 then nan else float (Seq.max counts.Values) / float n

/// The baseline measured on a task and each of its probes.
type BaselineRow =
    { /// "train" for the in-distribution test set, else the probe's name.
      Name: string
      /// "train", "inside" or "outside" (plain text: easy from C# and for CSV).
      Kind: string
      Baseline: float
      Chance: float }

/// Fitting and measuring the position-only baseline on a task and its probes in one call.
module PositionBaselines =
    /// Fits on `trainCount` examples (seed), scores on `testCount` fresh ones (seed + 1) of the task
    /// and of each probe (seed + 2 + probe index).
    let measure (task: ITask) (seed: uint64) (trainCount: int) (testCount: int) : BaselineRow list =
        let b = PositionBaseline.Fit(Sampling.examples task seed trainCount)
        let chance = PositionBaseline.Chance task.Vocabulary
        let row name kind (t: ITask) s =
            { Name = name; Kind = kind; Baseline = b.Score(Sampling.examples t s testCount); Chance = chance }
        let kind = function Inside -> "inside" | Outside -> "outside"
        row "train" "train" task (seed + 1UL)
        :: (task.Probes |> List.mapi (fun k p -> row p.Name (kind p.Kind) p.Task (seed + 2UL + uint64 k)))
