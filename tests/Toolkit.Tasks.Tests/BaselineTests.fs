/// The position-only baseline: it must reproduce the memorization trap (perfect on a fixed
/// period, useless once the period changes) and stay low where positions carry no information.
module Toolkit.Tasks.Tests.BaselineTests

open NUnit.Framework
open System
open FsCheck
open FsCheck.FSharp
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

[<Test>]
let ``fixed period: the baseline is perfect in distribution and at shifted starts, fails on other periods`` () =
    let task = create "repeated-copy" [ "period", "20"; "start", "0..4" ]

    let rows =
        PositionBaselines.measure task 1UL 300 200
        |> List.map (fun r -> r.Name, r)
        |> Map

    Assert.That(rows.["train"].Baseline, Is.GreaterThan 0.99)
    Assert.That(rows.["shifted-start"].Baseline, Is.GreaterThan 0.99, "a fixed offset does not care where the block starts")
    Assert.That(rows.["longer-periods"].Baseline, Is.LessThan 0.2)
    Assert.That(rows.["train"].Chance, Is.EqualTo(1.0 / 63.0).Within 1e-12)

[<Test>]
let ``variable periods and motifs in noise defeat the baseline`` () =
    let rc = create "repeated-copy" [ "period", "6..29" ]
    let b = PositionBaseline.Fit(Sampling.examples rc 1UL 500)
    Assert.That(b.Score(Sampling.examples rc 2UL 300), Is.LessThan 0.35)
    let pin = create "pattern-in-noise" []
    let b = PositionBaseline.Fit(Sampling.examples pin 1UL 500)
    Assert.That(b.Score(Sampling.examples pin 2UL 300), Is.LessThan 0.35)

[<Test>]
let ``the fitted offset of each position is the best one on the training data`` () =
    // Hand-made examples: at position 3 the token two back is right twice, the one three back once.
    let ex tokens mask = {
        Tokens = tokens
        LossMask = mask
        Meta = Map.empty
    }

    let m = [| false; false; false; true |]
    let train = [| ex [| 5; 6; 5; 6 |] m; ex [| 7; 8; 7; 8 |] m; ex [| 9; 1; 2; 9 |] m |]
    let b = PositionBaseline.Fit train
    Assert.That(b.Offsets.[3], Is.EqualTo 2)
    Assert.That(b.Score train, Is.EqualTo(2.0 / 3.0).Within 1e-12)
    Assert.That(b.Predict([| 1; 2; 3; 4 |], 3), Is.EqualTo 2)
    Assert.That(PositionBaseline.Majority [| ex [| 1; 2; 2; 3 |] [| false; true; true; true |] |], Is.EqualTo(2.0 / 3.0).Within 1e-12)

[<Test>]
let ``a probe reports the share of its predictable positions that training never predicted`` () =
    let share (task: ITask) probeName =
        let baseline = PositionBaseline.Fit(Sampling.examples task 1UL 1000)
        baseline.UntrainedShare(Sampling.examples (probe task probeName).Task 2UL 300)

    let variable = create "repeated-copy" [ "period", "6..29" ]

    Assert.That(
        share variable "held-out-periods",
        Is.EqualTo 0.0,
        "the other periods from any start train every position a held-out period uses"
    )

    let fixedTask = create "repeated-copy" [ "period", "32" ]

    Assert.That(
        share fixedTask "moved-repeat",
        Is.GreaterThan 0.1,
        "a period-20 copy from start s predicts positions s+22.., below the 34 a period of 32 from 0 starts at, for small s"
    )

    let own = PositionBaseline.Fit(Sampling.examples fixedTask 1UL 1000)
    Assert.That(own.UntrainedShare(Sampling.examples fixedTask 2UL 300), Is.EqualTo 0.0, "the training distribution itself")

[<Test>]
let ``with R repeats of a fixed period, a position's shortcut offsets are every earlier copy's, the nearest first`` () =
    // Each earlier copy's offset is right every time in training, so each is as predictive as the best.
    let prop period repeats =
        let task =
            create "repeated-copy" [ "period", string period; "repeats", string repeats; "start", "0" ]

        let b = PositionBaseline.Fit(Sampling.examples task 1UL 300)

        let wrong = [
            for i in period + 1 .. period * repeats - 1 do
                let expected = [| for j in 1 .. i / period -> j * period |]

                if b.OffsetSetAt i <> expected then
                    yield $"position %d{i}: %A{b.OffsetSetAt i}"
        ]

        if not wrong.IsEmpty then
            failwith $"""period {period} × {repeats}: {String.concat "; " wrong}"""

        Assert.That(b.Offsets.[period * repeats - 1], Is.EqualTo period, "the accuracy column keeps the single best: the nearest copy")
        Assert.That((b.OffsetSetAt 0 = [| period |]), "untrained positions use the best offset over all positions")

    let cases =
        Gen.zip (Gen.choose (3, 21)) (Gen.choose (2, 6))
        |> Gen.filter (fun (p, r) -> p * r <= 64)

    Check.One(config 40, Prop.forAll (Arb.fromGen cases) (fun (p, r) -> prop p r))

[<Test>]
let ``where the best offset is weak, the shortcut keeps only the offsets nearly as good, so the set stays small`` () =
    // Variable periods and motifs in noise: many offsets are right now and then, none often.
    for name, pairs in
        [
            "repeated-copy", [ "period", "6..29" ]
            "repeated-copy", [ "period", "6..20"; "repeats", "3" ]
            "pattern-in-noise", []
        ] do
        let task = create name pairs
        let b = PositionBaseline.Fit(Sampling.examples task 1UL 2000)

        let trained = [|
            for i in 1 .. task.Context - 1 do
                if b.WasTrained i then
                    yield (b.OffsetSetAt i).Length
        |]

        let mean = Array.averageBy float trained
        TestContext.Out.WriteLine $"%s{name} %A{pairs}: mean set size %.2f{mean}, largest %d{Array.max trained}"
        Assert.That(mean, Is.LessThan 3.0, $"{name}: a large set would let a random prediction match the shortcut often")
