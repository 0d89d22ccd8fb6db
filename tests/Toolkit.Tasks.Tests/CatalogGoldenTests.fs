/// Pins what every catalog family generates, bit for bit: the examples of the task and of each of its probes,
/// the probes' names, kinds and descriptions, the canonical parameters, the shapes it shrinks to and draws, and
/// the errors bad parameters raise. The demo's and the scripts' numbers depend on these generators, so a change
/// to how a family is written must leave every line below as it is.
module Toolkit.Tasks.Tests.CatalogGoldenTests

open System
open System.Security.Cryptography
open System.Text
open NUnit.Framework
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

/// Every family at its defaults and at parameters that reach its other probes and branches.
let cases: (string * (string * string) list) list = [
    "repeated-copy", []
    "repeated-copy", [ "period", "32" ]
    "repeated-copy", [ "period", "8..20"; "start", "0..10"; "tokens", "1..47"; "holdout", "11,14" ]
    "repeated-copy",
    [
        "period", "4..9"
        "repeats", "3"
        "maskcopy", "3"
        "filler", "pad"
        "collisions", "true"
        "holdout", "none"
    ]
    "shifted-copy", []
    "shifted-copy", [ "tokens", "1..40"; "holdout", "3,9"; "filler", "pad" ]
    "shifted-copy",
    [
        "context", "32"
        "vocab", "20"
        "length", "2..6"
        "gap", "1..5"
        "collisions", "true"
    ]
    "pattern-in-noise", []
    "pattern-in-noise",
    [
        "tokens", "1..40"
        "motif", "2..5"
        "occurrences", "2..3"
        "holdout", "none"
        "collisions", "true"
    ]
    "pattern-in-noise", [ "context", "48"; "vocab", "32"; "holdout", "4" ]
    "set-extraction", []
    "set-extraction", [ "tokens", "3..40"; "distinct", "2..5"; "length", "6..12" ]
    "set-extraction", [ "context", "40"; "vocab", "30"; "holdout", "none" ]
    "copy", []
    "copy", [ "tokens", "3..40"; "length", "2..10"; "holdout", "5,7" ]
    "copy", [ "context", "32"; "vocab", "20"; "length", "2..12"; "holdout", "none" ]
    "unique-token", []
    "unique-token", [ "tokens", "3..40"; "length", "3..9" ]
    "unique-token", [ "context", "40"; "vocab", "16"; "holdout", "none" ]
    "ioi", []
    "ioi", [ "names", "10"; "order", "abba"; "templates", "2"; "start", "0..3" ]
    "ioi", [ "context", "30"; "order", "baba"; "templates", "4" ]
    "ioi", [ "names", "24"; "pairs", "all" ]
    "arithmetic", []
    "arithmetic", [ "digits", "2..4"; "terms", "2..3"; "reverse", "true" ]
    "arithmetic", [ "digits", "1"; "holdout", "none"; "context", "32" ]
    "modular-addition", []
    "modular-addition", [ "p", "7"; "fraction", "0.5"; "split", "3" ]
    "modular-addition", [ "p", "11"; "pairs", "test" ]
    "relational", []
    "relational",
    [
        "relations", "2"
        "entities", "10"
        "length", "3..9"
        "holdout", "5,6"
        "table", "4"
        "context", "12"
    ]
    "relational", [ "length", "2..14"; "holdout", "none" ]
    // Shifts past a trained range that are one value wide (their descriptions still read "lo..hi").
    "repeated-copy", [ "context", "60" ]
    "shifted-copy", [ "context", "8"; "length", "2"; "gap", "0..3"; "holdout", "none" ]
    "pattern-in-noise", [ "context", "12"; "motif", "3..4"; "occurrences", "2..3"; "holdout", "none" ]
    "set-extraction", [ "length", "8..9"; "distinct", "2..8" ]
    "copy", [ "context", "10"; "length", "2..3" ]
    "unique-token", [ "context", "11"; "length", "3..7" ]
    "text", []
    "text", [ "context", "32"; "heldout", "20" ]
    "text", [ "tokenizer", "bpe"; "context", "24" ]
]

/// Bad parameters, one or more per family: each error's message and hint are pinned.
let errorCases: (string * (string * string) list) list = [
    "repeated-copy", [ "colour", "red" ]
    "repeated-copy", [ "context", "sixty" ]
    "repeated-copy", [ "period", "9..3" ]
    "repeated-copy", [ "period", "40" ]
    "repeated-copy", [ "tokens", "0..10" ]
    "repeated-copy", [ "tokens", "a..b" ]
    "repeated-copy", [ "holdout", "40" ]
    "repeated-copy", [ "holdout", "x,y" ]
    "repeated-copy", [ "filler", "dots" ]
    "repeated-copy", [ "collisions", "maybe" ]
    "repeated-copy", [ "maskcopy", "5" ]
    "shifted-copy", [ "gap", "60" ]
    "shifted-copy", [ "tokens", "1..64" ]
    "shifted-copy", [ "holdout", "20" ]
    "shifted-copy", [ "vocab", "big" ]
    "pattern-in-noise", [ "occurrences", "1" ]
    "pattern-in-noise", [ "tokens", "1..5" ]
    "pattern-in-noise", [ "holdout", "3,4,5,6,7,8" ]
    "set-extraction", [ "distinct", "9..12"; "length", "4..8" ]
    "set-extraction", [ "tokens", "2..40" ]
    "set-extraction", [ "context", "x"; "vocab", "y" ]
    "copy", [ "length", "0..4" ]
    "copy", [ "context", "16" ]
    "copy", [ "tokens", "3..64" ]
    "copy", [ "holdout", "30" ]
    "unique-token", [ "length", "2" ]
    "unique-token", [ "vocab", "6" ]
    "unique-token", [ "tokens", "all..3" ]
    "ioi", [ "context", "8" ]
    "ioi", [ "names", "1" ]
    "ioi", [ "order", "abab" ]
    "ioi", [ "pairs", "some" ]
    "ioi", [ "vocab", "64" ]
    "arithmetic", [ "digits", "10" ]
    "arithmetic", [ "terms", "1" ]
    "arithmetic", [ "holdout", "7" ]
    "arithmetic", [ "tokens", "all" ]
    "modular-addition", [ "p", "9" ]
    "modular-addition", [ "fraction", "1" ]
    "modular-addition", [ "p", "3"; "fraction", "0.99" ]
    "relational", [ "relations", "17" ]
    "relational", [ "entities", "6" ]
    "relational", [ "length", "3..20" ]
    "relational", [ "table", "x" ]
    "text", [ "tokenizer", "words" ]
    "text", [ "heldout", "90" ]
    "text", [ "context", "1" ]
]

