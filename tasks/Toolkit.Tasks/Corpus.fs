namespace Toolkit.Tasks

open System
open System.IO
open System.Text
open Toolkit.Tasks.TaskSupport

/// Loading text corpora: Wikitext-2's `wiki.train.tokens` format, plain text, and the small
/// sample shipped in the assembly (so nothing is downloaded at run time).
module Corpus =
    /// Wikitext-2 raw tokens format to text: each line has a leading space, headings look like
    /// " = Title = ", empty lines separate paragraphs, and the dataset's tokenizer escaped
    /// in-word hyphens and number separators as " @-@ ", " @,@ ", " @.@ ". Lines are trimmed,
    /// empty lines dropped, escapes undone; headings and "<unk>" are kept as they are (they are
    /// part of what models trained on Wikitext-2 see).
    let wikitext (raw: string) =
        let sb = StringBuilder(raw.Length)

        for line in raw.Split('\n') do
            let l = line.Trim()

            if l.Length > 0 then
                sb.Append(l.Replace(" @-@ ", "-").Replace(" @,@ ", ",").Replace(" @.@ ", ".")).Append('\n')
                |> ignore

        sb.ToString()

    /// The sample corpus shipped with the library (data/sample.wiki.tokens, Wikitext format).
    let sampleRaw () =
        let asm = typeof<ITokenNames>.Assembly
        use s = asm.GetManifestResourceStream("Toolkit.Tasks.data.sample.wiki.tokens")

        if isNull s then
            failwith "the sample corpus resource is missing from Toolkit.Tasks"

        use r = new StreamReader(s, Encoding.UTF8)
        r.ReadToEnd()

    /// Reads a file as UTF-8, with a typed error naming the path when it is missing.
    let private read (path: string) =
        if not (File.Exists path) then
            fail $"corpus file '{path}' does not exist" "give corpus=sample or the path of a text file (e.g. wikitext-2/wiki.train.tokens)"

        File.ReadAllText(path, Encoding.UTF8)

    /// A Wikitext-2 file (`wiki.train.tokens`), normalized by `wikitext`.
    let loadWikitext (path: string) = wikitext (read path)

    /// A plain UTF-8 text file, as is.
    let loadPlain (path: string) = read path

    /// Text of a corpus source: "sample" or a path; format "wikitext", "plain", or "auto"
    /// (wikitext for *.tokens files and the sample).
    let load (source: string) (format: string) =
        let isSample = source.Equals("sample", StringComparison.OrdinalIgnoreCase)

        let wiki =
            match format.ToLowerInvariant() with
            | "wikitext" -> true
            | "plain" -> false
            | "auto" -> isSample || source.EndsWith(".tokens", StringComparison.OrdinalIgnoreCase)
            | other -> fail $"format '{other}' is unknown" "use format=auto, wikitext or plain"

        let raw = if isSample then sampleRaw () else read source
        if wiki then wikitext raw else raw
