/// Oracle properties of the copy families: repeated-copy, shifted-copy, pattern-in-noise.
module Toolkit.Tasks.Tests.CopyTaskTests

open NUnit.Framework
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

/// Positions whose target follows from the context by the copy rule inside a repeated region
/// [lo, hi): the previous token lies in the region and occurred earlier in the region; the
/// target is what followed that earlier occurrence. Derived by search, not from the generator.
let copyRule (tokens: int[]) (lo: int) (hi: int) = [
    for i in lo + 1 .. hi - 1 do
        let prev = tokens.[i - 1]

        let earlier = [
            for j in lo .. i - 2 do
                if tokens.[j] = prev then
                    j
        ]

        if not earlier.IsEmpty then
            i, tokens.[List.last earlier + 1]
]

/// Checks the mask marks exactly `expected` positions, each with the rule's target, and (without
/// collisions) that the rule is unambiguous over the whole prefix.
let checkMask (task: ITask) (ex: Example) (expected: (int * int) list) (unambiguous: bool) =
    let masked = [
        for i in 0 .. ex.Tokens.Length - 1 do
            if ex.LossMask.[i] then
                i
    ]

    if masked <> List.map fst expected then
        failWith task ex $"mask {masked} differs from the rule's positions {List.map fst expected}"

    for i, target in expected do
        if ex.Tokens.[i] <> target then
            failWith task ex $"position {i} holds {ex.Tokens.[i]}, the rule says {target}"

        if unambiguous && inductionTarget ex.Tokens i <> Some target then
            failWith task ex $"position {i} is ambiguous: earlier occurrences of {ex.Tokens.[i - 1]} disagree"

let repeatedOracle (task: ITask) (ex: Example) =
    let p = task.Parameters

    let period, start, repeats =
        ex.Meta.["period"], ex.Meta.["start"], ex.Meta.["repeats"]

    let stop = start + period * repeats
    let collisions = p.["collisions"] = "true"
    // The region is periodic.
    for i in start + period .. stop - 1 do
        if ex.Tokens.[i] <> ex.Tokens.[i - period] then
            failWith task ex $"position {i} breaks the period {period}"

    if not collisions then
        let block = ex.Tokens.[start .. start + period - 1]

        if Array.distinct block <> block then
            failWith task ex "block tokens are not distinct"

        if p.["filler"] = "random" then
            for i in 0 .. ex.Tokens.Length - 1 do
                if (i < start || i >= stop) && Array.contains ex.Tokens.[i] block then
                    failWith task ex $"filler at {i} uses a block token"

    if p.["filler"] = "pad" then
        for i in 0 .. ex.Tokens.Length - 1 do
            if (i < start || i >= stop) && ex.Tokens.[i] <> 0 then
                failWith task ex $"filler at {i} is not PAD"
    // With collisions the search rule is ambiguous by design; the rule is then the period itself:
    // a later-copy position whose previous token is also in a later copy repeats the token P back.
    let rule =
        if collisions then
            [ for i in start + period + 1 .. stop - 1 -> i, ex.Tokens.[i - period] ]
        else
            copyRule ex.Tokens start stop

    let expected =
        match p.["maskcopy"] with
        | "all" -> rule
        | k ->
            let k = int k in

            rule
            |> List.filter (fun (i, _) -> i >= start + (k - 1) * period && i < start + k * period)

    checkMask task ex expected (not collisions)

let repeatedVariants = [
    "default", []
    "fixed period", [ "period", "20" ]
    "pad filler", [ "filler", "pad"; "period", "3..12" ]
    "collisions", [ "collisions", "true"; "vocab", "8" ]
    "three repeats, predict the third", [ "repeats", "3"; "maskcopy", "3"; "period", "4..16" ]
    "predict again after three", [ "repeats", "4"; "maskcopy", "4"; "period", "4..12" ]
    "held out, sub-range tokens", [ "holdout", "10,11"; "tokens", "1..40"; "start", "0..5" ]
]

let repeatedVariantsCases =
    repeatedVariants |> List.map (fun (n, ps) -> TestCaseData(n, ps))

[<TestCaseSource(nameof repeatedVariantsCases)>]
let ``repeated-copy: mask is exactly the copy rule`` (_: string, ps: (string * string) list) =
    let task = create "repeated-copy" ps
    property 150 task repeatedOracle
    probesKeepModelShape task repeatedOracle
    deterministic task

[<Test>]
let ``repeated-copy probes differ in exactly the declared way`` () =
    let task =
        create "repeated-copy" [ "period", "8..16"; "holdout", "12"; "tokens", "1..40"; "start", "0..4" ]

    let kinds = task.Probes |> List.map (fun p -> p.Name, p.Kind) |> Map

    let expected =
        Map [
            "shifted-start", Inside
            "held-out-periods", Inside
            "longer-periods", Outside
            "shorter-periods", Outside
            "unseen-tokens", Outside
        ]

    Assert.That((kinds = expected), $"{kinds}")
    Assert.That(shapes task "period" |> Array.contains 12, Is.False, "training never draws the held-out period")
    Assert.That(shapes (probe task "held-out-periods").Task "period" |> Array.forall ((=) 12))

    Assert.That(
        shapes (probe task "shifted-start").Task "start"
        |> Array.forall (fun s -> s > 4)
    )

    Assert.That(
        shapes (probe task "shifted-start").Task "period"
        |> Array.forall (fun p -> p >= 8 && p <= 16 && p <> 12)
    )

    Assert.That(
        shapes (probe task "longer-periods").Task "period"
        |> Array.forall (fun p -> p > 16)
    )

    Assert.That(
        shapes (probe task "shorter-periods").Task "period"
        |> Array.forall (fun p -> p < 8 && p >= 2)
    )

    Assert.That(contentTokens task |> Array.forall (fun t -> t <= 40))

    Assert.That(
        contentTokens (probe task "unseen-tokens").Task
        |> Array.forall (fun t -> t > 40)
    )
    // Fixed period: a start shift is inside; other periods are outside.
    let fixedTask = create "repeated-copy" [ "period", "20"; "start", "0..3" ]
    Assert.That((probe fixedTask "shifted-start").Kind, Is.EqualTo Inside)
    Assert.That(shapes (probe fixedTask "shifted-start").Task "period" |> Array.forall ((=) 20))
    Assert.That((probe fixedTask "longer-periods").Kind, Is.EqualTo Outside)

