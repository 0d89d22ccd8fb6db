namespace Toolkit.Tasks

open System
open System.Collections.Generic
open FsCheck

/// Bad task parameters: Message names the problem, Hint the fix.
type TaskParameterException(message: string, hint: string) =
    inherit ArgumentException(message)
    member _.Hint = hint

/// An inclusive integer range written "6..29", or a single value "32".
[<Struct>]
type IntRange = {
    Lo: int
    Hi: int
} with

    member r.Contains x = x >= r.Lo && x <= r.Hi
    member r.Count = r.Hi - r.Lo + 1

    override r.ToString() =
        if r.Lo = r.Hi then string r.Lo else $"{r.Lo}..{r.Hi}"

    static member Single x = { Lo = x; Hi = x }

    /// Parses "a..b" or "a"; `name` is used in the error message.
    static member Parse(name: string, text: string) =
        let fail () =
            raise (TaskParameterException($"{name} '{text}' is not a number or a range", $"write {name} as 32 or 6..29"))

        let num (s: string) =
            match Int32.TryParse(s.Trim()) with
            | true, v -> v
            | _ -> fail ()

        let parts = text.Split("..")

        let r =
            match parts with
            | [| a |] -> IntRange.Single(num a)
            | [| a; b |] -> { Lo = num a; Hi = num b }
            | _ -> fail ()

        if r.Lo > r.Hi then
            raise (TaskParameterException($"{name} range {text} is empty", $"write the smaller bound first, e.g. {r.Hi}..{r.Lo}"))

        r

/// Whether a probe stays inside what the training distribution varied (generalization expected),
/// or asks for extrapolation (reported, never decides a verdict). See docs/design.md §4.
type ProbeKind =
    | Inside
    | Outside

/// One concrete draw of a task: the values of its shape parameters (period, start, ...) and the
/// seed of its random content. Shrinking works on Shape and keeps Seed, so a failing property
/// shrinks to a smaller task, not to another random sequence.
type Instance = {
    Shape: Map<string, int>
    Seed: uint64
}

/// A task: a distribution of examples. Implement this (from F# or C#) to add a task.
type ITask =
    /// Kebab-case family name, e.g. "repeated-copy".
    abstract Name: string
    /// The parameters that define this distribution, canonical text, for config.json and display.
    abstract Parameters: IReadOnlyDictionary<string, string>
    abstract Vocabulary: Vocabulary
    /// Sequence length of every example.
    abstract Context: int
    /// Draws instances of this distribution.
    abstract Instances: Gen<Instance>
    /// Builds the example of an instance; deterministic in the instance.
    abstract Build: Instance -> Example
    /// Smaller valid instances (same seed), simplest first, for FsCheck shrinking.
    abstract Shrink: Instance -> seq<Instance>
    /// Distribution shifts of this task, each declared inside or outside the training family.
    abstract Probes: Probe list
    /// Repetition distances present in training (so head scoring can avoid them); empty if none.
    abstract SeenPeriods: int list
    /// Attention offsets d ≥ 1 that training makes predictive: a head attending exactly d positions back
    /// finds an earlier copy of the current token (d = k·P) or of the next token (d = k·P − 1), for every
    /// trained period P and every earlier copy k the task draws. Head scoring keeps its own offsets off
    /// these, so a fixed-offset memorizer is not credited as an induction or duplicate-token head.
    abstract PredictiveOffsets: int list

/// A named distribution shift of a task.
and Probe = {
    Name: string
    Kind: ProbeKind
    Description: string
    Task: ITask
}

/// A task whose generator's support is stated in closed form: which shapes (Instance.Shape) it draws with
/// non-zero probability (every seed is drawable). An inside probe of a family must draw only shapes its training
/// task never draws (docs/design.md §4); the tests check that for every family, and the verdict reports the share.
/// Optional, like ITokenNames: a task without it is judged as before, its probes' overlap with training unknown.
type IShapeSupport =
    /// Whether this task's generator draws an instance of this shape, or builds the same example from another
    /// shape it draws (text: the same window elsewhere in the corpus).
    abstract Draws: Map<string, int> -> bool

/// A task whose generator draws from a finite list of instances, each with non-zero probability: a full-batch run
/// (training setting full_batch) trains on every one of them at every step instead of drawing a batch.
type IFiniteSupport =
    /// Every instance the generator draws, in a fixed order.
    abstract All: Instance list

/// The training/probe overlap that IShapeSupport makes measurable.
module ShapeSupport =
    /// The share of `instances` (a probe's draws) whose shape `training` could draw; null when `training` does not
    /// state its support (IShapeSupport) or there are no instances.
    let drawnShare (training: ITask) (instances: Instance seq) : Nullable<float> =
        match training with
        | :? IShapeSupport as support ->
            let shapes = Seq.toArray instances

            if shapes.Length = 0 then
                Nullable()
            else
                Nullable(
                    float (shapes |> Array.filter (fun i -> support.Draws i.Shape) |> Array.length)
                    / float shapes.Length
                )
        | _ -> Nullable()

/// Declares one task parameter for help text and validation.
type ParamSpec = {
    Name: string
    Default: string
    Help: string
}

/// Creates tasks of one family from text parameters (as given on the command line).
type ITaskFactory =
    abstract Name: string
    abstract Summary: string
    abstract Parameters: ParamSpec list
    /// Missing parameters take their defaults; unknown or invalid ones raise TaskParameterException.
    abstract Create: IReadOnlyDictionary<string, string> -> ITask

/// Reading text parameters with defaults and clear errors.
module Params =
    /// Fails on any parameter the factory does not declare.
    let checkKnown (taskName: string) (specs: ParamSpec list) (given: IReadOnlyDictionary<string, string>) =
        for kv in given do
            if not (specs |> List.exists (fun s -> s.Name = kv.Key)) then
                let known = specs |> List.map (fun s -> s.Name) |> String.concat ", "
                raise (TaskParameterException($"task {taskName} has no parameter '{kv.Key}'", $"its parameters are: {known}"))

    let get (specs: ParamSpec list) (given: IReadOnlyDictionary<string, string>) name =
        match given.TryGetValue name with
        | true, v -> v
        | _ ->
            match specs |> List.tryFind (fun s -> s.Name = name) with
            | Some s -> s.Default
            | None -> invalidArg "name" $"undeclared parameter {name}"

    let int specs given name =
        let text = get specs given name

        match Int32.TryParse text with
        | true, v -> v
        | _ -> raise (TaskParameterException($"{name} '{text}' is not a whole number", $"give {name} as a number, e.g. --param {name}=64"))

    let bool specs given name =
        match (get specs given name).ToLowerInvariant() with
        | "true"
        | "yes"
        | "1"
        | "on" -> true
        | "false"
        | "no"
        | "0"
        | "off" -> false
        | other -> raise (TaskParameterException($"{name} '{other}' is not true or false", $"use {name}=true or {name}=false"))

    let range specs given name =
        IntRange.Parse(name, get specs given name)

    let choice specs given name (allowed: string list) =
        let v = (get specs given name).ToLowerInvariant()

        if List.contains v allowed then
            v
        else
            let opts = String.concat ", " allowed
            raise (TaskParameterException($"{name} '{v}' is not one of: {opts}", $"choose {name} from: {opts}"))
