/// Oracle properties of set-extraction and unique-token.
module Toolkit.Tasks.Tests.SetTaskTests

open NUnit.Framework
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

let sepId, eosId = 1, 2

let setOracle (task: ITask) (ex: Example) =
    let t = ex.Tokens
    let n = Array.findIndex ((=) sepId) t
    let input = t.[0 .. n - 1]

    if input |> Array.exists (fun x -> x < 3) then
        failWith task ex "reserved token in the input"
    // The rule: distinct tokens in order of first appearance, then EOS.
    let expected = Array.append (Array.distinct input) [| eosId |]
    let out = t.[n + 1 .. n + expected.Length]

    if out <> expected then
        failWith task ex $"output {out} differs from the distinct tokens {expected}"

    if t.[n + expected.Length + 1 ..] |> Array.exists ((<>) 0) then
        failWith task ex "not PAD after EOS"

    let masked = [
        for i in 0 .. t.Length - 1 do
            if ex.LossMask.[i] then
                i
    ]

    if masked <> [ n + 1 .. n + expected.Length ] then
        failWith task ex $"mask {masked} is not the output and EOS"

    if ex.Meta.["distinct"] <> expected.Length - 1 || ex.Meta.["length"] <> n then
        failWith task ex "metadata disagrees with the tokens"

[<TestCase("")>]
[<TestCase("length=2..6,distinct=1..2")>]
[<TestCase("length=20..30,distinct=10..20,context=64")>]
let ``set-extraction: output is the distinct tokens in order of first appearance`` (ps: string) =
    let ps =
        if ps = "" then
            []
        else
            [ for kv in ps.Split ',' -> let a = kv.Split '=' in a.[0], a.[1] ]

    let task = create "set-extraction" ps
    property 150 task setOracle
    probesKeepModelShape task setOracle
    deterministic task

[<Test>]
let ``set-extraction inputs have duplicates and probes extend them`` () =
    let task = create "set-extraction" []
    let exs = Sampling.examples task 3UL 200

    Assert.That(
        exs
        |> Array.filter (fun e -> e.Meta.["distinct"] < e.Meta.["length"])
        |> Array.length,
        Is.GreaterThan 150
    )

    Assert.That(
        shapes (probe task "longer-inputs").Task "length"
        |> Array.forall (fun n -> n > 24)
    )

    Assert.That((probe task "longer-inputs").Kind, Is.EqualTo Outside)

let copyOracle (task: ITask) (ex: Example) =
    let t = ex.Tokens
    let n = Array.findIndex ((=) sepId) t
    let input = t.[0 .. n - 1]

    if input |> Array.exists (fun x -> x < 3) then
        failWith task ex "reserved token in the input"
    // The rule: the input again, then EOS, then PAD.
    let expected = Array.append input [| eosId |]
    let out = t.[n + 1 .. n + expected.Length]

    if out <> expected then
        failWith task ex $"output {out} is not the input {input} and EOS"

    if t.[n + expected.Length + 1 ..] |> Array.exists ((<>) 0) then
        failWith task ex "not PAD after EOS"

    let masked = [
        for i in 0 .. t.Length - 1 do
            if ex.LossMask.[i] then
                i
    ]

    if masked <> [ n + 1 .. 2 * n + 1 ] then
        failWith task ex $"mask {masked} is not the copy and EOS"

    if ex.Meta.["length"] <> n || ex.Meta.["sep"] <> n || ex.Meta.["eos"] <> 2 * n + 1 then
        failWith task ex "metadata disagrees with the tokens"

[<TestCase("")>]
[<TestCase("length=1..3,context=8")>]
[<TestCase("length=10..31,context=64,holdout=20")>]
let ``copy: output is the input again, then EOS`` (ps: string) =
    let ps =
        if ps = "" then
            []
        else
            [ for kv in ps.Split ',' -> let a = kv.Split '=' in a.[0], a.[1] ]

    let task = create "copy" ps
    property 150 task copyOracle
    probesKeepModelShape task copyOracle
    deterministic task

[<Test>]
let ``copy refuses inputs whose copy does not fit and its probes extend the lengths`` () =
    let e =
        throws<TaskParameterException>(fun () -> create "copy" [ "length", "4..32"; "context", "64" ] |> ignore)

    Assert.That(e.Message, Does.Contain "66 tokens")
    Assert.That(e.Hint, Does.Contain "at most 31")
    let task = create "copy" []

    Assert.That(
        shapes (probe task "longer-inputs").Task "length"
        |> Array.forall (fun n -> n > 24 && 2 * n + 2 <= 64)
    )

let uniqueOracle (task: ITask) (ex: Example) =
    let t = ex.Tokens
    let n = Array.findIndex ((=) sepId) t
    let input = t.[0 .. n - 1]

    let once =
        input |> Array.countBy id |> Array.filter (fun (_, c) -> c = 1) |> Array.map fst

    if once.Length <> 1 then
        failWith task ex $"{once.Length} tokens appear once, not exactly one"

    if t.[n + 1] <> once.[0] then
        failWith task ex $"answer {t.[n + 1]} is not the unique token {once.[0]}"

    if t.[n + 2] <> eosId then
        failWith task ex "no EOS after the answer"

    let masked = [
        for i in 0 .. t.Length - 1 do
            if ex.LossMask.[i] then
                i
    ]

    if masked <> [ n + 1 ] then
        failWith task ex $"mask {masked} is not the answer position {n + 1}"

    if t.[ex.Meta.["unique"]] <> once.[0] || ex.Meta.["answer"] <> n + 1 then
        failWith task ex "metadata disagrees with the tokens"

[<TestCase("")>]
[<TestCase("length=3..4")>]
[<TestCase("length=20..40,context=64")>]
let ``unique-token: answer is the one token that appears once`` (ps: string) =
    let ps =
        if ps = "" then
            []
        else
            [ for kv in ps.Split ',' -> let a = kv.Split '=' in a.[0], a.[1] ]

    let task = create "unique-token" ps
    property 150 task uniqueOracle
    probesKeepModelShape task uniqueOracle
    deterministic task
