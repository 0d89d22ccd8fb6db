namespace Toolkit.Tasks

open System.Collections.Generic
open FsCheck
open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// A family's text parameters as its factory reads them: missing ones take their declared defaults, bad ones raise
/// TaskParameterException. Each read parses when called, so a factory's order of reads is the order of its errors.
type FamilyParams(specs: ParamSpec list, given: IReadOnlyDictionary<string, string>) =
    /// The text of a parameter, or its default.
    member _.Text name = Params.get specs given name
    /// A whole number.
    member _.Int name = Params.int specs given name
    /// A flag: true/false, yes/no, 1/0, on/off.
    member _.Bool name = Params.bool specs given name
    /// A range "6..29" or a single value "32".
    member _.Range name = Params.range specs given name
    /// One of `allowed`, lower-cased.
    member _.Choice(name, allowed) = Params.choice specs given name allowed

    /// The `holdout` parameter: values of the range parameter `rangeName` never trained on.
    member p.Holdout(rangeName: string) =
        holdoutOf (p.Range rangeName) (p.Text "holdout")

    /// The `tokens` parameter: all content ids of the `vocab` parameter's vocabulary with `reserved` ids, or a range
    /// inside them.
    member p.Tokens(reserved: string list) =
        tokenRange
            {
                Size = max (p.Int "vocab") (reserved.Length + 1)
                Reserved = reserved
            }
            (p.Text "tokens")