let private hash (text: string) =
    Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes text)).Substring(0, 16).ToLowerInvariant()

let private show (pairs: seq<string * string>) =
    pairs |> Seq.map (fun (k, v) -> $"{k}={v}") |> String.concat " "

let private exampleText (ex: Example) =
    let tokens = ex.Tokens |> Array.map string |> String.concat ","

    let mask =
        ex.LossMask |> Array.map (fun m -> if m then "1" else "0") |> String.concat ""

    $"{tokens}|{mask}|{Render.meta ex}"

/// The examples, the token names in a rendering, and the model shape a task asks for.
let private taskText (task: ITask) =
    let examples = Sampling.examples task 17UL 40
    let sb = StringBuilder()

    sb.AppendLine($"name {task.Name}; parameters {show [ for kv in task.Parameters -> kv.Key, kv.Value ]}")
    |> ignore

    sb.AppendLine($"vocab {task.Vocabulary.Size} {task.Vocabulary.Reserved}; context {task.Context}")
    |> ignore

    let used = TaskTokens.used task |> Array.map string |> String.concat ","

    sb.AppendLine($"seen {task.SeenPeriods}; predictive {task.PredictiveOffsets}; used {used}")
    |> ignore

    for ex in examples do
        sb.AppendLine(exampleText ex) |> ignore

    sb.AppendLine(TaskRender.example task examples.[0]) |> ignore
    sb.ToString()

/// What shrinking and the closed-form support say about a task's own instances.
let private shapeText (task: ITask) =
    let sb = StringBuilder()

    for inst in Sampling.instances task 23UL 12 do
        let shrinks =
            task.Shrink inst
            |> Seq.map (fun i -> show [ for kv in i.Shape -> kv.Key, string kv.Value ])
            |> String.concat "; "

        sb.AppendLine($"{show [ for kv in inst.Shape -> kv.Key, string kv.Value ]} -> {shrinks}")
        |> ignore

    sb.AppendLine($"own draws {ShapeSupport.drawnShare task (Sampling.instances task 29UL 200)}")
    |> ignore

    sb.ToString()

/// One line per pinned part of a case: the factory, the task, its shapes, and each probe.
let caseLines (family: string, parameters: (string * string) list) =
    let label = $"{family} [{show parameters}]"
    let factory = Catalog.Find family

    let specs =
        factory.Parameters |> List.map (fun p -> p.Name, $"{p.Default} ({p.Help})")

    let task = create family parameters

    [
        yield $"{label} factory {hash (factory.Name + factory.Summary + show specs)}"
        yield $"{label} parameters {show [ for kv in task.Parameters -> kv.Key, kv.Value ]}"
        yield $"{label} task {hash (taskText task)}"
        yield $"{label} shapes {hash (shapeText task)}"
        for p in task.Probes do
            let share = ShapeSupport.drawnShare task (Sampling.instances p.Task 31UL 200)
            yield $"{label} probe {p.Name} {p.Kind} '{p.Description}' drawn {share} {hash (taskText p.Task)}"
    ]

let errorLine (family: string, parameters: (string * string) list) =
    let label = $"{family} [{show parameters}]"

    try
        create family parameters |> ignore
        $"{label} error none"
    with :? TaskParameterException as e ->
        $"{label} error {e.Message} | {e.Hint}"

/// The lines as the catalog writes them today, for the comparison and for renewing CatalogGolden.txt on a deliberate change.
let actualLines () =
    [
        for c in cases do
            yield! caseLines c
    ]
    @ [ for c in errorCases -> errorLine c ]

[<Test>]
let ``every family generates, describes and rejects exactly what it did`` () =
    // The pinned lines, one a line, in CatalogGolden.txt beside this file (copied next to the test assembly).
    let goldenPath =
        IO.Path.Combine(TestContext.CurrentContext.TestDirectory, "CatalogGolden.txt")

    let expected =
        IO.File.ReadAllLines goldenPath
        |> Array.map (fun l -> l.TrimEnd '\r')
        |> Array.filter (fun l -> l <> "")
        |> List.ofArray

    let actual = actualLines ()
    let missing = expected |> List.filter (fun l -> not (List.contains l actual))
    let extra = actual |> List.filter (fun l -> not (List.contains l expected))

    if expected <> actual then
        let lines (ls: string list) =
            ls |> List.map (fun l -> "  " + l) |> String.concat "\n"
        // All lines as they are now, to renew CatalogGolden.txt from after a deliberate change.
        let now =
            IO.Path.Combine(TestContext.CurrentContext.WorkDirectory, "CatalogGolden.actual.txt")

        IO.File.WriteAllLines(now, actual)
        Assert.Fail($"the catalog's output changed\npinned, now different:\n{lines missing}\nnow:\n{lines extra}\nall lines now: {now}")
