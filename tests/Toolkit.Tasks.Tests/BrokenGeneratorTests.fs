/// The oracle properties are only worth something if they catch a wrong generator: a test-only
/// repeated-copy whose mask is off by one in some instances must fail and shrink to a small,
/// readable counterexample.
module Toolkit.Tasks.Tests.BrokenGeneratorTests

open System
open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

/// repeated-copy with a bug: for periods of 9 or more the mask is shifted one position right
/// (covers the token after the copies, misses the first predictable one).
type BrokenRepeatedCopy(inner: ITask) =
    interface ITask with
        member _.Name = inner.Name
        member _.Parameters = inner.Parameters
        member _.Vocabulary = inner.Vocabulary
        member _.Context = inner.Context
        member _.Instances = inner.Instances
        member _.Shrink i = inner.Shrink i
        member _.Probes = []
        member _.SeenPeriods = inner.SeenPeriods
        member _.PredictiveOffsets = inner.PredictiveOffsets

        member _.Build i =
            let ex = inner.Build i

            if i.Shape.["period"] >= 9 then
                let shifted = Array.init ex.LossMask.Length (fun k -> k > 0 && ex.LossMask.[k - 1])
                { ex with LossMask = shifted }
            else
                ex

[<Test>]
let ``an off-by-one mask is caught and shrunk to the smallest failing shape`` () =
    let good = create "repeated-copy" [ "period", "6..29"; "context", "64" ]
    let broken = BrokenRepeatedCopy(good) :> ITask
    // FsCheck reports the final shrunk value in its message; we also keep the last failing
    // instance seen, which is that value (shrinking continues only from failing candidates).
    let mutable lastFailing = None

    let prop =
        Prop.forAll (arb broken) (fun inst ->
            try
                CopyTaskTests.repeatedOracle broken (broken.Build inst)
                true
            with _ ->
                lastFailing <- Some inst
                false)

    let e = Assert.Catch(Action(fun () -> Check.One(config 200, prop)))
    contains "Falsifiable" e.Message
    let shrunk = lastFailing.Value
    // Smallest failing period is 9; start shrinks to the first allowed offset, 0.
    Assert.That(shrunk.Shape.["period"], Is.EqualTo 9, e.Message)
    Assert.That(shrunk.Shape.["start"], Is.EqualTo 0, e.Message)
    // The counterexample is readable: the oracle names the wrong positions.
    let msg =
        try
            CopyTaskTests.repeatedOracle broken (broken.Build shrunk)
            ""
        with ex ->
            ex.Message

    contains "differs from the rule's positions" msg
    TestContext.Out.WriteLine("shrunk counterexample:\n" + msg)
    // The correct generator passes the same property.
    Check.One(
        config 200,
        Prop.forAll (arb good) (fun inst ->
            CopyTaskTests.repeatedOracle good (good.Build inst)
            true)
    )
