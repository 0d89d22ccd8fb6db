namespace Toolkit.Tasks

open System
open System.Collections.Generic
open System.Text
open Microsoft.ML.Tokenizers

/// Turns text into token ids of a task vocabulary (reserved ids first) and back.
type ITextTokenizer =
    /// Short name, e.g. "byte" or "bpe".
    abstract Name: string
    /// Reserved token names; they take the lowest ids.
    abstract Reserved: string list
    /// Vocabulary size, reserved tokens included.
    abstract Size: int
    abstract Encode: string -> int[]
    abstract Decode: int[] -> string
    /// Readable text of one token.
    abstract TokenText: int -> string

/// Byte-level tokenizer: PAD, then the 256 byte values of the UTF-8 text.
type ByteTokenizer() =
    interface ITextTokenizer with
        member _.Name = "byte"
        member _.Reserved = [ "PAD" ]
        member _.Size = 257

        member _.Encode text =
            Encoding.UTF8.GetBytes text |> Array.map (fun b -> int b + 1)

        member _.Decode ids =
            ids
            |> Array.filter (fun i -> i >= 1 && i <= 256)
            |> Array.map (fun i -> byte (i - 1))
            |> Encoding.UTF8.GetString

        member _.TokenText t =
            if t = 0 then
                "PAD"
            elif t < 1 || t > 256 then
                string t
            else
                let b = t - 1

                if b = 10 then "\\n"
                elif b >= 32 && b < 127 then string (char b)
                else $"\\x{b:X2}"

/// A Tiktoken BPE of Microsoft.ML.Tokenizers whose data ships in a NuGet package (so no download), loaded once per
/// name by `create`. Ids are shifted by one for PAD; the vocabulary is the encoding's n_vocab, special tokens included.
type TiktokenTextTokenizer(name: string, create: unit -> Tokenizer, nVocab: int) =
    static let loaded = Collections.Concurrent.ConcurrentDictionary<string, Lazy<Tokenizer>>()

    let bpe = loaded.GetOrAdd(name, fun _ -> lazy (create ()))

    /// The underlying tokenizer (shared: loading it takes a moment).
    member _.Bpe = bpe.Value

    interface ITextTokenizer with
        member _.Name = name
        member _.Reserved = [ "PAD" ]
        member _.Size = nVocab + 1

        member _.Encode text =
            bpe.Value.EncodeToIds(text) |> Seq.map (fun i -> i + 1) |> Array.ofSeq

        member _.Decode ids =
            bpe.Value.Decode(ids |> Seq.filter (fun i -> i >= 1 && i <= nVocab) |> Seq.map (fun i -> i - 1))

        member _.TokenText t =
            if t = 0 then "PAD" else bpe.Value.Decode([ t - 1 ])

/// OpenAI's cl100k_base BPE (data from the Data.Cl100kBase package): n_vocab 100277, ids 0..100276, the last ones
/// special tokens. Its name in the text task is "bpe".
type Cl100kTokenizer() =
    inherit TiktokenTextTokenizer("bpe", (fun () -> TiktokenTokenizer.CreateForEncoding("cl100k_base")), 100277)

/// GPT-2's BPE (the model "gpt2", whose data the Data.Gpt2 package ships): n_vocab 50257, the last id <|endoftext|>.
/// Its name in the text task is "gpt2".
type Gpt2Tokenizer() =
    inherit TiktokenTextTokenizer("gpt2", (fun () -> TiktokenTokenizer.CreateForModel("gpt2")), 50257)

/// A tokenizer restricted to the tokens a corpus uses: the base tokenizer's ids that occur in
/// the corpus, renumbered densely in ascending order after PAD and UNK. This keeps d_vocab small
/// for small models while keeping the BPE segmentation; text with other tokens maps them to UNK.
/// With `size` (the vocabulary, PAD and UNK included) below that, only the size - 2 commonest of the corpus's
/// tokens keep an id (ties: the lower base id), the rest become UNK: the unembedding, most of a small model's step at
/// a BPE vocabulary, shrinks with it.
type RemappedTokenizer(inner: ITextTokenizer, corpus: string, size: int option) =
    let innerIds = inner.Encode corpus

    let used =
        let counts = innerIds |> Array.countBy id

        let kept =
            match size with
            | Some n when n - 2 < counts.Length -> counts |> Array.sortBy (fun (t, c) -> -c, t) |> Array.truncate (n - 2)
            | _ -> counts

        kept |> Array.map fst |> Array.sort

    let toDense = Dictionary<int, int>()
    do used |> Array.iteri (fun i t -> toDense.[t] <- i + 2)

    /// The corpus in dense ids, computed once here (BPE on a large corpus takes seconds).
    let corpusIds =
        innerIds
        |> Array.map (fun t ->
            match toDense.TryGetValue t with
            | true, d -> d
            | _ -> 1)

    new(inner, corpus) = RemappedTokenizer(inner, corpus, None)
    /// The tokenizer whose ids are renumbered.
    member _.Inner = inner
    /// The corpus this tokenizer was built from, in its dense ids.
    member _.CorpusIds = corpusIds

    interface ITextTokenizer with
        member _.Name = inner.Name + "-remapped"
        member _.Reserved = [ "PAD"; "UNK" ]
        member _.Size = used.Length + 2

        member _.Encode text =
            inner.Encode text
            |> Array.map (fun t ->
                match toDense.TryGetValue t with
                | true, d -> d
                | _ -> 1)

        member _.Decode ids =
            inner.Decode(
                ids
                |> Array.filter (fun i -> i >= 2 && i < used.Length + 2)
                |> Array.map (fun i -> used.[i - 2])
            )

        member _.TokenText t =
            if t = 0 then
                "PAD"
            elif t = 1 then
                "UNK"
            elif t >= 2 && t < used.Length + 2 then
                inner.TokenText used.[t - 2]
            else
                string t
