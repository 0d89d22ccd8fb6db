/// The text task: corpus loaders, tokenizers, windows.
module Toolkit.Tasks.Tests.TextTests

open System.IO
open NUnit.Framework
open Toolkit.Tasks
open Toolkit.Tasks.Tests.TestSupport

let textOracle (task: ITask) (ex: Example) =
    let tt = task :?> TextTask
    let offset = ex.Meta.["offset"]

    if ex.Tokens <> tt.CorpusTokens.[offset .. offset + task.Context - 1] then
        failWith task ex "window differs from the corpus"

    if ex.LossMask |> Array.skip 1 |> Array.exists not then
        failWith task ex "a position after the first is not masked"

[<Test>]
let ``wikitext loader undoes the escapes and drops blank lines`` () =
    let raw = " \n = Title = \n \n The 1 @,@ 000 long @-@ term plan cost 2 @.@ 5 . \n"
    Assert.That(Corpus.wikitext raw, Is.EqualTo "= Title =\nThe 1,000 long-term plan cost 2.5 .\n")
    let path = Path.GetTempFileName()
    File.WriteAllText(path, "plain text, kept as is.\n")
    Assert.That(Corpus.load path "auto", Is.EqualTo "plain text, kept as is.\n")

    let e =
        throws<TaskParameterException>(fun () -> Corpus.load "/no/such/file.txt" "auto" |> ignore)

    Assert.That(e.Hint, Does.Contain "corpus=sample")

[<Test>]
let ``byte tokenizer round-trips`` () =
    let t = ByteTokenizer() :> ITextTokenizer
    let s = "Ünïcode and ascii\n"
    Assert.That(t.Decode(t.Encode s), Is.EqualTo s)
    Assert.That(t.Encode s |> Array.forall (fun i -> i >= 1 && i < t.Size))

[<Test>]
let ``cl100k BPE, remapped to the corpus tokens, round-trips`` () =
    let text = Corpus.load "sample" "auto"
    let bpe = Cl100kTokenizer() :> ITextTokenizer
    Assert.That(bpe.Decode(bpe.Encode "Hello world"), Is.EqualTo "Hello world")
    Assert.That(bpe.Size, Is.GreaterThan 100000)
    let r = RemappedTokenizer(bpe, text) :> ITextTokenizer
    Assert.That(r.Size, Is.LessThan 2000)
    Assert.That(r.Decode(r.Encode text), Is.EqualTo text)
    Assert.That(r.Encode "zzqxjv" |> Array.contains 1, "unseen tokens map to UNK")

[<TestCase("byte")>]
[<TestCase("bpe")>]
let ``text windows come from the corpus, every position after the first masked`` (tokenizer: string) =
    let task = create "text" [ "tokenizer", tokenizer; "context", "32" ]
    property 100 task textOracle
    probesKeepModelShape task textOracle
    deterministic task
    let tt = task :?> TextTask
    let held = probe task "held-out-text"
    Assert.That(held.Kind, Is.EqualTo Inside)
    Assert.That(shapes task "offset" |> Array.forall (fun o -> o + 32 <= tt.Split))
    Assert.That(shapes held.Task "offset" |> Array.forall (fun o -> o >= tt.Split))
