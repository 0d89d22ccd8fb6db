/// Oracle properties of the arithmetic task.
module Toolkit.Tasks.Tests.ArithmeticTests

open System
open NUnit.Framework
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

let arithmeticOracle (task: ITask) (ex: Example) =
    let reverse = task.Parameters.["reverse"] = "true"
    let chars = ex.Tokens |> Array.map (TaskRender.tokenText task)
    // Parse problems "a+b=c" EOS from the characters, compute c, and list the answer positions.
    let mutable i = 0
    let expected = Collections.Generic.List<int>()
    let mutable problems = 0

    while i < chars.Length && chars.[i] <> "PAD" do
        let eq = Array.IndexOf(chars, "=", i)
        let eos = Array.IndexOf(chars, "EOS", i)

        if eq < 0 || eos < eq then
            failWith task ex $"problem at {i} has no '=' before EOS"

        let lhs = String.Join("", chars.[i .. eq - 1])
        let sum = lhs.Split('+') |> Array.sumBy int64
        let answer = String.Join("", chars.[eq + 1 .. eos - 1])

        let written =
            if reverse then
                String(Array.rev (answer.ToCharArray()))
            else
                answer

        if written <> string sum then
            failWith task ex $"{lhs} = {sum}, the sequence says {written}"

        for p in eq + 1 .. eos do
            expected.Add p

        problems <- problems + 1
        i <- eos + 1

    if chars.[i..] |> Array.exists ((<>) "PAD") then
        failWith task ex "tokens after the padding"

    let masked = [
        for i in 0 .. ex.Tokens.Length - 1 do
            if ex.LossMask.[i] then
                i
    ]

    if masked <> List.ofSeq expected then
        failWith task ex $"mask {masked} is not the answer digits and EOS {List.ofSeq expected}"

    if ex.Meta.["problems"] <> problems then
        failWith task ex "problem count metadata disagrees"

[<TestCase("")>]
[<TestCase("terms=3,digits=2..4")>]
[<TestCase("reverse=true,digits=5")>]
[<TestCase("digits=9,terms=2..3,context=48")>]
let ``arithmetic: answer digits are the sum`` (ps: string) =
    let ps =
        if ps = "" then
            []
        else
            [ for kv in ps.Split ',' -> let a = kv.Split '=' in a.[0], a.[1] ]

    let task = create "arithmetic" ps
    property 150 task arithmeticOracle
    probesKeepModelShape task arithmeticOracle
    deterministic task

[<Test>]
let ``arithmetic rejects problems that do not fit`` () =
    let e =
        throws<TaskParameterException>(fun () -> create "arithmetic" [ "digits", "9"; "terms", "5"; "context", "32" ] |> ignore)

    contains "more than context" e.Message
