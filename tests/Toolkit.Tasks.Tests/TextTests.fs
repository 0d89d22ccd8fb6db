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

[<Test>]
let ``GPT-2 BPE round-trips, has GPT-2's ids, and renumbers to the tokens the corpus uses`` () =
    let gpt2 = Gpt2Tokenizer() :> ITextTokenizer
    Assert.That(gpt2.Size, Is.EqualTo 50258, "n_vocab 50257 plus PAD")
    // GPT-2's ids for "Hello world" are 15496 and 995 (r50k_base; cl100k_base gives 9906, 1917), shifted by PAD.
    Assert.That(gpt2.Encode "Hello world", Is.EqualTo(box [| 15497; 996 |]))
    Assert.That(gpt2.TokenText 996, Is.EqualTo " world")
    let s = "Ünïcode, tabs\tand\n  spaces; déjà vu"
    Assert.That(gpt2.Decode(gpt2.Encode s), Is.EqualTo s)
    let text = Corpus.load "sample" "auto"
    let r = RemappedTokenizer(gpt2, text)
    let rt = r :> ITextTokenizer
    Assert.That(rt.Decode(rt.Encode text), Is.EqualTo text)
    // Dense ids: exactly the GPT-2 tokens the corpus uses, ascending, after PAD and UNK.
    let used = gpt2.Encode text |> Array.distinct |> Array.sort
    Assert.That(rt.Size, Is.EqualTo(used.Length + 2))
    Assert.That([| for d in 2 .. rt.Size - 1 -> rt.TokenText d |], Is.EqualTo(box [| for u in used -> gpt2.TokenText u |]))
    Assert.That(r.CorpusIds |> Array.distinct |> Array.sort, Is.EqualTo(box [| 2 .. rt.Size - 1 |]))
    Assert.That(rt.Encode "zzqxjv" |> Array.contains 1, "unseen tokens map to UNK")

[<Test>]
let ``a capped vocabulary keeps the commonest tokens and makes the rest UNK`` () =
    let gpt2 = Gpt2Tokenizer() :> ITextTokenizer
    let text = Corpus.load "sample" "auto"
    let full = RemappedTokenizer(gpt2, text)
    let r = RemappedTokenizer(gpt2, text, Some 50)
    let rt = r :> ITextTokenizer
    Assert.That(rt.Size, Is.EqualTo 50)
    let counts = gpt2.Encode text |> Array.countBy id |> dict

    let kept = [|
        for d in 2..49 -> counts.Keys |> Seq.find (fun u -> gpt2.TokenText u = rt.TokenText d)
    |]

    let dropped =
        counts.Keys |> Seq.filter (fun u -> not (Array.contains u kept)) |> Array.ofSeq
    // Every kept token is at least as common as every dropped one, and the corpus's ids agree with Encode.
    Assert.That(Array.min [| for u in kept -> counts.[u] |], Is.GreaterThanOrEqualTo(Array.max [| for u in dropped -> counts.[u] |]))
    Assert.That(r.CorpusIds, Is.EqualTo(box (rt.Encode text)))
    Assert.That(r.CorpusIds |> Array.filter ((=) 1) |> Array.length, Is.EqualTo(dropped |> Array.sumBy (fun u -> counts.[u])))
    // A cap at or above the tokens used changes nothing.
    let same =
        RemappedTokenizer(gpt2, text, Some((full :> ITextTokenizer).Size)) :> ITextTokenizer

    Assert.That(same.Encode text, Is.EqualTo(box full.CorpusIds))
    let task = create "text" [ "tokenizer", "gpt2"; "bpe_vocab", "50"; "context", "16" ]
    Assert.That(task.Vocabulary.Size, Is.EqualTo 50)

    let e =
        throws<TaskParameterException>(fun () -> create "text" [ "tokenizer", "byte"; "bpe_vocab", "50" ] |> ignore)

    Assert.That(e.Hint, Does.Contain "bpe_vocab=all")

[<Test>]
let ``the text task takes tokenizer=gpt2 and names the choices for an unknown one`` () =
    let task = create "text" [ "tokenizer", "gpt2"; "context", "16" ] :?> TextTask
    Assert.That(task.Tokenizer.Name, Is.EqualTo "gpt2-remapped")

    let e =
        throws<TaskParameterException>(fun () -> create "text" [ "tokenizer", "gpt3" ] |> ignore)

    Assert.That(e.Hint, Does.Contain "gpt2")

[<TestCase("byte")>]
[<TestCase("bpe")>]
[<TestCase("gpt2")>]
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
