namespace Toolkit.Tasks

open Toolkit.Tasks.TaskSupport

/// Settings of the copy family.
type SourceCopySettings = InputSettings

/// `copy`: random tokens, SEP, the same tokens again, EOS, PAD to the end: the sequence-to-sequence copy
/// task, whose input and output an encoder-decoder sees on either side of the SEP. Unlike repeated-copy there
/// is no period to memorize: the output starts after a SEP whose position varies with the input length.
/// Predictable: every output token and the EOS.
type SourceCopy(s: SourceCopySettings) =
    inherit FamilyTask<SourceCopySettings>("copy", s, s.Context)
    static let specs = InputSettings.Specs(64, "4..24", "input length before SEP", [])
    let vocab, lengths = s.Vocabulary, s.Lengths
    let sep, eos = 1, 2

    do
        if s.Length.Lo < 1 then
            fail $"length {s.Length} includes empty inputs" "use lengths of at least 1"

        checkHoldout "length" s.Length s.Holdout
        let worst = 2 * s.Length.Hi + 2

        if worst > s.Context then
            fail
                $"an input of {s.Length.Hi}, SEP, its copy and EOS need {worst} tokens, more than context {s.Context}"
                $"use inputs of at most {(s.Context - 2) / 2} tokens or a longer --n-ctx"

        checkTokens vocab s.Tokens

    let probes = FamilyProbes(fun settings -> SourceCopy(settings) :> ITask)

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        TaskFamily.factory "copy" "random tokens, SEP, the same tokens again, EOS (sequence-to-sequence copy)" specs (fun p ->
            SourceCopy(InputSettings.Read p))

    override _.Vocabulary = vocab

    override _.Parameters = s.Parameters vocab

    override _.Probes = s.Probes(probes, vocab, (s.Context - 2) / 2)

    override _.Instances = TaskFamily.oneValueInstances "length" lengths

    override _.Build inst =
        let n = shape inst "length"

        if n < 1 || 2 * n + 2 > s.Context then
            fail $"instance length={n} does not fit context {s.Context}" "choose a smaller length"

        let rng = FastRng(inst.Seed)
        let tokens = Array.zeroCreate s.Context

        for i in 0 .. n - 1 do
            tokens.[i] <- rng.Between(s.Tokens.Lo, s.Tokens.Hi)

        tokens.[n] <- sep
        Array.blit tokens 0 tokens (n + 1) n
        tokens.[2 * n + 1] <- eos
        let mask = Array.zeroCreate s.Context

        for i in n + 1 .. 2 * n + 1 do
            mask.[i] <- true

        {
            Tokens = tokens
            LossMask = mask
            Meta = inst.Shape |> withMeta [ "sep", n; "eos", 2 * n + 1 ]
        }

    override _.Shrink inst =
        TaskFamily.shrinkOneValue "length" s.Length.Lo lengths inst

    interface IShapeSupport with
        member _.Draws shape =
            TaskFamily.drawsOneValue "length" lengths shape
