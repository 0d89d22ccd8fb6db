namespace Toolkit.Tasks

open System

/// The position-only baseline (docs/design.md §4, "position-only baseline"): the memorizing solution,
/// measured. For each position it knows, from training data, which fixed offsets back copy the right token:
/// its accuracy column copies from the single best offset of each position, and the shortcut test uses the
/// whole set of offsets (nearly) as predictive as that best one (with R repeats of a fixed period P, every
/// earlier copy's offset is right every time, and a memorizer may copy from any of them).
/// sets.[i] is the set at position i, best first (empty at position 0 and at positions never masked in training).
type PositionBaseline(sets: int[][], fallbackSet: int[]) =
    /// An offset joins a position's set when its training hits reach this share of the best offset's hits
    /// (the best is always in the set; others need at least one hit).
    static member NearBest = 0.9

    /// Offset back used at each position (training context length): the best one; 0 where none was fitted.
    member _.Offsets = sets |> Array.map (fun s -> if s.Length = 0 then 0 else s.[0])
    /// Offset used at positions never masked in training: the best offset over all positions
    /// (the memorizer has nothing position-specific there; this is the kindest fixed choice).
    member _.Fallback = fallbackSet.[0]

    /// Whether position i was a predictable (loss) position in the training examples the baseline was fitted on.
    member _.WasTrained(i: int) = i < sets.Length && sets.[i].Length > 0

    /// Share of the predictable positions of examples that were never predictable in training (NaN when none is
    /// predictable): what an "inside" probe should keep near 0, since positions are part of what training saw.
    member b.UntrainedShare(examples: Example[]) =
        Predictable.share examples (fun _ i -> not (b.WasTrained i))

    /// The offset used at position i (the best one of its set).
    member b.OffsetAt(i: int) = (b.OffsetSetAt i).[0]

    /// The shortcut's offsets at position i, best first: the position's set, or the fallback set where training
    /// never masked position i.
    member b.OffsetSetAt(i: int) : int[] =
        if b.WasTrained i then sets.[i] else fallbackSet

    /// The baseline's prediction at position i of a sequence (-1 when the offset reaches before 0).
    member b.Predict(tokens: int[], i: int) =
        let d = b.OffsetAt i
        if d >= 1 && i - d >= 0 then tokens.[i - d] else -1

    /// The distinct tokens the shortcut's offsets at position i point at (those reaching before 0 point at
    /// nothing): a prediction that is any of them follows the shortcut.
    member b.ShortcutTokens(tokens: int[], i: int) =
        b.OffsetSetAt i
        |> Array.filter (fun d -> d >= 1 && i - d >= 0)
        |> Array.map (fun d -> tokens.[i - d])
        |> Array.distinct

    /// Top-1 accuracy on the masked positions of examples (NaN when none is masked).
    member b.Score(examples: Example[]) =
        Predictable.share examples (fun tokens i -> b.Predict(tokens, i) = tokens.[i])

    /// Fits, per position, the offsets that copy the right token at the masked positions of training examples:
    /// the best (ties go to the smaller offset) and every other offset right at least NearBest as often, at least
    /// once. Cost: positions × offsets × examples.
    static member Fit(examples: Example[]) =
        let ctx =
            if examples.Length = 0 then
                0
            else
                examples |> Array.map (fun e -> e.Tokens.Length) |> Array.max
        // counts.[i].[d]: how often tokens[i] = tokens[i-d] at masked position i.
        let counts = Array.init ctx (fun i -> Array.zeroCreate<int>(i + 1))
        let seen = Array.zeroCreate<int> ctx

        for ex in examples do
            let t = ex.Tokens

            for i in 1 .. t.Length - 1 do
                if ex.LossMask.[i] then
                    seen.[i] <- seen.[i] + 1
                    let c = counts.[i]
                    let target = t.[i]

                    for d in 1..i do
                        if t.[i - d] = target then
                            c.[d] <- c.[d] + 1
        // The best offset first, then the others near it, by hits (ties: the smaller offset).
        let near (c: int[]) =
            let mutable bd = 1

            for d in 2 .. c.Length - 1 do
                if c.[d] > c.[bd] then
                    bd <- d

            let others =
                [|
                    for d in 1 .. c.Length - 1 do
                        if d <> bd && c.[d] >= 1 && float c.[d] >= PositionBaseline.NearBest * float c.[bd] then
                            yield d
                |]
                |> Array.sortBy (fun d -> -c.[d], d)

            Array.append [| bd |] others

        let sets =
            Array.init ctx (fun i -> if i > 0 && seen.[i] > 0 then near counts.[i] else [||])
        // Global counts: summed over positions.
        let total = Array.zeroCreate<int>(max 2 ctx)

        for i in 1 .. ctx - 1 do
            for d in 1..i do
                total.[d] <- total.[d] + counts.[i].[d]

        let fallback = if ctx < 2 then [| 1 |] else near total
        PositionBaseline(sets, fallback)

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

                    counts.[t] <-
                        (match counts.TryGetValue t with
                         | true, c -> c + 1
                         | _ -> 1)

        if n = 0 then
            nan
        else
            float (Seq.max counts.Values) / float n

/// The baseline measured on a task and each of its probes.
type BaselineRow = {
    /// "train" for the in-distribution test set, else the probe's name.
    Name: string
    /// "train", "inside" or "outside" (plain text: easy from C# and for CSV).
    Kind: string
    Baseline: float
    Chance: float
}

/// Fitting and measuring the position-only baseline on a task and its probes in one call.
module PositionBaselines =
    /// Fits on `trainCount` examples (seed), scores on `testCount` fresh ones (seed + 1) of the task
    /// and of each probe (seed + 2 + probe index).
    let measure (task: ITask) (seed: uint64) (trainCount: int) (testCount: int) : BaselineRow list =
        let b = PositionBaseline.Fit(Sampling.examples task seed trainCount)
        let chance = PositionBaseline.Chance task.Vocabulary

        let row name kind (t: ITask) s = {
            Name = name
            Kind = kind
            Baseline = b.Score(Sampling.examples t s testCount)
            Chance = chance
        }

        let kind =
            function
            | Inside -> "inside"
            | Outside -> "outside"

        row "train" "train" task (seed + 1UL)
        :: (task.Probes
            |> List.mapi (fun k p -> row p.Name (kind p.Kind) p.Task (seed + 2UL + uint64 k)))
