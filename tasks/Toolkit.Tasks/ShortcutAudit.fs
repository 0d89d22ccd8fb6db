namespace Toolkit.Tasks

open System.Collections.Generic

/// One simple strategy measured on a task's predictable positions.
type StrategyScore = {
    /// Short name, e.g. "bigram".
    Name: string
    /// What the strategy does, in words (with its fitted detail, e.g. the offset it copies from).
    Description: string
    /// Top-1 accuracy on predictable positions of fresh examples (NaN when none is predictable).
    Accuracy: float
}

/// The shortcut audit (docs/design.md §4): before training, how far each simple strategy gets on a task's
/// predictable positions, so a user sees whether the task can be solved without the algorithm under study
/// ("find a problem whose only simple solution is induction"). Every strategy except induction is fitted on
/// training examples and scored on fresh ones; a strategy predicts position i from tokens 0..i-1 only.
module ShortcutAudit =
    /// Accuracy of a predictor (tokens, i) -> predicted token at i over the predictable positions.
    let score (examples: Example[]) (predict: int[] -> int -> int) =
        Predictable.share examples (fun tokens i -> predict tokens i = tokens.[i])

    /// The most frequent key of a count table (ties: the smaller key, so fitting is deterministic).
    let private argmax (counts: Dictionary<int, int>) =
        counts
        |> Seq.sortBy (fun kv -> -kv.Value, kv.Key)
        |> Seq.head
        |> fun kv -> kv.Key

    let private masked (examples: Example[]) =
        seq {
            for ex in examples do
                for i in 1 .. ex.Tokens.Length - 1 do
                    if ex.LossMask.[i] then
                        yield ex.Tokens, i
        }

    /// Fits "the most frequent target at this position" (ignores the tokens entirely).
    let positionTable (train: Example[]) : int[] -> int -> int =
        let byPosition = Dictionary<int, Dictionary<int, int>>()

        for tokens, i in masked train do
            let c =
                match byPosition.TryGetValue i with
                | true, c -> c
                | _ ->
                    (let c = Dictionary() in
                     byPosition.[i] <- c
                     c)

            c.[tokens.[i]] <-
                (match c.TryGetValue tokens.[i] with
                 | true, k -> k + 1
                 | _ -> 1)

        let best = byPosition |> Seq.map (fun kv -> kv.Key, argmax kv.Value) |> dict

        fun _ i ->
            match best.TryGetValue i with
            | true, t -> t
            | _ -> -1

    /// Fits "always the most frequent target" (a unigram model of the answers).
    let unigram (train: Example[]) : int[] -> int -> int =
        let counts = Dictionary<int, int>()

        for tokens, i in masked train do
            counts.[tokens.[i]] <-
                (match counts.TryGetValue tokens.[i] with
                 | true, k -> k + 1
                 | _ -> 1)

        let best = if counts.Count = 0 then -1 else argmax counts
        fun _ _ -> best

    /// Fits "the most frequent target after this previous token" (a bigram model of the answers).
    let bigram (train: Example[]) : int[] -> int -> int =
        let byPrevious = Dictionary<int, Dictionary<int, int>>()

        for tokens, i in masked train do
            let p = tokens.[i - 1]

            let c =
                match byPrevious.TryGetValue p with
                | true, c -> c
                | _ ->
                    (let c = Dictionary() in
                     byPrevious.[p] <- c
                     c)

            c.[tokens.[i]] <-
                (match c.TryGetValue tokens.[i] with
                 | true, k -> k + 1
                 | _ -> 1)

        let best = byPrevious |> Seq.map (fun kv -> kv.Key, argmax kv.Value) |> dict

        fun tokens i ->
            match best.TryGetValue tokens.[i - 1] with
            | true, t -> t
            | _ -> -1

    /// Fits the single offset d whose "copy the token d back" is most often right over all predictable positions.
    let bestFixedOffset (train: Example[]) : int =
        let counts = Dictionary<int, int>()

        for tokens, i in masked train do
            for d in 1..i do
                if tokens.[i - d] = tokens.[i] then
                    counts.[d] <-
                        (match counts.TryGetValue d with
                         | true, k -> k + 1
                         | _ -> 1)

        if counts.Count = 0 then 1 else argmax counts

    /// Copies the token d positions back.
    let copyFrom (d: int) : int[] -> int -> int =
        fun tokens i -> if i - d >= 0 then tokens.[i - d] else -1

    /// Induction, the algorithm itself (nothing fitted): the token that followed the most recent earlier
    /// occurrence of the current token.
    let induction (tokens: int[]) (i: int) =
        let current = tokens.[i - 1]
        let mutable j = i - 2

        while j >= 0 && tokens.[j] <> current do
            j <- j - 1

        if j >= 0 then tokens.[j + 1] else -1

    /// Every strategy fitted on `trainCount` examples of `trainedOn` (seed) and scored on `testCount` examples of
    /// `scoredOn` (seed + 1): the training distribution itself, or one of its probes.
    let auditOn (trainedOn: ITask) (scoredOn: ITask) (seed: uint64) (trainCount: int) (testCount: int) : StrategyScore list =
        let train = Sampling.examples trainedOn seed trainCount
        let test = Sampling.examples scoredOn (seed + 1UL) testCount
        let offset = bestFixedOffset train
        let perPosition = PositionBaseline.Fit train

        let row name description predict = {
            Name = name
            Description = description
            Accuracy = score test predict
        }

        [
            {
                Name = "chance"
                Description = $"a uniformly random content token (1 / {scoredOn.Vocabulary.ContentCount})"
                Accuracy = PositionBaseline.Chance scoredOn.Vocabulary
            }
            row "unigram" "always the most frequent answer" (unigram train)
            row "bigram" "the most frequent answer after the previous token" (bigram train)
            row "position table" "the most frequent answer at this position (tokens ignored)" (positionTable train)
            row "fixed offset" $"copy the token {offset} back (the best single offset)" (copyFrom offset)
            row "offset per position" "copy from the best offset for this position (the verdicts' position-only baseline)" (fun t i ->
                perPosition.Predict(t, i))
            row "induction" "the token after the most recent earlier occurrence of the current token" induction
        ]

    /// Every strategy on a task's own distribution: fitted on `trainCount` examples (seed), scored on `testCount` fresh ones.
    let audit (task: ITask) (seed: uint64) (trainCount: int) (testCount: int) : StrategyScore list =
        auditOn task task seed trainCount testCount

    /// The audit of the training distribution and of every probe (strategies always fitted on training data, as a
    /// model would be): one (set name, rows) pair per set, in-distribution first, probes named "NAME (inside)".
    let table (task: ITask) (seed: uint64) (trainCount: int) (testCount: int) : (string * StrategyScore list) list =
        ("in-distribution", audit task seed trainCount testCount)
        :: [
            for p in task.Probes ->
                $"""{p.Name} ({match p.Kind with
                               | Inside -> "inside"
                               | Outside -> "outside"})""",
                auditOn task p.Task seed trainCount testCount
        ]
