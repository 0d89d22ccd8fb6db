// The phase change from F#: one seed of the experiment in phase-change.csx, through the same library
// (`dotnet fsi scripts/phase-change.fsx [--full] [--out DIR] [--steps N] [--seed N]`). The default
// here is the fast setting (tiny model, seconds); --full uses the C# script's settings.
// Build the CLI first (`./toolkit --help` does it): toolkit.fsx references its output folder.
#load "toolkit.fsx"

open System
open System.IO
open System.Collections.Generic
open Toolkit.Analysis
open Toolkit.Configs
open Toolkit.Model
open Toolkit.Runs
open Toolkit.Training
open Toolkit.Reports

let args = fsi.CommandLineArgs |> Array.skip 1 |> List.ofArray

let opt name def =
    match List.tryFindIndex ((=) name) args with
    | Some i when i + 1 < args.Length -> args.[i + 1]
    | _ -> def

let full = List.contains "--full" args
let outDir = opt "--out" (Path.Combine("runs", "experiments", "phase-change-fsx"))
let steps = int (opt "--steps" (if full then "1500" else "60"))
let seed = int64 (opt "--seed" "0")
let ctx, vocab = (if full then 64, 64 else 16, 16)
let periods = if full then "6..29" else "3..6"

/// Collects held-out evaluations and head scores as training goes (ITrainingObserver from F#).
type Curves() =
    member val Rows = List<int * float * HeadScoreTable>()

    interface ITrainingObserver with
        member this.OnEvaluation(step, eval, heads) =
            this.Rows.Add((step, eval.Accuracy, heads))

let config =
    RunConfig(
        Model =
            ModelConfig(
                NLayers = 2,
                NHeads = (if full then 4 else 2),
                DModel = (if full then 64 else 16),
                DVocab = vocab,
                NCtx = ctx,
                AttnOnly = true
            ),
        Training =
            TrainingConfig(
                Steps = steps,
                BatchSize = (if full then 64 else 16),
                LearningRate = 3e-3,
                WarmupSteps = (if full then 100 else 2),
                Seed = seed,
                Threads = Environment.ProcessorCount,
                LogEvery = (if full then 20 else 5),
                EvalEvery = (if full then 50 else 10),
                EvalSequences = (if full then 256 else 32),
                CheckpointEvery = 0
            ),
        Task =
            TaskSpec(
                Name = "repeated-copy",
                Parameters = Dictionary(dict [ "period", periods; "context", string ctx; "vocab", string vocab ])
            )
    )

Directory.CreateDirectory outDir |> ignore
let runPath = Path.Combine(outDir, "run")

if Directory.Exists runPath then
    Directory.Delete(runPath, true)

printfn "== Phase change (F#)%s: repeated-copy periods %s, %d steps; output in %s" (if full then "" else " [fast]") periods steps outDir
let curves = Curves()
let result = Trainer.Train(config, runPath, curves)
let phase = PhaseChange.Detect(result.LossCurve)
let xs (s: seq<int>) = s |> Seq.map float |> Array.ofSeq

let report = HtmlReport("Phase change (F# script)")

report
    .AddHeading("Phase change (F# script)")
    .AddLineChart(
        "training loss",
        "step",
        "loss",
        [
            ValueTuple.Create(
                "loss",
                xs (result.LossCurve |> Seq.map (fun struct (s, _) -> s)),
                result.LossCurve |> Seq.map (fun struct (_, l) -> l) |> Array.ofSeq
            )
        ]
    )
    .AddLineChart(
        "best induction score",
        "step",
        "score",
        [
            ValueTuple.Create(
                "induction",
                xs (curves.Rows |> Seq.map (fun (s, _, _) -> s)),
                curves.Rows
                |> Seq.map (fun (_, _, h) -> h.Best(HeadRole.Induction).Induction)
                |> Array.ofSeq
            )
        ]
    )
|> ignore

let reportPath = Path.Combine(outDir, "report.html")
report.Save reportPath

File.WriteAllLines(
    Path.Combine(outDir, "loss.csv"),
    Seq.append [ "step,loss" ] (result.LossCurve |> Seq.map (fun struct (s, l) -> sprintf "%d,%.5f" s l))
)

let best =
    curves.Rows
    |> Seq.map (fun (_, _, h) -> h.Best(HeadRole.Induction).Induction)
    |> Seq.max

match phase with
| null -> printfn "RESULT: phase change: none detected"
| p -> printfn "RESULT: phase change detected at step %d (smoothed loss %.2f -> %.2f)" p.Step p.LossBefore p.LossAfter

printfn
    "RESULT: held-out accuracy %.1f%%; best induction score over training %.3f; induction heads at the end: %s"
    (100.0 * result.FinalEval.Accuracy)
    best
    (match
        result.FinalHeads.Named(HeadRole.Induction)
        |> Seq.map (fun h -> h.Name)
        |> List.ofSeq
     with
     | [] -> "none"
     | l -> String.Join(", ", l))

printfn
    "RESULT: conclusion: %s"
    (if result.FinalHeads.Named(HeadRole.Induction).Count > 0 then
         "induction heads formed; the F# script reached the same library as the C# one."
     else
         "no induction head at these settings (use --full for the real run); the F# script drove the same library as the C# one.")

printfn "report: %s" reportPath
