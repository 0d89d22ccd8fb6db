/// "Generalizes" must rest on instances training never drew (docs/design.md §4): for every family, over random valid
/// parameters, no inside probe draws a shape the training generator draws. Supports are compared in closed form
/// (IShapeSupport.Draws, enumerated over every shape the context allows), not by sampling both sides and hoping to
/// see a rare overlap; sampling only checks that each stated support covers what its generator really draws.
module Toolkit.Tasks.Tests.SupportTests

open System.IO
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

let private support (task: ITask) =
    match task with
    | :? IShapeSupport as s -> s
    | _ -> failwith $"task {task.Name} does not state its support (IShapeSupport)"

/// Every shape with these keys whose values lie in 0..bound key (each built-in family's shape values fit its context,
/// text offsets its corpus, ioi's names the name list), as maps.
let private shapesUpTo (keys: string list) (bound: string -> int) =
    let rec go keys (acc: Map<string, int>) =
        seq {
            match keys with
            | [] -> yield acc
            | k :: rest ->
                for v in 0 .. bound k do
                    yield! go rest (acc.Add(k, v))
        }

    go keys Map.empty

/// Throws, naming the task and the shape, unless: every drawn instance of the task and of each probe lies in its stated
/// support, and no shape of an inside probe's support is one training draws.
let checkInsideProbesDisjoint (task: ITask) =
    let where =
        $"""{task.Name} {task.Parameters
                         |> Seq.map (fun kv -> $"{kv.Key}={kv.Value}")
                         |> String.concat " "}"""

    let show (shape: Map<string, int>) =
        shape |> Seq.map (fun kv -> $"{kv.Key}={kv.Value}") |> String.concat " "

    let training = support task

    for inst in Sampling.instances task 1UL 200 do
        if not (training.Draws inst.Shape) then
            failwith $"{where}: training draws {show inst.Shape}, outside its stated support"

    for p in task.Probes do
        let own = support p.Task
        let drawn = Sampling.instances p.Task 2UL 200

        for inst in drawn do
            if not (own.Draws inst.Shape) then
                failwith $"{where}: probe {p.Name} draws {show inst.Shape}, outside its stated support"

        if p.Kind = Inside then
            let bound =
                match p.Task with
                | :? TextTask as t -> fun _ -> t.CorpusTokens.Length
                | :? ModularAddition as t -> fun _ -> t.Settings.P // shapes are the pair (a, b), each below p
                | _ when task.Name = "ioi" -> // names index the name list; the rest fit the context
                    function
                    | "ioname"
                    | "sname" -> IoiVocabulary.names.Length - 1
                    | "template" -> IoiVocabulary.templates.Length - 1
                    | "order" -> 1
                    | _ -> task.Context
                | _ -> fun _ -> task.Context

            let keys = drawn.[0].Shape |> Seq.map (fun kv -> kv.Key) |> List.ofSeq
            let probeShapes = shapesUpTo keys bound |> Seq.filter own.Draws |> Seq.toArray

            if probeShapes.Length = 0 then
                failwith $"{where}: probe {p.Name} states an empty support"

            match probeShapes |> Array.tryFind training.Draws with
            | Some shape -> failwith $"{where}: inside probe {p.Name} draws {show shape}, which training draws too"
            | None -> ()

