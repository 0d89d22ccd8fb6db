/// The modular-addition family (grokking): the rule, the fixed split of the pairs and its probe, bad parameters.
module Toolkit.Tasks.Tests.ModularAdditionTests

open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

/// "a b = c" with c = (a + b) mod p, only c predictable.
let modularOracle (task: ITask) (ex: Example) =
    let p = task.Vocabulary.Size - 1
    let t = ex.Tokens

    if
        t.Length <> 4
        || t.[2] <> p
        || t.[0] >= p
        || t.[1] >= p
        || t.[3] <> (t.[0] + t.[1]) % p
    then
        failWith task ex $"not 'a b = (a+b) mod {p}'"

    if ex.LossMask <> [| false; false; false; true |] then
        failWith task ex "the mask is not the answer alone"

[<TestCase("p=7, fraction=0.5")>]
[<TestCase("p=113")>]
[<TestCase("p=11, fraction=0.9, split=5")>]
let ``modular-addition: the answer is a + b mod p, predicted at the last position only`` (ps: string) =
    let parameters =
        ps.Split(", ")
        |> Array.map (fun kv -> let parts = kv.Split('=') in parts.[0], parts.[1])
        |> List.ofArray

    let task = create "modular-addition" parameters
    property 100 task modularOracle
    probesKeepModelShape task modularOracle

/// The pairs a task draws, as (a, b), from its closed-form support.
let private drawnPairs (task: ITask) p =
    let support = task :?> IShapeSupport

    set [
        for a in 0 .. p - 1 do
            for b in 0 .. p - 1 do
                if support.Draws(Map [ "a", a; "b", b ]) then
                    yield a, b
    ]

[<Test>]
let ``the split is fixed by its seed, the sides are disjoint and cover every pair, and full batch lists the training side`` () =
    let gen =
        gen {
            let! p = Gen.elements [ 3; 5; 7; 11; 13; 17 ]
            let! fraction = Gen.elements [ 0.1; 0.3; 0.5; 0.75; 0.9 ]
            let! split = Gen.choose (0, 1000)
            return p, fraction, split
        }

    let prop =
        Prop.forAll (Arb.fromGen gen) (fun (p, fraction, split) ->
            let ps = [ "p", string p; "fraction", string fraction; "split", string split ]

            match
                (try
                    Some(create "modular-addition" ps)
                 with :? TaskParameterException ->
                     None)
            with
            | None -> () // a fraction that leaves a side empty at this p is refused (tested below)
            | Some train ->
                let test = (probe train "held-out-pairs").Task
                let trainPairs, testPairs = drawnPairs train p, drawnPairs test p

                let expected =
                    int (System.Math.Round(fraction * float (p * p), System.MidpointRounding.AwayFromZero))

                Assert.That(trainPairs.Count, Is.EqualTo expected, "round(fraction · p²) training pairs")
                Assert.That(Set.intersect trainPairs testPairs, Is.Empty, "no pair on both sides")
                Assert.That(trainPairs.Count + testPairs.Count, Is.EqualTo(p * p), "every pair on one side")
                // The same seed splits the same way; the training generator and the full batch stay on their side.
                Assert.That((drawnPairs (create "modular-addition" ps) p = trainPairs), "the same seed splits the same way")

                let listed =
                    (train :?> IFiniteSupport).All
                    |> List.map (fun i -> i.Shape.["a"], i.Shape.["b"])

                Assert.That((set listed = trainPairs), "full batch lists exactly the training pairs")
                Assert.That(listed.Length, Is.EqualTo trainPairs.Count, "each once")

                for inst in Sampling.instances train 4UL 100 do
                    Assert.That(trainPairs.Contains(inst.Shape.["a"], inst.Shape.["b"]), "training draws a training pair")

                for inst in Sampling.instances test 5UL 100 do
                    Assert.That(testPairs.Contains(inst.Shape.["a"], inst.Shape.["b"]), "the probe draws a held-out pair"))

    Check.One(config 40, prop)
    // Another split seed splits otherwise.
    let a = drawnPairs (create "modular-addition" [ "p", "11"; "split", "1" ]) 11
    let b = drawnPairs (create "modular-addition" [ "p", "11"; "split", "2" ]) 11
    Assert.That((a <> b), "another split seed splits otherwise")

[<TestCase("p", "8", "p 8 is not a prime in 3..997")>]
[<TestCase("p", "2", "p 2 is not a prime in 3..997")>]
[<TestCase("fraction", "1.5", "fraction 1.5 is outside (0, 1)")>]
[<TestCase("fraction", "0", "fraction 0 is outside (0, 1)")>]
[<TestCase("fraction", "a third", "fraction 'a third' is not a number")>]
[<TestCase("split", "-1", "split '-1' is not a seed")>]
[<TestCase("pairs", "both", "pairs 'both' is not one of: train, test")>]
let ``bad parameters are refused with a one-line error and a hint`` (name: string, value: string, message: string) =
    let e =
        throws<TaskParameterException>(fun () -> create "modular-addition" [ name, value ] |> ignore)

    contains message e.Message
    Assert.That(e.Message, Does.Not.Contain "\n")
    Assert.That(e.Hint, Is.Not.Empty)

[<Test>]
let ``a fraction that leaves no pair on one side is refused`` () =
    let e =
        throws<TaskParameterException>(fun () -> create "modular-addition" [ "p", "3"; "fraction", "0.97" ] |> ignore)

    contains "leaves 9 training and 0 held-out pairs" e.Message
