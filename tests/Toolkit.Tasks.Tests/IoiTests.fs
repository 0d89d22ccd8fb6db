/// Oracle properties of the ioi task.
module Toolkit.Tasks.Tests.IoiTests

open System
open NUnit.Framework
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

let names = set IoiVocabulary.names

let ioiOracle (task: ITask) (ex: Example) =
    let word = TaskRender.tokenText task
    let words = ex.Tokens |> Array.map word
    let bos = Array.findIndex ((=) "BOS") words
    let eos = Array.findIndex ((=) "EOS") words
    let answerPos = eos - 1
    let endPos = answerPos - 1

    if words.[endPos] <> "to" then
        failWith task ex $"the token before the answer is '{words.[endPos]}', not 'to'"
    // The rule: of the names before the answer, the one mentioned once is the indirect object.
    let sentence = words.[bos + 1 .. endPos]
    let counts = sentence |> Array.filter names.Contains |> Array.countBy id
    let once = counts |> Array.filter (fun (_, c) -> c = 1) |> Array.map fst
    let twice = counts |> Array.filter (fun (_, c) -> c = 2) |> Array.map fst

    if once.Length <> 1 || twice.Length <> 1 || counts.Length <> 2 then
        failWith task ex $"names {counts}: not one IO and one repeated subject"

    if words.[answerPos] <> once.[0] then
        failWith task ex $"answer '{words.[answerPos]}' is not the IO '{once.[0]}'"

    let masked = [
        for i in 0 .. ex.Tokens.Length - 1 do
            if ex.LossMask.[i] then
                i
    ]

    if masked <> [ answerPos ] then
        failWith task ex $"mask {masked} is not the answer {answerPos}"

    let m = ex.Meta

    if
        words.[m.["io"]] <> once.[0]
        || words.[m.["s1"]] <> twice.[0]
        || words.[m.["s2"]] <> twice.[0]
        || m.["end"] <> endPos
        || m.["answer"] <> answerPos
        || not (m.["s1"] < m.["s2"])
    then
        failWith task ex "metadata positions disagree with the tokens"
    // ABBA: IO first; BABA: subject first.
    if (m.["order"] = 0) <> (m.["io"] < m.["s1"]) then
        failWith task ex "order metadata disagrees"

[<TestCase("")>]
[<TestCase("order=abba,templates=1,names=4")>]
[<TestCase("start=0..4,context=30")>]
let ``ioi: answer is the name mentioned once`` (ps: string) =
    let ps =
        if ps = "" then
            []
        else
            [ for kv in ps.Split ',' -> let a = kv.Split '=' in a.[0], a.[1] ]

    let task = create "ioi" ps
    property 150 task ioiOracle
    probesKeepModelShape task ioiOracle
    deterministic task

[<Test>]
let ``ioi probes: unseen names, other order, shifted start, unseen templates`` () =
    let task =
        create "ioi" [
            "names", "10"
            "order", "abba"
            "templates", "2"
            "start", "0..1"
            "context", "24"
        ]

    let used (t: ITask) =
        Sampling.examples t 4UL 200
        |> Array.collect (fun e -> e.Tokens)
        |> Array.map (TaskRender.tokenText t)
        |> Array.filter names.Contains
        |> set

    let trainNames = used task
    Assert.That(trainNames |> Set.forall (fun n -> Array.IndexOf(IoiVocabulary.names, n) < 10))
    let unseen = probe task "unseen-names"
    Assert.That(unseen.Kind, Is.EqualTo Outside)
    Assert.That(Set.intersect (used unseen.Task) trainNames, Is.Empty)
    Assert.That(shapes (probe task "other-order").Task "order" |> Array.forall ((=) 1))
    Assert.That((probe task "shifted-start").Kind, Is.EqualTo Inside)

    Assert.That(
        shapes (probe task "shifted-start").Task "start"
        |> Array.forall (fun s -> s > 1)
    )

    Assert.That(
        shapes (probe task "unseen-templates").Task "template"
        |> Array.forall (fun t -> t >= 2)
    )

    Assert.That(shapes task "template" |> Array.forall (fun t -> t < 2))

/// The unordered pairs of name indices in a task's examples.
let private pairsOf (t: ITask) =
    Sampling.examples t 5UL 400
    |> Array.map (fun e -> let a, b = e.Meta.["ioname"], e.Meta.["sname"] in min a b, max a b)
    |> set

[<Test>]
let ``ioi held-out-pairs: new combinations of trained names, never a trained pair`` () =
    let task = create "ioi" [ "names", "16" ]
    let trained = pairsOf task
    let probeTask = (probe task "held-out-pairs").Task
    let held = pairsOf probeTask
    Assert.That((probe task "held-out-pairs").Kind, Is.EqualTo Inside)
    Assert.That(held, Is.Not.Empty)
    Assert.That(Set.intersect trained held, Is.Empty, "a held-out pair was trained")
    Assert.That(held |> Set.forall (fun (i, j) -> IoiVocabulary.heldOutPair i j))
    // Every name of the probe is a trained name: the probe asks for combinations, not new tokens.
    let trainedNames = trained |> Seq.collect (fun (i, j) -> [ i; j ]) |> set
    let probeNames = held |> Seq.collect (fun (i, j) -> [ i; j ]) |> set
    Assert.That(Set.isSubset probeNames trainedNames, Is.True)
    Assert.That(trainedNames.Count, Is.EqualTo 16)
    // pairs=all trains every pair and has no such probe.
    let all = create "ioi" [ "names", "16"; "pairs", "all" ]
    Assert.That(all.Probes |> List.exists (fun p -> p.Name = "held-out-pairs"), Is.False)
    Assert.That(pairsOf all |> Set.exists (fun (i, j) -> IoiVocabulary.heldOutPair i j), Is.True)