/// Random valid parameters of a family (generators aim at valid settings; an invalid one is skipped and counted).
let private familyParams: (string * Gen<(string * string) list>) list =
    let range lo hi =
        if lo = hi then string lo else $"{lo}..{hi}"

    let holdout lo hi =
        gen {
            let! pick = Gen.choose (0, 3)

            match pick with
            | 0 -> return "auto"
            | 1 -> return "none"
            | _ when hi > lo -> let! v = Gen.choose (lo, hi) in return string v
            | _ -> return "auto"
        }

    [
        "repeated-copy",
        gen {
            let! context = Gen.choose (12, 40)
            let! repeats = Gen.choose (2, 3)
            let! lo = Gen.choose (2, max 2 (context / repeats / 2))
            let! hi = Gen.choose (lo, context / repeats)
            let! startKind = Gen.choose (0, 2)
            let! a = Gen.choose (0, context - repeats * hi)
            let! b = Gen.choose (a, context)

            let start =
                match startKind with
                | 0 -> "any"
                | 1 -> string a
                | _ -> range a b

            let! h = holdout lo hi
            let! filler = Gen.elements [ "random"; "pad" ]
            let! collisions = Gen.elements [ "false"; "true" ]

            return [
                "context", string context
                "vocab", string (max 16 (hi + 2))
                "period", range lo hi
                "repeats", string repeats
                "start", start
                "holdout", h
                "filler", filler
                "collisions", collisions
            ]
        }
        "shifted-copy",
        gen {
            let! context = Gen.choose (12, 40)
            let! lenLo = Gen.choose (2, 5)
            let! lenHi = Gen.choose (lenLo, lenLo + 4)
            let! gapLo = Gen.choose (0, 4)
            let! gapHi = Gen.choose (gapLo, gapLo + 12)
            let! h = holdout gapLo gapHi
            let! filler = Gen.elements [ "random"; "pad" ]

            return [
                "context", string (max context (2 * lenHi + gapHi))
                "length", range lenLo lenHi
                "gap", range gapLo gapHi
                "holdout", h
                "filler", filler
            ]
        }
        "pattern-in-noise",
        gen {
            let! context = Gen.choose (16, 48)
            let! mLo = Gen.choose (2, 5)
            let! mHi = Gen.choose (mLo, mLo + 5)
            let! oLo = Gen.choose (2, 3)
            let! oHi = Gen.choose (oLo, oLo + 2)
            let! h = holdout mLo mHi

            return [
                "context", string (max context (mHi * oHi))
                "motif", range mLo mHi
                "occurrences", range oLo oHi
                "holdout", h
            ]
        }
        "set-extraction",
        gen {
            let! lLo = Gen.choose (2, 10)
            let! lHi = Gen.choose (lLo, lLo + 14)
            let! dLo = Gen.choose (1, lLo)
            let! dHi = Gen.choose (dLo, dLo + 6)
            let! h = holdout lLo lHi

            return [
                "context", string (lHi + min lHi dHi + 2)
                "length", range lLo lHi
                "distinct", range dLo dHi
                "holdout", h
            ]
        }
        "unique-token",
        gen {
            let! lo = Gen.choose (3, 10)
            let! hi = Gen.choose (lo, lo + 14)
            let! extra = Gen.choose (0, 8)
            let! h = holdout lo hi
            return [ "context", string (hi + 3 + extra); "length", range lo hi; "holdout", h ]
        }
        "copy",
        gen {
            let! lo = Gen.choose (1, 10)
            let! hi = Gen.choose (lo, lo + 14)
            let! extra = Gen.choose (0, 8)
            let! h = holdout lo hi
            return [ "context", string (2 * hi + 2 + extra); "length", range lo hi; "holdout", h ]
        }
        "ioi",
        gen {
            let! templates = Gen.choose (1, 4)
            let! names = Gen.choose (2, 24)
            let! order = Gen.elements [ "abba"; "baba"; "both" ]
            let! a = Gen.choose (0, 4)
            let! b = Gen.choose (a, a + 4)
            let! extra = Gen.choose (0, 8)
            let! pairs = Gen.elements [ "split"; "all" ]

            return [
                "context", string (b + 16 + 3 + extra)
                "templates", string templates
                "names", string names
                "order", order
                "start", range a b
                "pairs", pairs
            ]
        }
        "arithmetic",
        gen {
            let! dLo = Gen.choose (1, 4)
            let! dHi = Gen.choose (dLo, min 9 (dLo + 4))
            let! tLo = Gen.choose (2, 3)
            let! tHi = Gen.choose (tLo, tLo + 2)
            let! h = holdout dLo dHi
            let! reverse = Gen.elements [ "false"; "true" ]

            return [
                "context", "64"
                "digits", range dLo dHi
                "terms", range tLo tHi
                "holdout", h
                "reverse", reverse
            ]
        }
        "modular-addition",
        gen {
            let! p = Gen.elements [ 3; 5; 7; 11; 13; 23 ]
            let! fraction = Gen.elements [ "0.2"; "0.3"; "0.5"; "0.8" ]
            let! split = Gen.choose (0, 99)
            return [ "p", string p; "fraction", fraction; "split", string split ]
        }
        "relational",
        gen {
            let! lo = Gen.choose (2, 8)
            let! hi = Gen.choose (lo, lo + 10)
            let! h = holdout lo hi
            let! relations = Gen.choose (1, 6)
            let! extra = Gen.choose (0, 4)

            return [
                "context", string (hi + 2 + extra)
                "relations", string relations
                "entities", string (relations + 3 + extra)
                "length", range lo hi
                "holdout", h
            ]
        }
        "text",
        gen {
            let! context = Gen.choose (2, 64)
            let! heldout = Gen.choose (5, 30)
            let! tokenizer = Gen.elements [ "byte"; "bpe"; "gpt2" ]
            return [ "context", string context; "heldout", string heldout; "tokenizer", tokenizer ]
        }
    ]

