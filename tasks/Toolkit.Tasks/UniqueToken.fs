namespace Toolkit.Tasks

open Toolkit.Tasks.TaskSupport

/// Settings of the unique-token family (inputs of at least 3 tokens).
type UniqueTokenSettings = InputSettings

/// `unique-token`: every input token appears two or more times except one; after SEP the model
/// predicts the one that appears exactly once (the IOI-style "remove the duplicates" rule).
/// Predictable: the answer after SEP.
type UniqueToken(s: UniqueTokenSettings) =
    inherit FamilyTask<UniqueTokenSettings>("unique-token", s, s.Context)

    static let specs =
        InputSettings.Specs(32, "5..21", "input length before SEP (at least 3)", [])

    let vocab, lengths = s.Vocabulary, s.Lengths
    let sep, eos = 1, 2
    /// Distinct duplicated tokens for an input of n: each at least twice.
    let dups n = (n - 1) / 2

    do
        if s.Length.Lo < 3 then
            fail $"length {s.Length} includes inputs shorter than 3" "use lengths of at least 3 (one unique token, one pair)"

        checkHoldout "length" s.Length s.Holdout

        if s.Length.Hi + 3 > s.Context then
            fail
                $"an input of {s.Length.Hi}, SEP, answer and EOS need {s.Length.Hi + 3} tokens, more than context {s.Context}"
                "use shorter inputs or a longer --n-ctx"

        checkTokens vocab s.Tokens

        if dups s.Length.Hi + 1 > s.Tokens.Count then
            fail
                $"an input of {s.Length.Hi} needs {dups s.Length.Hi + 1} distinct tokens, more than the {s.Tokens.Count} content tokens"
                "use a larger --d-vocab or shorter inputs"

    let probes = FamilyProbes(fun settings -> UniqueToken(settings) :> ITask)

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        TaskFamily.factory "unique-token" "every token appears at least twice but one; predict the one that appears once" specs (fun p ->
            UniqueToken(InputSettings.Read p))

    override _.Vocabulary = vocab

    override _.Parameters = s.Parameters vocab

    override _.Probes = s.Probes(probes, vocab, s.Context - 3)

    override _.Instances = TaskFamily.oneValueInstances "length" lengths

    override _.Build inst =
        let n = shape inst "length"

        if n < 3 || n + 3 > s.Context then
            fail $"instance length={n} does not fit context {s.Context}" "choose a smaller length"

        let rng = FastRng(inst.Seed)
        let k = dups n
        let distinct = rng.Distinct(s.Tokens.Lo, s.Tokens.Hi, k + 1)
        let unique = distinct.[0]
        let tokens = Array.zeroCreate s.Context
        tokens.[0] <- unique

        for j in 0 .. k - 1 do
            tokens.[1 + 2 * j] <- distinct.[1 + j]
            tokens.[2 + 2 * j] <- distinct.[1 + j]

        if (n - 1) % 2 = 1 then
            tokens.[n - 1] <- distinct.[1 + rng.Between(0, k - 1)]

        for i in n - 1 .. -1 .. 1 do
            let j = rng.Between(0, i)
            let t = tokens.[i]
            tokens.[i] <- tokens.[j]
            tokens.[j] <- t

        let at = Array.findIndex ((=) unique) (Array.sub tokens 0 n)
        tokens.[n] <- sep
        tokens.[n + 1] <- unique
        tokens.[n + 2] <- eos
        let mask = Array.zeroCreate s.Context
        mask.[n + 1] <- true

        {
            Tokens = tokens
            LossMask = mask
            Meta = inst.Shape |> withMeta [ "unique", at; "sep", n; "answer", n + 1 ]
        }

    override _.Shrink inst =
        TaskFamily.shrinkOneValue "length" s.Length.Lo lengths inst

    interface IShapeSupport with
        member _.Draws shape =
            TaskFamily.drawsOneValue "length" lengths shape
