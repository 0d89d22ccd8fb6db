/// The shortcut audit tells, before any training, which tasks a simple strategy already solves.
module Toolkit.Tasks.Tests.ShortcutAuditTests

open NUnit.Framework
open FsCheck
open FsCheck.FSharp
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

let private accuracy (rows: StrategyScore list) name =
    (rows |> List.find (fun r -> r.Name = name)).Accuracy

[<Test>]
let ``a fixed period is solved by copying from one fixed offset; variable periods and pattern-in-noise are not`` () =
    let fixedRows =
        ShortcutAudit.audit (create "repeated-copy" [ "period", "32" ]) 1UL 300 200

    Assert.That(accuracy fixedRows "fixed offset", Is.GreaterThan 0.99, "copy 32 back solves a fixed period of 32")

    for name, ps in [ "repeated-copy", [ "period", "6..29" ]; "pattern-in-noise", [] ] do
        let rows = ShortcutAudit.audit (create name ps) 1UL 300 200
        Assert.That(accuracy rows "fixed offset", Is.LessThan 0.5, $"{name}: no single offset solves it")
        Assert.That(accuracy rows "offset per position", Is.LessThan 0.5, $"{name}: no offset per position solves it")
        Assert.That(accuracy rows "position table", Is.LessThan 0.2, $"{name}: positions alone do not")
        Assert.That(accuracy rows "induction", Is.GreaterThan 0.99, $"{name}: induction does")

[<Test>]
let ``the fixed-offset strategy finds the trained period for any fixed period and repeat count`` () =
    let prop (period: int) (repeats: int) =
        period * repeats > 64
        || (let task =
                create "repeated-copy" [ "period", string period; "repeats", string repeats; "start", "0" ]

            ShortcutAudit.bestFixedOffset (Sampling.examples task 3UL 100) = period)

    Check.One(config 100, Prop.forAll (Arb.fromGen (Gen.zip (Gen.choose (3, 30)) (Gen.choose (2, 4)))) (fun (p, r) -> prop p r))

[<Test>]
let ``every strategy scores between 0 and 1 on every family of the catalog, and chance is one over the content tokens`` () =
    for f in Catalog.All do
        let task = Catalog.Create(f.Name, pars [])
        let rows = ShortcutAudit.audit task 1UL 100 60
        let names = rows |> List.map (fun r -> r.Name)

        Assert.That(
            (names = [
                "chance"
                "unigram"
                "bigram"
                "position table"
                "fixed offset"
                "offset per position"
                "induction"
            ]),
            $"{f.Name}: {names}"
        )

        for r in rows do
            Assert.That(r.Accuracy >= 0.0 && r.Accuracy <= 1.0, $"{f.Name}/{r.Name}: {r.Accuracy}")

        Assert.That(accuracy rows "chance", Is.EqualTo(1.0 / float task.Vocabulary.ContentCount).Within 1e-12)

[<Test>]
let ``induction predicts the token after the most recent earlier occurrence, and nothing without one`` () =
    let tokens = [| 5; 7; 9; 5; 8; 5 |]
    Assert.That(ShortcutAudit.induction tokens 4, Is.EqualTo 7, "after the 5 at 3 comes what followed the 5 at 0")
    Assert.That(ShortcutAudit.induction tokens 6, Is.EqualTo 8, "the most recent 5 (at 3) wins")
    Assert.That(ShortcutAudit.induction tokens 2, Is.EqualTo -1, "7 never occurred before")
