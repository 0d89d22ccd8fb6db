namespace Toolkit.Tasks

open System
open FsCheck
open FsCheck.FSharp

/// A small, fast, deterministic random generator (SplitMix64) for filling an instance's content.
/// FsCheck draws the instance's shape and seed; the bulk of tokens comes from here, which keeps
/// generation far faster than training (a Gen bind per token would not be).
type FastRng(seed: uint64) =
    let mutable state = seed

    member _.NextUInt64() =
        state <- state + 0x9E3779B97F4A7C15UL
        let mutable z = state
        z <- (z ^^^ (z >>> 30)) * 0xBF58476D1CE4E5B9UL
        z <- (z ^^^ (z >>> 27)) * 0x94D049BB133111EBUL
        z ^^^ (z >>> 31)

    /// Uniform in [lo, hi] (inclusive), by Lemire's multiply-shift (bias below 2^-32 for small ranges).
    member r.Between(lo: int, hi: int) =
        let n = uint64 (hi - lo + 1)
        lo + int ((r.NextUInt64() >>> 32) * n >>> 32)

    /// `count` distinct values from [lo, hi], in random order (partial Fisher-Yates).
    member r.Distinct(lo: int, hi: int, count: int) : int[] =
        let pool = Array.init (hi - lo + 1) (fun i -> lo + i)

        for i in 0 .. count - 1 do
            let j = r.Between(i, pool.Length - 1)
            let t = pool.[i]
            pool.[i] <- pool.[j]
            pool.[j] <- t

        Array.sub pool 0 count

/// Deterministic sampling of examples: the same task, seed and count give the same examples.
module Sampling =
    /// FsCheck's size parameter; tasks draw their shapes from explicit ranges, not from size.
    let private size = 100

    /// The generator of examples of a task.
    let generator (task: ITask) : Gen<Example> = task.Instances |> Gen.map task.Build

    /// `count` instances drawn with `seed`.
    let instances (task: ITask) (seed: uint64) (count: int) : Instance[] =
        Gen.sampleWithSeed (Rnd(seed)) size count task.Instances

    /// `count` examples drawn with `seed`.
    let examples (task: ITask) (seed: uint64) (count: int) : Example[] =
        instances task seed count |> Array.map task.Build

    /// A 64-bit random seed as an FsCheck generator (two 32-bit halves: full range, no bias).
    let seed: Gen<uint64> =
        gen {
            let! hi = Gen.choose (Int32.MinValue, Int32.MaxValue)
            let! lo = Gen.choose (Int32.MinValue, Int32.MaxValue)
            return (uint64 (uint32 hi) <<< 32) ||| uint64 (uint32 lo)
        }