let familyCases =
    familyParams
    |> List.map (fun (name, _) -> TestCaseData(name).SetName($"inside probes of {name} draw no shape training draws"))

[<TestCaseSource(nameof familyCases)>]
let ``inside probes draw no shape training draws`` (family: string) =
    let gen = familyParams |> List.find (fun (n, _) -> n = family) |> snd
    let mutable valid, withInside = 0, 0

    let prop =
        Prop.forAll (Arb.fromGen gen) (fun ps ->
            match
                (try
                    Some(create family ps)
                 with :? TaskParameterException ->
                     None)
            with
            | None -> ()
            | Some task ->
                valid <- valid + 1

                if task.Probes |> List.exists (fun p -> p.Kind = Inside) then
                    withInside <- withInside + 1

                checkInsideProbesDisjoint task)

    Check.One(config 40, prop)
    checkInsideProbesDisjoint (create family [])
    TestContext.Out.WriteLine($"{family}: {valid} of 40 random parameter sets valid, {withInside} with an inside probe")
    Assert.That(valid, Is.GreaterThanOrEqualTo 30, $"only {valid} of 40 random parameter sets of {family} were valid")
    Assert.That(withInside, Is.GreaterThan 0, $"no random parameter set of {family} had an inside probe")

[<Test>]
let ``a variable period from any start has no shifted-start probe: training draws every start that fits`` () =
    let task = create "repeated-copy" [ "period", "6..29" ]
    let inside = task.Probes |> List.filter (fun p -> p.Kind = Inside)
    Assert.That((inside |> List.map (fun p -> p.Name) = [ "held-out-periods" ]), $"{inside |> List.map (fun p -> p.Name)}")
    Assert.That(task.Parameters.["holdout"], Is.EqualTo "17", "auto holds out the middle period")
    Assert.That(shapes (List.head inside).Task "period" |> Array.forall ((=) 17))
    // A start range that ends early leaves later starts unseen: then shifted-start is an honest inside probe.
    let early = create "repeated-copy" [ "period", "6..29"; "start", "0..10" ]
    let shifted = probe early "shifted-start"
    Assert.That(shapes shifted.Task "start" |> Array.forall (fun s -> s > 10))

[<Test>]
let ``the window matcher finds exactly the held-out windows that repeat a training window`` () =
    // Naive reference against the rolling-hash matcher, on short token strings with many repeats.
    let prop =
        Prop.forAll
            (Arb.fromGen (Gen.zip3 (Gen.arrayOfLength 40 (Gen.choose (1, 3))) (Gen.choose (2, 38)) (Gen.choose (1, 6))))
            (fun (tokens, split, context) ->
                let fast = TextWindows.repeatsTraining tokens split context

                let naive = [|
                    for o in split .. tokens.Length - context ->
                        [ 0 .. split - context ]
                        |> List.exists (fun t -> tokens.[t .. t + context - 1] = tokens.[o .. o + context - 1])
                |]

                fast = naive)

    Check.One(config 300, prop)

[<Test>]
let ``held-out text never draws a window that occurs in the training part`` () =
    // A corpus that repeats itself: its held-out part holds windows of the training part, which the probe never draws.
    let path = Path.GetTempFileName()

    File.WriteAllText(
        path,
        String.replicate 30 "the cat sat on the mat. "
        + "a dog ran off, never seen before in this text at all."
    )

    let task =
        create "text" [ "corpus", path; "format", "plain"; "context", "8"; "heldout", "20" ]

    let tt = task :?> TextTask
    let window o = tt.CorpusTokens.[o .. o + 7]
    let trainingWindows = set [ for o in 0 .. tt.Split - 8 -> window o ]
    let heldOut = probe task "held-out-text"

    let offsets =
        Sampling.instances heldOut.Task 3UL 300
        |> Array.map (fun i -> i.Shape.["offset"])

    Assert.That(
        offsets
        |> Array.forall (fun o -> o >= tt.Split && not (trainingWindows.Contains(window o))),
        "a held-out window repeats a training window"
    )

    let repeated = [
        for o in tt.Split .. tt.CorpusTokens.Length - 8 do
            if trainingWindows.Contains(window o) then
                o
    ]

    Assert.That(repeated, Is.Not.Empty, "the corpus was built to repeat itself")
    Assert.That(repeated |> List.forall (fun o -> (support task).Draws(Map [ "offset", o ])), "training draws a repeated window's example")
    File.Delete path
