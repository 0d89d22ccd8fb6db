namespace Toolkit.Tasks

open System
open System.Collections.Concurrent
open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// Comparing windows of a token sequence.
module TextWindows =
    /// For each window of `context` tokens starting at split + j (up to the end), whether the same tokens also form a
    /// window that ends at or before `split` (a training window). Windows are matched by a polynomial rolling hash, then
    /// compared token by token, so the answer is exact.
    let repeatsTraining (tokens: int[]) (split: int) (context: int) : bool[] =
        let heldCount = max 0 (tokens.Length - context - split + 1)
        let trainCount = max 0 (split - context + 1)
        let found = Array.zeroCreate heldCount

        if heldCount > 0 && trainCount > 0 then
            let b = 0x100000001B3UL
            let top = Seq.fold (fun acc _ -> acc * b) 1UL (seq { 1 .. context - 1 }) // b^(context − 1)

            /// The hashes of the `count` windows from `first`, rolled one token at a time.
            let hashes first count =
                let h = Array.zeroCreate count
                let mutable x = 0UL

                for k in 0 .. context - 1 do
                    x <- x * b + uint64 tokens.[first + k]

                h.[0] <- x

                for i in 1 .. count - 1 do
                    x <-
                        (x - uint64 tokens.[first + i - 1] * top) * b
                        + uint64 tokens.[first + i - 1 + context]

                    h.[i] <- x

                h

            let sorted = hashes split heldCount
            let order = Array.init heldCount id // order.[i]: the held-out window whose hash is sorted.[i]
            Array.Sort(sorted, order)

            let same a c =
                let mutable k = 0

                while k < context && tokens.[a + k] = tokens.[c + k] do
                    k <- k + 1

                k = context

            let train = hashes 0 trainCount

            for t in 0 .. trainCount - 1 do
                let mutable i = Array.BinarySearch(sorted, train.[t])

                if i >= 0 then
                    while i > 0 && sorted.[i - 1] = train.[t] do
                        i <- i - 1

                    while i < heldCount && sorted.[i] = train.[t] do
                        let j = order.[i]

                        if not found.[j] && same t (split + j) then
                            found.[j] <- true

                        i <- i + 1

        found

/// Settings of the text family.
type TextSettings = {
    Context: int
    /// "sample" (shipped with the library) or a file path.
    Corpus: string
    /// "auto", "wikitext" or "plain".
    Format: string
    /// "byte", "bpe" (cl100k_base) or "gpt2" (GPT-2's BPE).
    Tokenizer: string
    /// Renumber BPE ids to the tokens the corpus uses (small d_vocab).
    Remap: bool
    /// With Remap: the vocabulary size, PAD and UNK included (the commonest tokens keep an id, the rest are UNK);
    /// None keeps every token the corpus uses. Not "vocab": the toolkit fills a task's vocab from the model's d_vocab,
    /// while a text task's vocabulary follows its corpus.
    BpeVocab: int option
    /// Percent of the corpus (its end) held out of training for the held-out-text probe.
    Heldout: int
    /// "train" or "heldout": which part windows come from.
    Part: string
}

/// A tokenized corpus, cached per (corpus, format, tokenizer, remap): probes and repeated
/// creation of the same task must not re-tokenize.
type TokenizedCorpus = {
    Tokenizer: ITextTokenizer
    Tokens: int[]
}

