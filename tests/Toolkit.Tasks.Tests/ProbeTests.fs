/// Probes differ from training in exactly the declared way: held-out values inside a trained
/// range (inside), placements training already varied (inside), extrapolations (outside).
module Toolkit.Tasks.Tests.ProbeTests

open NUnit.Framework
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport
open FsCheck
open FsCheck.FSharp

let heldOutCases =
    [
        "repeated-copy", [ "period", "6..16"; "holdout", "10,11" ], "held-out-periods", "period", [ 10; 11 ], CopyTaskTests.repeatedOracle
        "shifted-copy", [ "gap", "0..8"; "holdout", "3,5" ], "held-out-gaps", "gap", [ 3; 5 ], CopyTaskTests.shiftedOracle
        "pattern-in-noise", [ "motif", "3..8"; "holdout", "5" ], "held-out-motifs", "motif", [ 5 ], CopyTaskTests.patternOracle
        "set-extraction", [ "holdout", "12,13" ], "held-out-lengths", "length", [ 12; 13 ], SetTaskTests.setOracle
        "unique-token", [ "holdout", "9,10" ], "held-out-lengths", "length", [ 9; 10 ], SetTaskTests.uniqueOracle
        "arithmetic", [ "digits", "1..3"; "holdout", "2" ], "held-out-digits", "digits", [ 2 ], ArithmeticTests.arithmeticOracle
    ]
    |> List.map (fun (name, ps, probeName, key, held, oracle) ->
        TestCaseData(name, ps, probeName, key, held, oracle).SetName($"held-out probe of {name}"))

[<TestCaseSource(nameof heldOutCases)>]
let ``a held-out probe draws only the held-out values, training never does``
    (name: string, ps: (string * string) list, probeName: string, key: string, held: int list, oracle: ITask -> Example -> unit)
    =
    let task = create name ps
    let p = probe task probeName
    Assert.That(p.Kind, Is.EqualTo Inside)
    Assert.That(shapes task key |> Array.exists (fun v -> List.contains v held), Is.False, "training draws a held-out value")
    Assert.That(shapes p.Task key |> Array.forall (fun v -> List.contains v held), "the probe draws only held-out values")
    // Everything else unchanged: same parameters but the holdout.
    let differing = [
        for kv in task.Parameters do
            if p.Task.Parameters.[kv.Key] <> kv.Value then
                kv.Key
    ]

    Assert.That((differing = [ "holdout" ]), $"parameters differ: {differing}")
    property 50 task oracle
    probesKeepModelShape task oracle

[<Test>]
let ``pattern-in-noise holds out a motif length by default, more occurrences and longer motifs are outside`` () =
    let task = create "pattern-in-noise" [ "motif", "3..6"; "occurrences", "2..3" ]

    let inside =
        task.Probes
        |> List.filter (fun p -> p.Kind = Inside)
        |> List.map (fun p -> p.Name)

    Assert.That(
        (inside = [ "held-out-motifs" ]),
        $"inside probes {inside}: training places occurrences anywhere they fit, so only a held-out motif length is unseen"
    )

    Assert.That(shapes (probe task "held-out-motifs").Task "motif" |> Array.forall ((=) 4))
    Assert.That((probe task "more-occurrences").Kind, Is.EqualTo Outside)

    Assert.That(
        shapes (probe task "more-occurrences").Task "occurrences"
        |> Array.forall (fun c -> c > 3)
    )

    Assert.That(
        shapes (probe task "longer-motifs").Task "motif"
        |> Array.forall (fun m -> m > 6)
    )

[<Test>]
let ``set-extraction, unique-token and arithmetic extrapolation probes are outside`` () =
    let set = create "set-extraction" []
    Assert.That((probe set "more-distinct").Kind, Is.EqualTo Outside)

    Assert.That(
        shapes (probe set "more-distinct").Task "distinct"
        |> Array.forall (fun d -> d > 10)
    )

    let uniq = create "unique-token" []

    Assert.That(
        shapes (probe uniq "longer-inputs").Task "length"
        |> Array.forall (fun n -> n > 21)
    )

    let arith = create "arithmetic" []
    Assert.That(shapes (probe arith "more-digits").Task "digits" |> Array.forall ((=) 4))
    Assert.That(shapes (probe arith "more-terms").Task "terms" |> Array.forall ((=) 3))
    let tokens = create "unique-token" [ "tokens", "3..40" ]

    Assert.That(
        contentTokens (probe tokens "unseen-tokens").Task
        |> Array.forall (fun t -> t > 40)
    )

[<Test>]
let ``every probe of every default task is valid and the baseline scores it`` () =
    for f in Catalog.All do
        let task = Catalog.Create(f.Name, pars [])
        let rows = PositionBaselines.measure task 1UL 100 50
        Assert.That(rows.Length, Is.EqualTo(task.Probes.Length + 1))

        for r in rows do
            Assert.That(r.Baseline >= 0.0 && r.Baseline <= 1.0, $"{f.Name}/{r.Name}: baseline {r.Baseline}")

[<Test>]
let ``every family of the catalog has an inside probe at its defaults, so "generalizes" is reachable`` () =
    for f in Catalog.All do
        let task = Catalog.Create(f.Name, pars [])

        let inside =
            task.Probes
            |> List.filter (fun p -> p.Kind = Inside)
            |> List.map (fun p -> p.Name)

        Assert.That(inside, Is.Not.Empty, $"{f.Name} has no inside probe at its defaults: its verdict could only be 'undetermined'")

[<Test>]
let ``holdout auto holds out one value strictly inside any range of three or more, and nothing otherwise`` () =
    let prop (a: int) (width: int) =
        let lo = abs (a % 50) + 1
        let hi = lo + abs (width % 12)
        let held = TaskSupport.holdoutOf { Lo = lo; Hi = hi } "auto"

        if hi - lo + 1 >= 3 then
            held.Length = 1 && held.Head > lo && held.Head < hi
        else
            held.IsEmpty

    Check.One(config 300, Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (0, 1000)) (Gen.choose (0, 1000)))) (fun (a, w) -> prop a w))

[<Test>]
let ``a fixed period's moved repeat is declared what it is: a new period, outside`` () =
    for period in [ "32"; "20"; "12" ] do
        let task = create "repeated-copy" [ "period", period ]
        let moved = probe task "moved-repeat"
        Assert.That(moved.Kind, Is.EqualTo Outside, $"period {period}")
        Assert.That(shapes moved.Task "period" |> Array.forall (fun p -> p <> int period), "the probe's period is new")
