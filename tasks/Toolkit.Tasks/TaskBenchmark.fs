namespace Toolkit.Tasks

open System.Diagnostics
open FsCheck
open FsCheck.FSharp

/// Generation speed of tasks, for `toolkit bench tasks` (the target is ≥ 5M tokens/s per core).
module TaskBenchmark =
    /// Tokens of one batch of `batch` examples drawn with `seed` (instances and content).
    let private draw (task: ITask) (batch: int) (seed: uint64) =
        let insts = Gen.sampleWithSeed (Rnd(seed)) 100 batch task.Instances
        let mutable n = 0L

        for i in insts do
            n <- n + int64 (task.Build i).Tokens.Length

        n

    /// Tokens per second generating `task` examples on the calling thread (one core) for about
    /// `seconds`, instance draws (FsCheck) and content (FastRng) included.
    /// A warm-up comes first (a fifth of the time, at least 0.2 s) because .NET's tiered JIT runs
    /// unoptimized code at first: without it the first task measured looks 10-40× slower. The
    /// time is then cut into 5 slices and the fastest slice is reported: on a shared machine,
    /// slower slices measure the other processes, not the generator.
    let measure (task: ITask) (seconds: float) : float =
        let batch = 256
        let mutable seed = 1UL

        let run (budget: float) =
            let sw = Stopwatch.StartNew()
            let mutable tokens = 0L

            while sw.Elapsed.TotalSeconds < budget || tokens = 0L do
                tokens <- tokens + draw task batch seed
                seed <- seed + 1UL

            float tokens / sw.Elapsed.TotalSeconds

        run (max 0.2 (seconds / 5.0)) |> ignore
        Seq.init 5 (fun _ -> run (seconds / 5.0)) |> Seq.max

    /// Every catalog family with its default parameters, by name, with its tokens per second
    /// (`toolkit bench tasks`). Families that fail to create with defaults are skipped.
    let catalog (secondsPerTask: float) : (string * float) list = [
        for f in Catalog.All do
            match
                (try
                    Some(f.Create(readOnlyDict []))
                 with :? TaskParameterException ->
                     None)
            with
            | Some task -> f.Name, measure task secondsPerTask
            | None -> ()
    ]
