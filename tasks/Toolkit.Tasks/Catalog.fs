namespace Toolkit.Tasks

open System
open System.Collections.Concurrent
open System.Collections.Generic

/// The registry of task families. Built-in tasks are registered here; a new task (from F#, C# or a
/// script) registers its factory at run time without editing this file.
type Catalog private () =
    static let factories = ConcurrentDictionary<string, ITaskFactory>(StringComparer.Ordinal)

    static do
        for f in
            [
                RepeatedCopy.Factory
                ShiftedCopy.Factory
                PatternInNoise.Factory
                SetExtraction.Factory
                SourceCopy.Factory
                UniqueToken.Factory
                Ioi.Factory
                Arithmetic.Factory
                ModularAddition.Factory
                Relational.Factory
                TextTask.Factory
            ] do
            factories.[f.Name] <- f

    /// Adds or replaces a task family.
    static member Register(factory: ITaskFactory) = factories.[factory.Name] <- factory

    /// Registers a task family until the returned handle is disposed, then restores whatever was registered
    /// under that name before (nothing, or a built-in): for tests and scripts that add a family for a while,
    /// so the process-wide catalog does not keep it and other code need not skip it by name.
    static member RegisterScoped(factory: ITaskFactory) : IDisposable =
        let previous =
            match factories.TryGetValue factory.Name with
            | true, f -> Some f
            | _ -> None

        factories.[factory.Name] <- factory

        {
            new IDisposable with
                member _.Dispose() =
                    match previous with
                    | Some f -> factories.[factory.Name] <- f
                    | None -> factories.TryRemove(factory.Name) |> ignore
        }

    /// Every registered family, by name.
    static member All: ITaskFactory list =
        factories.Values |> Seq.sortBy (fun f -> f.Name) |> List.ofSeq

    /// The factory of a family, or a TaskParameterException naming the known tasks.
    static member Find(name: string) =
        match factories.TryGetValue name with
        | true, f -> f
        | _ ->
            let known = Catalog.All |> List.map (fun f -> f.Name) |> String.concat ", "
            raise (TaskParameterException($"unknown task '{name}'", $"known tasks: {known}"))

    /// Creates a task of a family from text parameters.
    static member Create(name: string, parameters: IReadOnlyDictionary<string, string>) = (Catalog.Find name).Create parameters
