namespace Toolkit.Tasks

open System
open System.Text

/// Token ids a task reserves for structure. Reserved tokens take the lowest ids, in order;
/// content tokens are every id after them.
type Vocabulary = {
    Size: int
    Reserved: string list
} with

    /// First id of a content token.
    member v.ContentStart = v.Reserved.Length
    /// Number of content tokens (what chance level is measured against).
    member v.ContentCount = v.Size - v.Reserved.Length

    /// The id of a reserved token by name, e.g. "PAD".
    member v.Id(name: string) =
        match List.tryFindIndex ((=) name) v.Reserved with
        | Some i -> i
        | None -> invalidArg "name" $"the vocabulary reserves no token named {name}"

    /// Human-readable token: reserved names, content tokens as numbers.
    member v.Show(token: int) =
        if token >= 0 && token < v.Reserved.Length then
            v.Reserved.[token]
        else
            string token

/// One sequence of a task.
/// LossMask.[i] is true when Tokens.[i] follows from Tokens.[0 .. i-1] by the task's rule: loss
/// and accuracy are measured only there (position 0 is never predictable).
/// Meta holds the instance's shape (period, start, ...) and derived positions.
type Example = {
    Tokens: int[]
    LossMask: bool[]
    Meta: Map<string, int>
}

/// Measures over the predictable positions of examples.
module Predictable =
    /// Share of the predictable positions (i ≥ 1 with LossMask.[i]) of examples where `holds tokens i` (NaN when
    /// none is predictable): accuracies of predictors and shares of positions alike.
    let share (examples: Example[]) (holds: int[] -> int -> bool) =
        let mutable hit, n = 0L, 0L

        for ex in examples do
            for i in 1 .. ex.Tokens.Length - 1 do
                if ex.LossMask.[i] then
                    n <- n + 1L

                    if holds ex.Tokens i then
                        hit <- hit + 1L

        if n = 0L then nan else float hit / float n

/// Text rendering of examples for humans.
module Render =
    /// Tokens separated by spaces; predictable (masked) positions in [brackets].
    let example (vocab: Vocabulary) (ex: Example) =
        let sb = StringBuilder()

        for i in 0 .. ex.Tokens.Length - 1 do
            if i > 0 then
                sb.Append ' ' |> ignore

            let t = vocab.Show ex.Tokens.[i]

            (if ex.LossMask.[i] then
                 sb.Append('[').Append(t).Append(']')
             else
                 sb.Append t)
            |> ignore

        sb.ToString()

    /// "period=20 start=5" from the metadata, keys sorted.
    let meta (ex: Example) =
        ex.Meta |> Seq.map (fun kv -> $"{kv.Key}={kv.Value}") |> String.concat " "
