// Set extraction (docs/design.md §1, the exaptation test): random tokens with duplicates, SEP, then the
// distinct tokens in order of first appearance and EOS. Train on `set-extraction` and report which
// circuits form (head scores, probes beside the position-only baseline, attention heatmaps).
//   ./toolkit run scripts/set-extraction.csx [--fast] [--out DIR] [--seed N] [--steps 1000]
#load "toolkit.csx"
#load "lib/experiment.csx"
#load "lib/task-circuits.csx"

var exp = new Experiment("set-extraction", "Set extraction: which circuits form", Args);
return TaskCircuits.Run(exp, "set-extraction",
    new() { ["length"] = "8..24", ["distinct"] = "2..10" },
    new() { ["length"] = "4..6", ["distinct"] = "2..3" },
    exp.Setting("--steps", 1000, 20),
    "Task: an input of random tokens with duplicates, SEP, then the set of distinct tokens in order of first appearance, then EOS; the output and EOS are predictable. Emitting the next distinct token needs to find where the previous output token first appeared and what new token followed it — an induction-like lookup plus a 'skip already seen' rule.");
