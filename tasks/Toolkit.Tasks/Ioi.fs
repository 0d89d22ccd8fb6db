namespace Toolkit.Tasks

open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// The fixed synthetic vocabulary of the ioi task: reserved tokens, template words, then names.
module IoiVocabulary =
    /// Sentence templates; X and Y are the two names introduced, S the subject's second mention.
    /// Each ends with "to": the next token is the indirect object.
    let templates =
        [|
            "when X and Y went to the PLACE , S gave a OBJECT to"
            "when X and Y got a OBJECT at the PLACE , S decided to give it to"
            "then , X and Y went to the PLACE . S gave a OBJECT to"
            "after X and Y met at the PLACE , S handed the OBJECT to"
        |]
        |> Array.map (fun t -> t.Split ' ')

    let places = [| "store"; "garden"; "school"; "station"; "market"; "park" |]
    let objects = [| "drink"; "book"; "ring"; "kiss"; "letter"; "bone" |]

    let names = [|
        "Mary"
        "John"
        "Anna"
        "Paul"
        "Kate"
        "Tom"
        "Lisa"
        "Mark"
        "Emma"
        "Jack"
        "Sara"
        "Luke"
        "Rose"
        "Adam"
        "Nina"
        "Eric"
        "Ivy"
        "Owen"
        "Zoe"
        "Ben"
        "Lea"
        "Sam"
        "Amy"
        "Dan"
    |]

    let reserved = [ "PAD"; "BOS"; "EOS" ]
    let private placeholders = set [ "X"; "Y"; "S"; "PLACE"; "OBJECT" ]

    /// Plain words of the templates plus places and objects, in a fixed order.
    let words =
        Array.concat [
            templates
            |> Array.concat
            |> Array.filter (fun w -> not (placeholders.Contains w))
            |> Array.distinct
            places
            objects
        ]

    /// Whether the unordered pair of names i and j (indices into `names`) is held out of training under
    /// `pairs=split`: (i + j) mod 7 = 0, about one pair in seven, and every name of the first 5 or more has both
    /// trained and held-out partners, so the probe asks for new combinations of trained names, never new names.
    let heldOutPair i j = (i + j) % 7 = 0

    /// Every token's text, by id.
    let all = Array.concat [ Array.ofList reserved; words; names ]
    let private ids = all |> Array.mapi (fun i w -> w, i) |> dict
    /// The id of a word or name.
    let id (w: string) = ids.[w]
    let firstName = reserved.Length + words.Length

    /// Placeholder codes in compiled templates (negative, so they never clash with token ids).
    [<Literal>]
    let X = -1

    [<Literal>]
    let Y = -2

    [<Literal>]
    let S = -3

    [<Literal>]
    let Place = -4

    [<Literal>]
    let Object = -5

    /// Templates as token ids with placeholder codes: building an example is then a plain loop.
    let compiled =
        templates
        |> Array.map (
            Array.map (function
                | "X" -> X
                | "Y" -> Y
                | "S" -> S
                | "PLACE" -> Place
                | "OBJECT" -> Object
                | w -> id w)
        )

/// Settings of the ioi family.
type IoiSettings = {
    Context: int
    /// Names used (the first `Names` of the list); the rest make the unseen-names probe.
    Names: int
    /// "abba", "baba" or "both".
    Order: string
    /// Templates used (the first `Templates`).
    Templates: int
    /// Padding before BOS (a start shift).
    Start: IntRange
    /// "split": the name pairs `IoiVocabulary.heldOutPair` picks are held out of training for the held-out-pairs
    /// probe; "all": every pair of the training names is trained.
    Pairs: string
}

/// Which ordered (IO, subject) name pairs a task instance draws.
type IoiPairDraw =
    /// Training: every pair of the name range, less the held-out ones under `pairs=split`.
    | TrainedPairs
    /// The held-out-pairs probe: only the held-out ones.
    | HeldOutPairs

