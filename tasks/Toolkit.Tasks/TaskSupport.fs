namespace Toolkit.Tasks

open System
open System.Collections.Generic

/// Tasks whose content tokens are words or characters implement this so renderings show them.
type ITokenNames =
    /// The text of a token id (reserved names included).
    abstract TokenName: int -> string

/// Small helpers shared by the task families: errors, shape access, content filling.
module TaskSupport =
    /// Raises the typed parameter error (message: what is wrong; hint: the fix).
    let fail (message: string) (hint: string) : 'a =
        raise (TaskParameterException(message, hint))

    /// A shape value of an instance; a missing key is a programming error, reported as such.
    let shape (inst: Instance) (key: string) =
        match inst.Shape.TryFind key with
        | Some v -> v
        | None -> invalidArg "inst" $"instance has no shape parameter '{key}'"

    /// Fails unless a token range lies inside the vocabulary's content ids (reserved ids excluded).
    let checkTokens (vocab: Vocabulary) (r: IntRange) =
        let all = {
            Lo = vocab.ContentStart
            Hi = vocab.Size - 1
        }

        if r.Lo < all.Lo || r.Hi > all.Hi then
            let reserved = String.concat " " vocab.Reserved

            fail
                $"tokens {r} leaves the content ids {all} of vocab {vocab.Size}"
                $"choose tokens inside {all} (ids below {all.Lo} are reserved: {reserved})"

    /// Parses "all" (→ the whole content range) or an IntRange of content token ids, checked
    /// against the vocabulary, for the `tokens` parameter that makes unseen-token probes possible.
    let tokenRange (vocab: Vocabulary) (text: string) =
        let all = {
            Lo = vocab.ContentStart
            Hi = vocab.Size - 1
        }

        if text.Trim().ToLowerInvariant() = "all" then
            all
        else
            let r = IntRange.Parse("tokens", text)
            checkTokens vocab r
            r

    /// The content ids outside `used` (for unseen-token probes), as a range when contiguous.
    let complement (vocab: Vocabulary) (used: IntRange) =
        let all = {
            Lo = vocab.ContentStart
            Hi = vocab.Size - 1
        }

        if used.Lo > all.Lo && used.Hi < all.Hi then
            None // two pieces: keep it simple, use the upper one
        elif used.Hi < all.Hi then
            Some { Lo = used.Hi + 1; Hi = all.Hi }
        elif used.Lo > all.Lo then
            Some { Lo = all.Lo; Hi = used.Lo - 1 }
        else
            None

    /// Fills tokens.[from .. from+count-1] with ids from `allowed`, uniformly (one FastRng draw each).
    let fillFrom (rng: FastRng) (tokens: int[]) (from: int) (count: int) (allowed: int[]) =
        let last = allowed.Length - 1

        for i in from .. from + count - 1 do
            tokens.[i] <- allowed.[rng.Between(0, last)]

    /// The ids of `range` that are not in `excluded` (filler that never collides with a block).
    /// A plain loop over a bool array: this runs once per example and must stay cheap.
    let without (range: IntRange) (excluded: int[]) =
        let n = range.Count
        let banned = Array.zeroCreate<bool> n
        let mutable bannedCount = 0

        for t in excluded do
            let k = t - range.Lo

            if k >= 0 && k < n && not banned.[k] then
                banned.[k] <- true
                bannedCount <- bannedCount + 1

        let allowed = Array.zeroCreate (n - bannedCount)
        let mutable j = 0

        for k in 0 .. n - 1 do
            if not banned.[k] then
                allowed.[j] <- range.Lo + k
                j <- j + 1

        allowed

    /// The values of `keys` in a shape, in order, or None when one is missing (a shape of another family).
    let tryShape (keys: string list) (shape: Map<string, int>) =
        let values = keys |> List.choose shape.TryFind
        if values.Length = keys.Length then Some values else None

    /// Adds `key=value` pairs to a metadata map.
    let withMeta (pairs: (string * int) seq) (m: Map<string, int>) =
        pairs |> Seq.fold (fun acc (k, v) -> Map.add k v acc) m

    /// Parses "none" or a comma list of numbers ("12,17"), e.g. held-out periods.
    let intList (name: string) (text: string) =
        let t = text.Trim().ToLowerInvariant()

        if t = "none" || t = "" then
            []
        else
            t.Split(',')
            |> Array.map (fun p ->
                match Int32.TryParse(p.Trim()) with
                | true, v -> v
                | _ -> fail $"{name} '{text}' is not a list of numbers" $"write {name} as none or e.g. 12,17")
            |> List.ofArray

    /// Canonical text of a dictionary of parameters.
    let paramsDict (pairs: (string * string) list) : IReadOnlyDictionary<string, string> = readOnlyDict pairs

    /// Values of a range minus held-out ones (what training draws).
    let allowedValues (range: IntRange) (holdout: int list) = [|
        for v in range.Lo .. range.Hi do
            if not (List.contains v holdout) then
                v
    |]

    /// Validates a `holdout` list against its range: every value inside, something left to train on.
    let checkHoldout (name: string) (range: IntRange) (holdout: int list) =
        for h in holdout do
            if not (range.Contains h) then
                fail $"held-out {name} {h} is not in the {name} range {range}" $"hold out values inside {range}, or none (holdout=none)"

        if (allowedValues range holdout).Length = 0 then
            fail $"holdout {holdout} removes every {name} of {range}" "hold out fewer values or widen the range"

    /// The held-out-values probe settings' holdout: everything except the held-out values, so the
    /// probe draws only what training never saw (held out inside the trained range: an inside probe).
    let onlyHoldout (range: IntRange) (holdout: int list) = [
        for v in range.Lo .. range.Hi do
            if not (List.contains v holdout) then
                v
    ]

    /// Text of a holdout list for Parameters ("none" or "12,17").
    let holdoutText (holdout: int list) =
        if holdout.IsEmpty then
            "none"
        else
            holdout |> List.map string |> String.concat ","

    /// The `holdout` parameter's declaration of a family: "auto" by default, so the default task has a held-out inside
    /// probe, drawn from values training never drew, and can be judged "generalizes" (docs/design.md §4).
    let holdoutSpec (what: string) : ParamSpec = {
        Name = "holdout"
        Default = "auto"
        Help = $"{what} never trained on, e.g. 5,7, or none, or auto: the middle value of a range of 3 or more (held-out probe, inside)"
    }

    /// Reads a `holdout` value for `range`: "auto" holds out the range's middle value when the range has
    /// at least 3 values (so one stays on each side of it and the probe is an interpolation), else nothing.
    let holdoutOf (range: IntRange) (text: string) =
        if text.Trim().ToLowerInvariant() = "auto" then
            (if range.Count >= 3 then
                 [ (range.Lo + range.Hi) / 2 ]
             else
                 [])
        else
            intList "holdout" text