/// `text`: next-token prediction on windows of a corpus (Wikitext-2 or plain text), byte-level or
/// BPE tokens. Every position after the first is predictable in the language-model sense.
type TextTask(s: TextSettings) =
    inherit FamilyTask<TextSettings>("text", s, s.Context)

    static let specs: ParamSpec list = [
        {
            Name = "context"
            Default = "64"
            Help = "window length"
        }
        {
            Name = "corpus"
            Default = "sample"
            Help = "sample (shipped) or a path to wiki.train.tokens or a text file"
        }
        {
            Name = "format"
            Default = "auto"
            Help = "auto, wikitext or plain"
        }
        {
            Name = "tokenizer"
            Default = "byte"
            Help = "byte, bpe (cl100k_base) or gpt2 (GPT-2's BPE)"
        }
        {
            Name = "remap"
            Default = "true"
            Help = "bpe and gpt2 only: renumber to the tokens the corpus uses"
        }
        {
            Name = "bpe_vocab"
            Default = "all"
            Help = "bpe and gpt2 with remap: vocabulary size, PAD and UNK included (the commonest tokens keep an id, the rest become UNK)"
        }
        {
            Name = "heldout"
            Default = "10"
            Help = "percent of the corpus end held out for the held-out-text probe"
        }
    ]

    static let cache = ConcurrentDictionary<string, TokenizedCorpus>()
    static let repeatCache = ConcurrentDictionary<string, Lazy<bool[]>>()

    let remap = s.Remap && s.Tokenizer <> "byte"
    let corpusKey = $"{s.Corpus}|{s.Format}|{s.Tokenizer}|{remap}|{s.BpeVocab}"

    let corpus =
        if not (List.contains s.Tokenizer [ "byte"; "bpe"; "gpt2" ]) then
            fail $"tokenizer '{s.Tokenizer}' is unknown" "use tokenizer=byte, bpe or gpt2"

        match s.BpeVocab with
        | Some n when not remap ->
            fail
                $"bpe_vocab {n} needs a renumbered BPE (tokenizer {s.Tokenizer}, remap {s.Remap})"
                "use bpe_vocab=all, or tokenizer=bpe or gpt2 with remap=true"
        | Some n when n < 3 -> fail $"bpe_vocab {n} leaves no content token" "use bpe_vocab=all or at least 3 (PAD, UNK and one token)"
        | _ -> ()

        cache.GetOrAdd(
            corpusKey,
            fun _ ->
                let text = Corpus.load s.Corpus s.Format

                let tok: ITextTokenizer =
                    let bpe: ITextTokenizer =
                        if s.Tokenizer = "gpt2" then
                            Gpt2Tokenizer()
                        else
                            Cl100kTokenizer()

                    if s.Tokenizer = "byte" then ByteTokenizer()
                    elif remap then RemappedTokenizer(bpe, text, s.BpeVocab)
                    else bpe

                let ids =
                    match tok with
                    | :? RemappedTokenizer as r -> r.CorpusIds
                    | _ -> tok.Encode text

                { Tokenizer = tok; Tokens = ids }
        )

    let vocab = {
        Size = corpus.Tokenizer.Size
        Reserved = corpus.Tokenizer.Reserved
    }

    let total = corpus.Tokens.Length
    let split = total - total * s.Heldout / 100
    let partLo, partHi = if s.Part = "heldout" then split, total else 0, split

    /// The distinct tokens of this task's part of the corpus (every one is in some window).
    let used =
        lazy
            (Array.sub corpus.Tokens partLo (partHi - partLo)
             |> Array.filter (fun t -> t >= vocab.ContentStart)
             |> Array.distinct
             |> Array.sort)

    do
        if s.Context < 2 then
            fail $"context {s.Context} is too short" "use a context of at least 2"

        if s.Heldout < 1 || s.Heldout > 50 then
            fail $"heldout {s.Heldout} percent is outside 1..50" "use heldout=10 (percent)"

        if partHi - partLo < s.Context then
            fail
                $"the {s.Part} part of corpus '{s.Corpus}' has {partHi - partLo} tokens, fewer than context {s.Context}"
                "use a shorter --n-ctx, a smaller heldout, or a larger corpus"

    /// Per held-out window (offset split + j), whether the same tokens also form a training window: computed once per
    /// corpus, context and split, and only when asked (by the held-out probe or by Draws).
    let repeats () =
        repeatCache
            .GetOrAdd($"{corpusKey}|{s.Context}|{split}", fun _ -> lazy (TextWindows.repeatsTraining corpus.Tokens split s.Context))
            .Value

    /// The held-out part's windows that never occur in the training part: all the held-out probe draws.
    let heldOutOffsets =
        lazy
            (let r = repeats () in

             [|
                 for j in 0 .. r.Length - 1 do
                     if not r.[j] then
                         split + j
             |])

    do
        if s.Part = "heldout" && heldOutOffsets.Value.Length = 0 then
            fail
                $"every window of the held-out part of corpus '{s.Corpus}' also occurs in its training part"
                "hold out more of it (e.g. heldout=20) or use a corpus that does not repeat itself"

    /// Whether the generator draws the window at this offset, or the same tokens at another offset it draws.
    let draws offset =
        if offset < 0 || offset + s.Context > total then
            false
        elif s.Part = "heldout" then
            offset >= split && not (repeats ()).[offset - split]
        else
            offset + s.Context <= split
            || (offset >= split && (repeats ()).[offset - split])

    /// The tokenizer of this task's corpus.
    member _.Tokenizer = corpus.Tokenizer
    /// The whole tokenized corpus (training part first, held-out part last).
    member _.CorpusTokens = corpus.Tokens
    /// First token of the held-out part.
    member _.Split = split

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        TaskFamily.factory
            "text"
            "next-token prediction on windows of Wikitext-2 or plain text (byte, cl100k or GPT-2 BPE tokens)"
            specs
            (fun p ->
                TextTask(
                    {
                        Context = p.Int "context"
                        Corpus = p.Text "corpus"
                        Format = p.Choice("format", [ "auto"; "wikitext"; "plain" ])
                        Tokenizer = p.Choice("tokenizer", [ "byte"; "bpe"; "gpt2" ])
                        Remap = p.Bool "remap"
                        BpeVocab =
                            match p.Text "bpe_vocab" with
                            | "all" -> None
                            | _ -> Some(p.Int "bpe_vocab")
                        Heldout = p.Int "heldout"
                        Part = "train"
                    }
                ))

    interface ITokenNames with
        member _.TokenName t = corpus.Tokenizer.TokenText t

    interface IUsedTokens with
        member _.UsedTokens = used.Value

    override _.Vocabulary = vocab

    override _.Parameters =
        paramsDict [
            "context", string s.Context
            "corpus", s.Corpus
            "format", s.Format
            "tokenizer", s.Tokenizer
            "remap", TaskFamily.boolText s.Remap
            if s.BpeVocab.IsSome then
                "bpe_vocab", string s.BpeVocab.Value
            "heldout", string s.Heldout
        ]

    override _.Probes =
        if s.Part = "heldout" then
            []
        else
            try
                [
                    {
                        Name = "held-out-text"
                        Kind = Inside
                        Description = $"windows from the last {s.Heldout} percent of the corpus that occur nowhere in its training part"
                        Task = TextTask({ s with Part = "heldout" })
                    }
                ]
            with :? TaskParameterException -> []

    override _.Instances =
        gen {
            let! offset =
                if s.Part = "heldout" then
                    Gen.elements heldOutOffsets.Value
                else
                    Gen.choose (partLo, partHi - s.Context)

            let! seed = Sampling.seed

            return {
                Shape = Map [ "offset", offset ]
                Seed = seed
            }
        }

    override _.Build inst =
        let offset = shape inst "offset"

        if offset < 0 || offset + s.Context > total then
            fail $"instance offset={offset} leaves the corpus of {total} tokens" "choose a smaller offset"

        let tokens = Array.sub corpus.Tokens offset s.Context
        let mask = Array.create s.Context true
        mask.[0] <- false

        {
            Tokens = tokens
            LossMask = mask
            Meta = inst.Shape
        }

    override _.Shrink inst =
        let offset = shape inst "offset"

        seq {
            for o in [ partLo; (offset + partLo) / 2 ] do
                if o < offset && draws o then
                    yield {
                        inst with
                            Shape = Map [ "offset", o ]
                    }
        }
        |> Seq.distinct

    interface IShapeSupport with
        member _.Draws shape =
            match tryShape [ "offset" ] shape with
            | Some [ offset ] -> draws offset
            | _ -> false
