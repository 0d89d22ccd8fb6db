/// The relational family (get_capital(x) in context): the rule against the fixed table, the table itself, the probes,
/// bad parameters.
module Toolkit.Tasks.Tests.RelationalTests

open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

/// One relation token among entities, its argument right after it, then "?" and f_r(x) from the task's table; the
/// argument and the answer appear nowhere else before the answer; only the answer predictable.
let relationalOracle (task: ITask) (ex: Example) =
    let rel = task :?> Relational
    let v = task.Vocabulary
    let relations = v.Reserved.Length - 2
    let t = ex.Tokens
    let q = Array.findIndex ((=) rel.QueryToken) t
    let isRelation tok = tok >= 2 && tok < 2 + relations
    let before = t.[0 .. q - 1]

    let pairs = [
        for i in 0 .. q - 1 do
            if isRelation t.[i] then
                i
    ]

    match pairs with
    | [ p ] when p + 1 < q ->
        let r, x = t.[p] - 2, t.[p + 1]

        if x < v.ContentStart then
            failWith task ex $"the argument {x} is not an entity"

        if t.[q + 1] <> rel.Answer(r, x) then
            failWith task ex $"answer {t.[q + 1]} is not f_r{r}({x}) = {rel.Answer(r, x)}"

        if before |> Array.filter ((=) x) |> Array.length <> 1 then
            failWith task ex "the argument appears more than once"

        if Array.contains t.[q + 1] before then
            failWith task ex "the answer appears in the context"

        if before |> Array.exists (fun tok -> tok < v.ContentStart && not (isRelation tok)) then
            failWith task ex "a reserved token other than the relation before the query"

        if
            ex.Meta.["relation"] <> r
            || ex.Meta.["argument"] <> x
            || ex.Meta.["result"] <> t.[q + 1]
            || ex.Meta.["pair"] <> p
            || ex.Meta.["query"] <> q
        then
            failWith task ex "metadata disagree with the tokens"
    | _ -> failWith task ex $"relation tokens at {pairs}: not exactly one with an argument after it"

    let masked = [
        for i in 0 .. t.Length - 1 do
            if ex.LossMask.[i] then
                i
    ]

    if masked <> [ q + 1 ] then
        failWith task ex $"mask {masked} is not the answer at {q + 1}"

    if t.[q + 2 ..] |> Array.exists ((<>) 0) then
        failWith task ex "tokens after the answer are not PAD"

[<TestCase("")>]
[<TestCase("relations=1,entities=4,length=2..5,holdout=none,context=8")>]
[<TestCase("relations=8,entities=40,length=3..20,holdout=7,11,table=9,context=24")>]
let ``relational: the answer is f_r of the token after the relation, from the fixed table`` (ps: string) =
    let ps =
        if ps = "" then
            []
        else
            // "holdout=7,11" keeps its comma: split on the commas that start a new key.
            System.Text.RegularExpressions.Regex.Split(ps, ",(?=[a-z]+=)")
            |> Array.map (fun kv -> let a = kv.Split '=' in a.[0], a.[1])
            |> List.ofArray

    let task = create "relational" ps
    property 150 task relationalOracle
    probesKeepModelShape task relationalOracle
    deterministic task

[<Test>]
let ``the table is fixed by its seed; each argument's values are distinct across relations and never the argument`` () =
    let gen =
        gen {
            let! relations = Gen.choose (1, 16)
            let! entities = Gen.choose (relations + 3, 60)
            let! seed = Gen.choose (0, 1000)
            return relations, entities, uint64 seed
        }

    Check.One(
        config 200,
        Prop.forAll (Arb.fromGen gen) (fun (relations, entities, seed) ->
            let table = RelationalTable.create relations entities seed
            Assert.That((table = RelationalTable.create relations entities seed), "the same seed, the same table")

            for x in 0 .. entities - 1 do
                let values = [ for r in 0 .. relations - 1 -> table.[r].[x] ]
                Assert.That(values |> List.forall (fun y -> y >= 0 && y < entities && y <> x), $"f_r({x}) is an entity other than {x}")
                Assert.That((List.distinct values = values), $"relations disagree at {x}"))
    )

    Assert.That((RelationalTable.create 4 32 0UL <> RelationalTable.create 4 32 1UL), "another seed, another table")
    // The table is what the examples answer with, and the task's table seed chooses it.
    let a = create "relational" [ "table", "3" ] :?> Relational
    let table = RelationalTable.create 4 32 3UL
    Assert.That(a.Answer(2, 6 + 5), Is.EqualTo(6 + table.[2].[5]))

[<Test>]
let ``probes: held-out lengths inside, longer inputs outside`` () =
    let task =
        create "relational" [ "length", "4..10"; "holdout", "6,8"; "context", "16" ]

    let held = probe task "held-out-lengths"
    Assert.That(held.Kind, Is.EqualTo Inside)
    Assert.That((shapes held.Task "length" |> Array.distinct |> Array.sort = [| 6; 8 |]), "the probe draws the held-out lengths only")
    Assert.That(shapes task "length" |> Array.exists (fun n -> n = 6 || n = 8), Is.False, "training never draws a held-out length")
    let longer = probe task "longer-inputs"
    Assert.That(longer.Kind, Is.EqualTo Outside)
    Assert.That(shapes longer.Task "length" |> Array.min, Is.EqualTo 11)
    Assert.That(shapes longer.Task "length" |> Array.max, Is.LessThanOrEqualTo 14)

[<TestCase("relations", "0", "relations 0 is outside 1..16")>]
[<TestCase("entities", "5", "entities 5 leaves too few for 4 relations and filler")>]
[<TestCase("length", "1..6", "length 1..6 leaves no room for the relation and its argument")>]
[<TestCase("length", "4..15", "need 17 tokens, more than context 16")>]
[<TestCase("holdout", "20", "held-out length 20 is not in the length range 4..12")>]
[<TestCase("table", "-2", "table '-2' is not a seed")>]
let ``bad parameters are refused with a one-line error and a hint`` (name: string, value: string, message: string) =
    let e =
        throws<TaskParameterException>(fun () -> create "relational" [ name, value ] |> ignore)

    contains message e.Message
    Assert.That(e.Message, Does.Not.Contain "\n")
    Assert.That(e.Hint, Is.Not.Empty)