/// The probes of a family whose settings are of type 's, made into tasks by `make`: a probe whose shifted settings
/// are not a valid task (too long for the context, say) is left out rather than raised.
type FamilyProbes<'s>(make: 's -> ITask) =
    /// A probe, or None when `settings` is not a valid task.
    member _.Probe(name: string, kind: ProbeKind, description: string, settings: 's) : Probe option =
        try
            Some {
                Name = name
                Kind = kind
                Description = description
                Task = make settings
            }
        with :? TaskParameterException ->
            None

    /// The inside probe of the values of `range` held out of training (none when nothing is held out): `withHoldout`
    /// makes the settings whose holdout is every other value of the range, so the probe draws only the held-out ones.
    member p.HeldOut(name, description, range: IntRange, holdout: int list, withHoldout: int list -> 's) =
        if holdout.IsEmpty then
            None
        else
            p.Probe(name, Inside, description, withHoldout (onlyHoldout range holdout))

    /// A probe of the values trained.Hi+1 .. hi of a range (none when hi is not beyond trained.Hi): the description
    /// and settings are made from that new range. Outside when the range is a rule's size, Inside when a nuisance.
    member p.Beyond(name, kind, trained: IntRange, hi: int, describe: IntRange -> string, settings: IntRange -> 's) =
        if hi <= trained.Hi then
            None
        else
            let r = { Lo = trained.Hi + 1; Hi = hi }
            p.Probe(name, kind, describe r, settings r)

    /// The outside probe of inputs longer than the trained `length`: half its width again (2 at least), at most `limit`.
    member p.LongerInputs(length: IntRange, limit: int, settings: IntRange -> 's) =
        p.Beyond(
            "longer-inputs",
            Outside,
            length,
            min limit (length.Hi + max 2 (length.Count / 2)),
            (fun r -> $"inputs of {r.Lo}..{r.Hi} tokens (training {length})"),
            settings
        )

    /// The outside probe of the content ids training never used (none when `tokens` uses them all, or leaves two pieces).
    member p.UnseenTokens(vocab: Vocabulary, tokens: IntRange, settings: IntRange -> 's) =
        match complement vocab tokens with
        | Some r -> p.Probe("unseen-tokens", Outside, $"content ids {r}, never used in training", settings r)
        | None -> None

/// What every synthetic family's ITask says the same way: its name, settings and context, and no periods unless it
/// says so. A family inherits it and writes only its rule: its vocabulary, its parameters' canonical text, its
/// probes, its instances, how an instance builds an example, and how one shrinks.
[<AbstractClass>]
type FamilyTask<'s>(name: string, settings: 's, context: int) =
    /// The validated settings of this task.
    member _.Settings = settings
    /// ITask.Vocabulary.
    abstract Vocabulary: Vocabulary
    /// ITask.Parameters: the canonical text of the settings.
    abstract Parameters: IReadOnlyDictionary<string, string>
    /// ITask.Probes: the family's distribution shifts, usually made with FamilyProbes.
    abstract Probes: Probe list
    /// ITask.Instances.
    abstract Instances: Gen<Instance>
    /// ITask.Build: the rule.
    abstract Build: Instance -> Example
    /// ITask.Shrink.
    abstract Shrink: Instance -> seq<Instance>
    /// Repetition distances present in training (ITask.SeenPeriods): none unless the family overrides it.
    abstract SeenPeriods: int list
    default _.SeenPeriods = []
    /// Offsets training makes predictive (ITask.PredictiveOffsets): none unless the family overrides it.
    abstract PredictiveOffsets: int list
    default _.PredictiveOffsets = []

    interface ITask with
        member _.Name = name
        member t.Parameters = t.Parameters
        member t.Vocabulary = t.Vocabulary
        member _.Context = context
        member t.Instances = t.Instances
        member t.Build inst = t.Build inst
        member t.Shrink inst = t.Shrink inst
        member t.Probes = t.Probes
        member t.SeenPeriods = t.SeenPeriods
        member t.PredictiveOffsets = t.PredictiveOffsets

/// What the task families share: their factory, their common parameters, and shapes of one or two values.
module TaskFamily =
    /// The catalog factory of a family: its name (once), summary and parameters, and how it builds a task from them.
    /// Parameters the family does not declare are refused before `create` reads any.
    let factory (name: string) (summary: string) (specs: ParamSpec list) (create: FamilyParams -> ITask) = {
        new ITaskFactory with
            member _.Name = name
            member _.Summary = summary
            member _.Parameters = specs

            member _.Create given =
                Params.checkKnown name specs given
                create (FamilyParams(specs, given))
    }

    /// The `context` parameter.
    let contextSpec (byDefault: int) : ParamSpec = {
        Name = "context"
        Default = string byDefault
        Help = "sequence length"
    }

    /// The `vocab` parameter of a vocabulary with these reserved tokens.
    let vocabSpec (reserved: string list) : ParamSpec =
        let names =
            match List.rev reserved with
            | [] -> "nothing"
            | [ one ] -> one
            | last :: rest -> $"""{List.rev rest |> String.concat ", "} and {last}"""

        {
            Name = "vocab"
            Default = "64"
            Help = $"vocabulary size, {names} included"
        }

    /// The `tokens` parameter, which makes the unseen-tokens probe possible.
    let tokensSpec: ParamSpec = {
        Name = "tokens"
        Default = "all"
        Help = "content ids used, all or a range (unseen-tokens probe uses the rest)"
    }

    /// Canonical text of a `tokens` range: "all" when it is every content id of the vocabulary.
    let tokensText (vocab: Vocabulary) (tokens: IntRange) =
        if tokens.Lo = vocab.ContentStart && tokens.Hi = vocab.Size - 1 then
            "all"
        else
            string tokens

    /// Canonical parameters of a family with a `vocab` and a `tokens` parameter: context, vocab, the family's own
    /// (in order), tokens.
    let parameters (context: int) (vocab: Vocabulary) (tokens: IntRange) (own: (string * string) list) =
        paramsDict (
            [ "context", string context; "vocab", string vocab.Size ]
            @ own
            @ [ "tokens", tokensText vocab tokens ]
        )

    /// Canonical text of a flag.
    let boolText (b: bool) = if b then "true" else "false"

    /// Instances of a family whose shape is one value (`key`) drawn uniformly from `values`.
    let oneValueInstances (key: string) (values: int[]) =
        gen {
            let! v = Gen.elements values
            let! seed = Sampling.seed
            return { Shape = Map [ key, v ]; Seed = seed }
        }

    /// Smaller instances of a one-value shape that training draws: the least value, halfway down, one less.
    let shrinkOneValue (key: string) (lo: int) (values: int[]) (inst: Instance) =
        let v = shape inst key

        seq {
            for v' in [ lo; (v + lo) / 2; v - 1 ] do
                if v' < v && Array.contains v' values then
                    yield { inst with Shape = Map [ key, v' ] }
        }
        |> Seq.distinct

    /// Whether a one-value shape is one training draws.
    let drawsOneValue (key: string) (values: int[]) (shape: Map<string, int>) =
        match tryShape [ key ] shape with
        | Some [ v ] -> Array.contains v values
        | _ -> false

    /// Smaller instances of a two-value shape that training draws (`draws major minor`): the minor value down to its
    /// least or one less, then the major value down to its least, halfway, or one less.
    let shrinkTwoValues (major: string, majorLo: int) (minor: string, minorLo: int) (draws: int -> int -> bool) (inst: Instance) =
        let a, b = shape inst major, shape inst minor

        let make a b = {
            inst with
                Shape = Map [ major, a; minor, b ]
        }

        seq {
            for b' in [ minorLo; b - 1 ] do
                if b' < b && draws a b' then
                    yield make a b'

            for a' in [ majorLo; (a + majorLo) / 2; a - 1 ] do
                if a' < a && draws a' b then
                    yield make a' b
        }
        |> Seq.distinct

    /// Whether a two-value shape is one training draws (`draws major minor`).
    let drawsTwoValues (major: string) (minor: string) (draws: int -> int -> bool) (shape: Map<string, int>) =
        match tryShape [ major; minor ] shape with
        | Some [ a; b ] -> draws a b
        | _ -> false
