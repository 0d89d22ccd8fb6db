namespace Toolkit.Tasks

open System.Text

/// Rendering examples with a task's own token names (words, digits, bytes) where it has them.
module TaskRender =
    /// Text of one token: the task's names if it implements ITokenNames, else the vocabulary's.
    let tokenText (task: ITask) (token: int) =
        match task with
        | :? ITokenNames as n -> n.TokenName token
        | _ -> task.Vocabulary.Show token

    /// Each token's text and whether its position is masked (predictable), for colored output.
    let segments (task: ITask) (ex: Example) : (string * bool)[] =
        Array.init ex.Tokens.Length (fun i -> tokenText task ex.Tokens.[i], ex.LossMask.[i])

    /// Tokens separated by spaces, masked positions in [brackets], trailing PAD run shortened.
    let example (task: ITask) (ex: Example) =
        let pad =
            if task.Vocabulary.Reserved |> List.tryHead = Some "PAD" then
                0
            else
                -1

        let mutable last = ex.Tokens.Length - 1

        while last > 0 && ex.Tokens.[last] = pad && not ex.LossMask.[last] do
            last <- last - 1

        let sb = StringBuilder()

        for i in 0..last do
            if i > 0 then
                sb.Append ' ' |> ignore

            let t = tokenText task ex.Tokens.[i]

            (if ex.LossMask.[i] then
                 sb.Append('[').Append(t).Append(']')
             else
                 sb.Append t)
            |> ignore

        if last < ex.Tokens.Length - 1 then
            sb.Append($" PAD×{ex.Tokens.Length - 1 - last}") |> ignore

        sb.ToString()
