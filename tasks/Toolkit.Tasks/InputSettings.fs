namespace Toolkit.Tasks

open Toolkit.Tasks.TaskSupport

/// Settings of a family whose examples are an input of tokens before SEP, then what the rule makes of it
/// (copy, unique-token): the input lengths, their held-out values and the content ids used.
type InputSettings = {
    Context: int
    VocabSize: int
    /// Input length range (tokens before SEP).
    Length: IntRange
    /// Input lengths of the range never drawn (the held-out-lengths probe draws only these).
    Holdout: int list
    Tokens: IntRange
} with

    /// The reserved tokens of these families: PAD, then SEP and EOS, which close the input and the output.
    static member Reserved = [ "PAD"; "SEP"; "EOS" ]

    /// The parameters of such a family: context, vocab, length, holdout, the family's own (`extra`), tokens.
    static member Specs(context: int, length: string, lengthHelp: string, extra: ParamSpec list) : ParamSpec list =
        [
            TaskFamily.contextSpec context
            TaskFamily.vocabSpec InputSettings.Reserved
            {
                Name = "length"
                Default = length
                Help = lengthHelp
            }
            holdoutSpec "input lengths"
        ]
        @ extra
        @ [ TaskFamily.tokensSpec ]

    /// Reads the settings from a family's text parameters (vocab first: its error comes before the others').
    static member Read(p: FamilyParams) = {
        VocabSize = p.Int "vocab"
        Context = p.Int "context"
        Length = p.Range "length"
        Holdout = p.Holdout "length"
        Tokens = p.Tokens InputSettings.Reserved
    }

    /// The vocabulary.
    member s.Vocabulary = {
        Size = s.VocabSize
        Reserved = InputSettings.Reserved
    }

    /// The input lengths training draws.
    member s.Lengths = allowedValues s.Length s.Holdout

    /// The canonical parameters.
    member s.Parameters(vocab: Vocabulary) =
        TaskFamily.parameters s.Context vocab s.Tokens [ "length", string s.Length; "holdout", holdoutText s.Holdout ]

    /// The held-out-lengths (inside), longer-inputs (up to `longest` tokens) and unseen-tokens probes.
    member s.Probes(probes: FamilyProbes<InputSettings>, vocab: Vocabulary, longest: int) =
        [
            probes.HeldOut(
                "held-out-lengths",
                $"input lengths {holdoutText s.Holdout} inside {s.Length}, held out of training",
                s.Length,
                s.Holdout,
                fun h -> { s with Holdout = h }
            )
            probes.LongerInputs(s.Length, longest, fun r -> { s with Length = r; Holdout = [] })
            probes.UnseenTokens(vocab, s.Tokens, fun r -> { s with Tokens = r })
        ]
        |> List.choose id