/// `ioi`: indirect-object identification over a synthetic vocabulary ("When Mary and John went
/// to the store, John gave a drink to" → Mary), ABBA and BABA orders. Predictable: the answer.
/// Metadata: positions io, s1, s2, end (the last "to") and answer; template; order (0 ABBA, 1 BABA); the
/// names' indices into the name list (ioname, sname: part of the instance's shape).
/// `nameRange` (first, last index into the name list) chooses the names drawn: training uses the
/// first `Names`, the unseen-names probe the rest; `pairDraw` which of their pairs.
type Ioi(s: IoiSettings, nameRange: int * int, pairDraw: IoiPairDraw) =
    inherit FamilyTask<IoiSettings>("ioi", s, s.Context)

    static let specs: ParamSpec list = [
        TaskFamily.contextSpec 24
        {
            Name = "names"
            Default = "16"
            Help = $"names used in training, 2..{IoiVocabulary.names.Length} (unseen-names probe uses the rest)"
        }
        {
            Name = "order"
            Default = "both"
            Help = "abba, baba or both"
        }
        {
            Name = "templates"
            Default = "3"
            Help = $"templates used, 1..{IoiVocabulary.templates.Length} (the rest make a probe)"
        }
        {
            Name = "start"
            Default = "0"
            Help = "PAD tokens before BOS, a number or range"
        }
        {
            Name = "pairs"
            Default = "split"
            Help = "split (about one name pair in seven held out of training for the held-out-pairs probe) or all"
        }
    ]

    let vocab = {
        Size = IoiVocabulary.all.Length
        Reserved = IoiVocabulary.reserved
    }

    let templates = IoiVocabulary.templates
    let nFirst, nLast = nameRange
    // BOS + template + answer + EOS
    let need start template = start + templates.[template].Length + 3

    let orders =
        match s.Order with
        | "abba" -> [| 0 |]
        | "baba" -> [| 1 |]
        | _ -> [| 0; 1 |]

    let split = s.Pairs = "split"

    /// The ordered (IO, subject) pairs drawn, as indices into the name list.
    let pairs = [|
        for i in nFirst..nLast do
            for j in nFirst..nLast do
                if i <> j then
                    let held = split && IoiVocabulary.heldOutPair i j

                    match pairDraw with
                    | TrainedPairs when not held -> yield i, j
                    | HeldOutPairs when held -> yield i, j
                    | _ -> ()
    |]

    let pairSet = set pairs

    do
        let nNames = IoiVocabulary.names.Length

        if s.Names < 2 || s.Names > nNames then
            fail $"names {s.Names} is outside 2..{nNames}" $"use names from 2 to {nNames}"

        if s.Templates < 1 || s.Templates > templates.Length then
            fail $"templates {s.Templates} is outside 1..{templates.Length}" $"use templates from 1 to {templates.Length}"

        if s.Order <> "abba" && s.Order <> "baba" && s.Order <> "both" then
            fail $"order '{s.Order}' is unknown" "use order=abba, baba or both"

        if s.Start.Lo < 0 then
            fail $"start {s.Start} is negative" "use start offsets from 0"

        let longest =
            templates |> Array.take s.Templates |> Array.map Array.length |> Array.max

        if s.Start.Hi + longest + 3 > s.Context then
            fail
                $"the longest template from start {s.Start.Hi} needs {s.Start.Hi + longest + 3} tokens, more than context {s.Context}"
                $"use a --n-ctx of at least {s.Start.Hi + longest + 3}, or a smaller start"

        if nLast - nFirst < 1 || nFirst < 0 || nLast >= nNames then
            fail "the ioi task needs at least 2 names" "use names=2 or more"

        if s.Pairs <> "split" && s.Pairs <> "all" then
            fail $"pairs '{s.Pairs}' is unknown" "use pairs=split or all"

        if pairs.Length = 0 then
            fail "no name pair is left to draw" "use more names, or pairs=all"

    let probes =
        FamilyProbes(fun (settings, names, draw) -> Ioi(settings, names, draw) :> ITask)

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        TaskFamily.factory "ioi" "indirect-object identification: 'When A and B went to the store, B gave a drink to' -> A" specs (fun p ->
            let names = p.Int "names"

            Ioi(
                {
                    Context = p.Int "context"
                    Names = names
                    Order = p.Choice("order", [ "abba"; "baba"; "both" ])
                    Templates = p.Int "templates"
                    Start = p.Range "start"
                    Pairs = p.Choice("pairs", [ "split"; "all" ])
                },
                (0, max 1 (min (names - 1) (IoiVocabulary.names.Length - 1))),
                TrainedPairs
            ))

    interface ITokenNames with
        member _.TokenName t =
            if t >= 0 && t < IoiVocabulary.all.Length then
                IoiVocabulary.all.[t]
            else
                string t

    override _.Vocabulary = vocab

    override _.Parameters =
        paramsDict [
            "context", string s.Context
            "names", string s.Names
            "order", s.Order
            "templates", string s.Templates
            "start", string s.Start
            "pairs", s.Pairs
        ]

    override _.Probes =
        let nNames = IoiVocabulary.names.Length

        let longest =
            templates |> Array.take s.Templates |> Array.map Array.length |> Array.max

        [
            probes.Beyond(
                "shifted-start",
                Inside,
                s.Start,
                s.Context - longest - 3,
                (fun r -> $"{r.Lo}..{r.Hi} PAD tokens before BOS (training {s.Start})"),
                fun r -> ({ s with Start = r }, nameRange, pairDraw)
            )
            (if not split then
                 None
             else
                 probes.Probe(
                     "held-out-pairs",
                     Inside,
                     "pairs of trained names never trained together ((i + j) mod 7 = 0)",
                     (s, nameRange, HeldOutPairs)
                 ))
            (if s.Names >= nNames - 1 then
                 None
             else
                 probes.Probe(
                     "unseen-names",
                     Outside,
                     $"names {s.Names + 1}..{nNames} of the list, never used in training",
                     ({ s with Pairs = "all" }, (s.Names, nNames - 1), TrainedPairs)
                 ))
            (if s.Order = "both" then
                 None
             else
                 let other = if s.Order = "abba" then "baba" else "abba"

                 probes.Probe(
                     "other-order",
                     Outside,
                     $"{other} order only (training {s.Order})",
                     ({ s with Order = other }, nameRange, pairDraw)
                 ))
            (let all = templates.Length

             let fits =
                 s.Start.Hi + (templates |> Array.map Array.length |> Array.max) + 3 <= s.Context

             if s.Templates >= all || not fits then
                 None
             else
                 probes.Probe(
                     "unseen-templates",
                     Outside,
                     "templates never used in training",
                     ({ s with Templates = all }, nameRange, pairDraw)
                 )
                 |> Option.map (fun p -> {
                     p with
                         Task = OnlyTemplates(p.Task, s.Templates) :> ITask
                 }))
        ]
        |> List.choose id

    override _.Instances =
        gen {
            let! t = Gen.choose (0, s.Templates - 1)
            let! o = Gen.elements orders
            let! start = Gen.choose (s.Start.Lo, s.Start.Hi)
            let! io, subject = Gen.elements pairs
            let! seed = Sampling.seed

            return {
                Shape = Map [ "template", t; "order", o; "start", start; "ioname", io; "sname", subject ]
                Seed = seed
            }
        }

    override _.Build inst =
        let t, o, start = shape inst "template", shape inst "order", shape inst "start"

        if t < 0 || t >= templates.Length || start < 0 || need start t > s.Context then
            fail $"instance template={t} start={start} does not fit context {s.Context}" "choose a smaller start"

        let rng = FastRng(inst.Seed)
        let io = IoiVocabulary.firstName + shape inst "ioname"
        let subj = IoiVocabulary.firstName + shape inst "sname"

        let place =
            IoiVocabulary.id IoiVocabulary.places.[rng.Between(0, IoiVocabulary.places.Length - 1)]

        let obj =
            IoiVocabulary.id IoiVocabulary.objects.[rng.Between(0, IoiVocabulary.objects.Length - 1)]

        let tokens = Array.zeroCreate s.Context
        tokens.[start] <- 1 // BOS
        let mutable ioPos, s1Pos, s2Pos = -1, -1, -1
        let words = IoiVocabulary.compiled.[t]

        for k in 0 .. words.Length - 1 do
            let p = start + 1 + k

            tokens.[p] <-
                match words.[k] with
                | IoiVocabulary.X when o = 0 ->
                    ioPos <- p
                    io
                | IoiVocabulary.X ->
                    s1Pos <- p
                    subj
                | IoiVocabulary.Y when o = 0 ->
                    s1Pos <- p
                    subj
                | IoiVocabulary.Y ->
                    ioPos <- p
                    io
                | IoiVocabulary.S ->
                    s2Pos <- p
                    subj
                | IoiVocabulary.Place -> place
                | IoiVocabulary.Object -> obj
                | w -> w

        let endPos = start + words.Length
        tokens.[endPos + 1] <- io
        tokens.[endPos + 2] <- 2 // EOS
        let mask = Array.zeroCreate s.Context
        mask.[endPos + 1] <- true

        {
            Tokens = tokens
            LossMask = mask
            Meta =
                inst.Shape
                |> withMeta [ "io", ioPos; "s1", s1Pos; "s2", s2Pos; "end", endPos; "answer", endPos + 1 ]
        }

    override _.Shrink inst =
        let t, o, start = shape inst "template", shape inst "order", shape inst "start"

        let mk t o st = {
            inst with
                Shape = inst.Shape |> Map.add "template" t |> Map.add "order" o |> Map.add "start" st
        }

        seq {
            if start > s.Start.Lo then
                yield mk t o s.Start.Lo

            if t > 0 && need start 0 <= s.Context then
                yield mk 0 o start

            if o > 0 && s.Order = "both" then
                yield mk t 0 start
        }

    interface IShapeSupport with
        member _.Draws shape =
            match tryShape [ "template"; "order"; "start"; "ioname"; "sname" ] shape with
            | Some [ t; o; start; io; subject ] ->
                t >= 0
                && t < s.Templates
                && Array.contains o orders
                && s.Start.Contains start
                && pairSet.Contains(io, subject)
            | _ -> false

/// Restricts a task's instances to templates at or above `first` (the unseen-templates probe).
and private OnlyTemplates(inner: ITask, first: int) =
    interface ITokenNames with
        member _.TokenName t = (inner :?> ITokenNames).TokenName t

    interface ITask with
        member _.Name = inner.Name
        member _.Parameters = inner.Parameters
        member _.Vocabulary = inner.Vocabulary
        member _.Context = inner.Context
        member _.SeenPeriods = inner.SeenPeriods
        member _.PredictiveOffsets = inner.PredictiveOffsets
        member _.Probes = []

        member _.Instances =
            gen {
                let! i = inner.Instances
                let! t = Gen.choose (first, IoiVocabulary.templates.Length - 1)

                return {
                    i with
                        Shape = i.Shape.Add("template", t)
                }
            }

        member _.Build i = inner.Build i
        member _.Shrink _ = Seq.empty

    interface IShapeSupport with
        member _.Draws shape =
            match shape.TryFind "template", inner with
            | Some t, (:? IShapeSupport as support) -> t >= first && support.Draws shape
            | _ -> false
