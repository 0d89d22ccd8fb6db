namespace Toolkit.Tasks

/// A task whose examples use only some of its content ids says which (a byte-level text corpus uses about 90 of
/// the 256 bytes), so whatever is measured on "the task's tokens", such as the random sequences head scores are
/// read on, stays on tokens training saw. Tasks that draw from their whole content range need not implement it.
type IUsedTokens =
    /// The content token ids that occur in this task's examples, ascending.
    abstract UsedTokens: int[]

/// The content token ids a task's examples use.
module TaskTokens =
    /// What the task declares (IUsedTokens), else its whole content range.
    let used (task: ITask) : int[] =
        match task with
        | :? IUsedTokens as u -> u.UsedTokens
        | _ -> [| task.Vocabulary.ContentStart .. task.Vocabulary.Size - 1 |]