[<Test>]
let ``repeated-copy rejects bad parameters with a hint`` () =
    for ps, needle in
        [
            [ "period", "40" ], "does not fit"
            [ "period", "1..5" ], "below 2"
            [ "repeats", "1" ], "nothing repeats"
            [ "vocab", "10"; "period", "12" ], "distinct"
            [ "holdout", "3"; "period", "6..9" ], "not in the period range"
            [ "maskcopy", "5" ], "maskcopy"
            [ "tokens", "0..10" ], "tokens"
            [ "period", "abc" ], "not a number"
        ] do
        let e =
            throws<TaskParameterException>(fun () -> create "repeated-copy" ps |> ignore)

        contains needle e.Message
        Assert.That(e.Hint, Is.Not.Empty)

let shiftedOracle (task: ITask) (ex: Example) =
    let len, gap, start = ex.Meta.["length"], ex.Meta.["gap"], ex.Meta.["start"]
    let copy = start + len + gap

    if ex.Tokens.[start .. start + len - 1] <> ex.Tokens.[copy .. copy + len - 1] then
        failWith task ex "the copy differs from the block"
    // Rule: a copy position is predictable when its previous token is in the copy and occurred in the block.
    let blockAt t =
        [ start .. start + len - 1 ] |> List.tryFindBack (fun j -> ex.Tokens.[j] = t)

    let expected = [
        for i in copy + 1 .. copy + len - 1 do
            match blockAt ex.Tokens.[i - 1] with
            | Some j when j + 1 < start + len -> i, ex.Tokens.[j + 1]
            | _ -> ()
    ]

    checkMask task ex expected (task.Parameters.["collisions"] = "false")

let shiftedVariants = [
    "default", []
    "pad gap", [ "filler", "pad" ]
    "long gaps", [ "gap", "10..30"; "length", "3..8" ]
]

let shiftedVariantsCases =
    shiftedVariants |> List.map (fun (n, ps) -> TestCaseData(n, ps))

[<TestCaseSource(nameof shiftedVariantsCases)>]
let ``shifted-copy: mask is exactly the copy rule`` (_: string, ps: (string * string) list) =
    let task = create "shifted-copy" ps
    property 150 task shiftedOracle
    probesKeepModelShape task shiftedOracle
    deterministic task

[<Test>]
let ``shifted-copy probes`` () =
    let task = create "shifted-copy" [ "gap", "0..10" ]

    let inside =
        task.Probes
        |> List.filter (fun p -> p.Kind = Inside)
        |> List.map (fun p -> p.Name)

    Assert.That(
        (inside = [ "held-out-gaps" ]),
        $"inside probes {inside}: the held-out gap (auto: the middle one) is the only one, training draws every start that fits"
    )

    Assert.That(shapes (probe task "held-out-gaps").Task "gap" |> Array.forall ((=) 5))
    Assert.That((probe task "longer-gaps").Kind, Is.EqualTo Outside)
    Assert.That(shapes (probe task "longer-gaps").Task "gap" |> Array.forall (fun g -> g > 10))

let patternOracle (task: ITask) (ex: Example) =
    let m, c = ex.Meta.["motif"], ex.Meta.["occurrences"]
    let ats = [ for k in 0 .. c - 1 -> ex.Meta.[$"at{k}"] ]
    let motif = ex.Tokens.[ats.Head .. ats.Head + m - 1]

    for a in ats do
        if ex.Tokens.[a .. a + m - 1] <> motif then
            failWith task ex $"occurrence at {a} differs from the motif"

    if ats |> List.pairwise |> List.exists (fun (a, b) -> b < a + m) then
        failWith task ex "occurrences overlap"
    // Without collisions the occurrences are found from the tokens alone: where the motif's first token is.
    if task.Parameters.["collisions"] = "false" then
        let found = [
            for i in 0 .. ex.Tokens.Length - 1 do
                if ex.Tokens.[i] = motif.[0] then
                    i
        ]

        if found <> ats then
            failWith task ex $"the motif's first token occurs at {found}, metadata says {ats}"

    let expected = [
        for a in List.tail ats do
            for i in a + 1 .. a + m - 1 -> i, motif.[i - a]
    ]

    checkMask task ex expected (task.Parameters.["collisions"] = "false")

let patternVariants = [
    "default", []
    "long motifs", [ "motif", "6..12"; "occurrences", "2" ]
    "tokens", [ "tokens", "1..30" ]
]

let patternVariantsCases =
    patternVariants |> List.map (fun (n, ps) -> TestCaseData(n, ps))

[<TestCaseSource(nameof patternVariantsCases)>]
let ``pattern-in-noise: mask is the later occurrences after their first token`` (_: string, ps: (string * string) list) =
    let task = create "pattern-in-noise" ps
    property 150 task patternOracle
    probesKeepModelShape task patternOracle
    deterministic task
