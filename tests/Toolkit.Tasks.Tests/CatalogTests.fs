/// The catalog: every family registered, parameters validated, and new tasks registered from F#
/// without editing the catalog.
module Toolkit.Tasks.Tests.CatalogTests

open NUnit.Framework
open FsCheck.FSharp
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

/// A new task written in a test: "a b a b ..." of two random distinct tokens; from position 2 on,
/// every token repeats the one two back. Written as the built-in families are: its rule on FamilyTask, its factory
/// from TaskFamily.factory.
type Alternating(context: int) =
    inherit FamilyTask<int>("alternating", context, context)

    static member Factory =
        TaskFamily.factory "alternating" "two tokens alternating" [ TaskFamily.contextSpec 16 ] (fun p -> Alternating(p.Int "context"))

    override _.Parameters = readOnlyDict [ "context", string context ]
    override _.Vocabulary = { Size = 10; Reserved = [ "PAD" ] }

    override _.Instances =
        Sampling.seed |> Gen.map (fun s -> { Shape = Map.empty; Seed = s })

    override _.Build i =
        let ab = FastRng(i.Seed).Distinct(1, 9, 2)

        {
            Tokens = Array.init context (fun k -> ab.[k % 2])
            LossMask = Array.init context (fun k -> k >= 2)
            Meta = Map.empty
        }

    override _.Shrink _ = Seq.empty
    override _.Probes = []
    override _.SeenPeriods = [ 2 ]
    override _.PredictiveOffsets = [ 1; 2 ]

[<Test>]
let ``a task registered from F# is found, created and sampled like the built-in ones`` () =
    let names () =
        Catalog.All |> List.map (fun f -> f.Name)

    (use _registration = Catalog.RegisterScoped Alternating.Factory
     Assert.That(names (), Does.Contain "alternating")
     let task = Catalog.Create("alternating", pars [ "context", "12" ])
     Assert.That(task.Context, Is.EqualTo 12)
     let exs = Sampling.examples task 1UL 20
     Assert.That(exs |> Array.forall (fun e -> e.Tokens.[2] = e.Tokens.[0]))
     // The position-only baseline solves it: offset 2 everywhere.
     let b = PositionBaseline.Fit exs
     Assert.That(b.Score(Sampling.examples task 2UL 20), Is.EqualTo 1.0))
    // The registration is scoped: other tests see only the built-in families.
    Assert.That(names (), Does.Not.Contain "alternating")

[<Test>]
let ``every built-in family is registered and creates with its defaults`` () =
    let names = Catalog.All |> List.map (fun f -> f.Name)

    for n in
        [
            "repeated-copy"
            "shifted-copy"
            "pattern-in-noise"
            "set-extraction"
            "copy"
            "unique-token"
            "ioi"
            "arithmetic"
            "modular-addition"
            "relational"
            "text"
        ] do
        Assert.That(names, Does.Contain n)
        let task = Catalog.Create(n, pars [])
        Assert.That(task.Name, Is.EqualTo n)
        // Parameters are canonical: creating again from them gives the same examples.
        let again = Catalog.Create(n, task.Parameters)
        Assert.That((Sampling.examples task 1UL 3 = Sampling.examples again 1UL 3), $"{n}: parameters round-trip")
        Assert.That(TaskRender.example task (Sampling.examples task 1UL 1).[0], Is.Not.Empty)

[<Test>]
let ``unknown task and unknown parameter raise a typed error with a hint`` () =
    let e =
        throws<TaskParameterException>(fun () -> Catalog.Create("nope", pars []) |> ignore)

    contains "known tasks" e.Hint

    let e =
        throws<TaskParameterException>(fun () -> create "ioi" [ "colour", "red" ] |> ignore)

    contains "names" e.Hint

    for name, ps in
        [
            "shifted-copy", [ "gap", "60" ]
            "pattern-in-noise", [ "occurrences", "1" ]
            "set-extraction", [ "distinct", "9..12"; "length", "4..8" ]
            "unique-token", [ "length", "2" ]
            "ioi", [ "context", "8" ]
            "text", [ "tokenizer", "words" ]
        ] do
        let e = throws<TaskParameterException>(fun () -> create name ps |> ignore)
        Assert.That(e.Hint, Is.Not.Empty, name)

[<Test>]
let ``rendering brackets exactly the masked positions and uses the task's token names`` () =
    for name in [ "repeated-copy"; "ioi"; "arithmetic"; "set-extraction"; "copy" ] do
        let task = create name []
        let ex = (Sampling.examples task 1UL 1).[0]
        let text = TaskRender.example task ex

        let bracketed =
            text.Split(' ') |> Array.filter (fun w -> w.StartsWith "[" && w.EndsWith "]")

        Assert.That(bracketed.Length, Is.EqualTo(ex.LossMask |> Array.filter id |> Array.length), $"{name}: {text}")

    let ioi = create "ioi" []
    Assert.That(TaskRender.example ioi (Sampling.examples ioi 1UL 1).[0], Does.Contain("BOS").And.Contain(" to ["))
