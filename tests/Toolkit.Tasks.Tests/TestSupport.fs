/// Shared test machinery: FsCheck configuration, the generic checks every task must pass, and
/// running an oracle as a property with the task's own shrinker.
module Toolkit.Tasks.Tests.TestSupport

open System.Collections.Generic
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Toolkit.Tasks

/// Deterministic FsCheck configuration: fixed replay seed, throws on failure (NUnit reports it).
let config (maxTest: int) =
    Config.QuickThrowOnFailure
        .WithMaxTest(maxTest)
        .WithQuietOnSuccess(true)
        .WithReplay(
            Some {
                Rnd = Rnd(20261123UL, 7UL)
                Size = None
            }
        )

/// Parameters as the CLI would give them.
let pars (pairs: (string * string) list) : IReadOnlyDictionary<string, string> = readOnlyDict pairs

let create name pairs = Catalog.Create(name, pars pairs)

/// Arbitrary instances of a task with the task's own shrinker (Arb.fromGen has none in FsCheck 3).
let arb (task: ITask) =
    Arb.fromGenShrink (task.Instances, task.Shrink)

/// Fails the current property with a readable rendering of the example.
let failWith (task: ITask) (ex: Example) (msg: string) : unit =
    failwith $"{msg}\n  meta: {Render.meta ex}\n  {TaskRender.example task ex}"

/// Checks every task must satisfy whatever its rule: lengths, vocabulary bounds, position 0 never
/// masked, metadata contains the shape, determinism in the instance.
let generic (task: ITask) (inst: Instance) (ex: Example) =
    let check cond msg =
        if not cond then
            failWith task ex msg

    check (ex.Tokens.Length = task.Context) $"length {ex.Tokens.Length} <> context {task.Context}"
    check (ex.LossMask.Length = task.Context) "mask length differs from context"
    check (ex.Tokens |> Array.forall (fun t -> t >= 0 && t < task.Vocabulary.Size)) "token outside the vocabulary"
    check (not ex.LossMask.[0]) "position 0 is masked"
    check (ex.LossMask |> Array.exists id) "no masked position"

    for kv in inst.Shape do
        check (ex.Meta.TryFind kv.Key = Some kv.Value) $"meta lacks shape {kv.Key}={kv.Value}"

    let again = task.Build inst
    check (again.Tokens = ex.Tokens && again.LossMask = ex.LossMask && again.Meta = ex.Meta) "Build is not deterministic"

/// Runs `oracle task example` (which throws on a violation) as an FsCheck property over the
/// task's instances, with generic checks; then checks every shrink of a sample of instances is
/// valid (same seed, no shape value larger, Build succeeds, oracle holds).
let property (maxTest: int) (task: ITask) (oracle: ITask -> Example -> unit) =
    let prop =
        Prop.forAll (arb task) (fun inst ->
            let ex = task.Build inst
            generic task inst ex
            oracle task ex)

    Check.One(config maxTest, prop)

    for inst in Sampling.instances task 99UL 20 do
        for smaller in task.Shrink inst do
            Assert.That(smaller.Seed, Is.EqualTo inst.Seed, "shrinking keeps the seed")
            Assert.That(smaller <> inst, "a shrink differs from its instance")

            for kv in smaller.Shape do
                Assert.That(kv.Value, Is.LessThanOrEqualTo(inst.Shape.[kv.Key]), $"shrink grew {kv.Key}")

            let ex = task.Build smaller
            generic task smaller ex
            oracle task ex

/// Same seed, same examples; another seed, other examples.
let deterministic (task: ITask) =
    let a = Sampling.examples task 5UL 8
    let b = Sampling.examples task 5UL 8
    Assert.That((a = b), "same seed gives the same examples")
    let c = Sampling.examples task 6UL 8
    Assert.That((a <> c), "another seed gives other examples")

/// A probe keeps the vocabulary and context (the model is fixed) and passes the same oracle.
let probesKeepModelShape (task: ITask) (oracle: ITask -> Example -> unit) =
    for p in task.Probes do
        Assert.That(p.Task.Vocabulary, Is.EqualTo task.Vocabulary, $"probe {p.Name}: vocabulary")
        Assert.That(p.Task.Context, Is.EqualTo task.Context, $"probe {p.Name}: context")
        Assert.That(p.Task.Name, Is.EqualTo task.Name, $"probe {p.Name}: family")

        for inst in Sampling.instances p.Task 3UL 50 do
            let ex = p.Task.Build inst
            generic p.Task inst ex
            oracle p.Task ex

/// The probe of a task by name (fails the test when absent).
let probe (task: ITask) name =
    match task.Probes |> List.tryFind (fun p -> p.Name = name) with
    | Some p -> p
    | None -> failwith $"""task {task.Name} has no probe {name}; it has: {task.Probes |> List.map (fun p -> p.Name)}"""

/// Values of a shape parameter over many instances of a task.
let shapes (task: ITask) key =
    Sampling.instances task 11UL 300 |> Array.map (fun i -> i.Shape.[key])

/// The content tokens (not reserved) of many examples.
let contentTokens (task: ITask) =
    Sampling.examples task 12UL 200
    |> Array.collect (fun e -> e.Tokens)
    |> Array.filter (fun t -> t >= task.Vocabulary.ContentStart)
    |> Array.distinct

/// The token the induction rule predicts at i: the one that followed every earlier occurrence of
/// tokens[i-1], if there is at least one occurrence and they all agree; None otherwise.
let inductionTarget (tokens: int[]) (i: int) =
    if i < 2 then
        None
    else
        let prev = tokens.[i - 1]

        let followers =
            [
                for j in 0 .. i - 2 do
                    if tokens.[j] = prev then
                        tokens.[j + 1]
            ]
            |> List.distinct

        match followers with
        | [ t ] -> Some t
        | _ -> None

/// Assert.Throws with an F# function (NUnit 4 has Action and TestDelegate overloads).
let throws<'E when 'E :> exn> (f: unit -> unit) : 'E = Assert.Throws<'E>(System.Action f)

/// Asserts that `text` contains `needle`.
let contains (needle: string) (text: string) = Assert.That(text, Does.Contain needle)
