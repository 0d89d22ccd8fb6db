namespace Toolkit.Tasks

open System
open System.Collections.Concurrent
open FsCheck.FSharp
open Toolkit.Tasks.TaskSupport

/// Settings of the text family.
type TextSettings =
    { Context: int
      /// "sample" (shipped with the library) or a file path.
      Corpus: string
      /// "auto", "wikitext" or "plain".
      Format: string
      /// "byte" or "bpe" (cl100k_base).
      Tokenizer: string
      /// Renumber BPE ids to the tokens the corpus uses (small d_vocab).
      Remap: bool
      /// Percent of the corpus (its end) held out of training for the held-out-text probe.
      Heldout: int
      /// "train" or "heldout": which part windows come from.
      Part: string }

/// A tokenized corpus, cached per (corpus, format, tokenizer, remap): probes and repeated
/// creation of the same task must not re-tokenize.
type TokenizedCorpus =
    { Tokenizer: ITextTokenizer
      Tokens: int[] }

/// `text`: next-token prediction on windows of a corpus (Wikitext-2 or plain text), byte-level or
/// BPE tokens. Every position after the first is predictable in the language-model sense.
type TextTask(s: TextSettings) =
    static let specs: ParamSpec list =
        [ { Name = "context"; Default = "64"; Help = "window length" }
          { Name = "corpus"; Default = "sample"; Help = "sample (shipped) or a path to wiki.train.tokens or a text file" }
          { Name = "format"; Default = "auto"; Help = "auto, wikitext or plain" }
          { Name = "tokenizer"; Default = "byte"; Help = "byte or bpe (cl100k_base)" }
          { Name = "remap"; Default = "true"; Help = "bpe only: renumber to the tokens the corpus uses" }
          { Name = "heldout"; Default = "10"; Help = "percent of the corpus end held out for the held-out-text probe" } ]

    static let cache = ConcurrentDictionary<string, TokenizedCorpus>()

    let corpus =
        if s.Tokenizer <> "byte" && s.Tokenizer <> "bpe" then fail $"tokenizer '{s.Tokenizer}' is unknown" "use tokenizer=byte or tokenizer=bpe"
        let remap = s.Remap && s.Tokenizer = "bpe"
        let key = $"{s.Corpus}|{s.Format}|{s.Tokenizer}|{remap}"
        cache.GetOrAdd(key, fun _ ->
            let text = Corpus.load s.Corpus s.Format
            let tok: ITextTokenizer =
                if s.Tokenizer = "byte" then ByteTokenizer()
                elif remap then RemappedTokenizer(Cl100kTokenizer(), text)
                else Cl100kTokenizer()
            let ids = match tok with :? RemappedTokenizer as r -> r.CorpusIds | _ -> tok.Encode text
            { Tokenizer = tok; Tokens = ids })

    let vocab = { Size = corpus.Tokenizer.Size; Reserved = corpus.Tokenizer.Reserved }
    let total = corpus.Tokens.Length
    let split = total - total * s.Heldout / 100
    let partLo, partHi = if s.Part = "heldout" then split, total else 0, split
    /// The distinct tokens of this task's part of the corpus (every one is in some window).
    let used = lazy (Array.sub corpus.Tokens partLo (partHi - partLo) |> Array.filter (fun t -> t >= vocab.ContentStart) |> Array.distinct |> Array.sort)

    do
        if s.Context < 2 then fail $"context {s.Context} is too short" "use a context of at least 2"
        if s.Heldout < 1 || s.Heldout > 50 then fail $"heldout {s.Heldout} percent is outside 1..50" "use heldout=10 (percent)"
        if partHi - partLo < s.Context then
            fail $"the {s.Part} part of corpus '{s.Corpus}' has {partHi - partLo} tokens, fewer than context {s.Context}"
                 "use a shorter --context, a smaller heldout, or a larger corpus"

    /// The validated settings of this task.
    member _.Settings = s
    /// The tokenizer of this task's corpus.
    member _.Tokenizer = corpus.Tokenizer
    /// The whole tokenized corpus (training part first, held-out part last).
    member _.CorpusTokens = corpus.Tokens
    /// First token of the held-out part.
    member _.Split = split

    /// The factory registered in the catalog: creates this family from text parameters.
    static member Factory =
        { new ITaskFactory with
            member _.Name = "text"
            member _.Summary = "next-token prediction on windows of Wikitext-2 or plain text (byte or BPE tokens)"
            member _.Parameters = specs
            member _.Create given =
                Params.checkKnown "text" specs given
                TextTask(
                    { Context = Params.int specs given "context"
                      Corpus = Params.get specs given "corpus"
                      Format = Params.choice specs given "format" [ "auto"; "wikitext"; "plain" ]
                      Tokenizer = Params.choice specs given "tokenizer" [ "byte"; "bpe" ]
                      Remap = Params.bool specs given "remap"
                      Heldout = Params.int specs given "heldout"
                      Part = "train" })
                :> ITask }

    interface ITokenNames with
        member _.TokenName t = corpus.Tokenizer.TokenText t

    interface IUsedTokens with
        member _.UsedTokens = used.Value

    interface ITask with
        member _.Name = "text"
        member _.Parameters =
            paramsDict
                [ "context", string s.Context; "corpus", s.Corpus; "format", s.Format; "tokenizer", s.Tokenizer
                  "remap", (if s.Remap then "true" else "false"); "heldout", string s.Heldout ]
        member _.Vocabulary = vocab
        member _.Context = s.Context
        member _.SeenPeriods = []
        member _.PredictiveOffsets = []
        member _.Probes =
            if s.Part = "heldout" then []
            else
                try [ { Name = "held-out-text"; Kind = Inside
                        Description = $"windows from the last {s.Heldout} percent of the corpus, never trained on"
                        Task = TextTask({ s with Part = "heldout" }) } ]
                with :? TaskParameterException -> []

        member _.Instances =
            gen {
                let! offset = Gen.choose (partLo, partHi - s.Context)
                let! seed = Sampling.seed
                return { Shape = Map [ "offset", offset ]; Seed = seed }
            }

        member _.Build inst =
            let offset = shape inst "offset"
            if offset < 0 || offset + s.Context > total then
                fail $"instance offset={offset} leaves the corpus of {total} tokens" "choose a smaller offset"
            let tokens = Array.sub corpus.Tokens offset s.Context
            let mask = Array.create s.Context true
            mask.[0] <- false
            { Tokens = tokens; LossMask = mask; Meta = inst.Shape }

        member _.Shrink inst =
            let offset = shape inst "offset"
            seq {
                if offset > partLo then yield { inst with Shape = Map [ "offset", partLo ] }
                if (offset + partLo) / 2 > partLo then yield { inst with Shape = Map [ "offset", (offset + partLo) / 2 ] }
            }
