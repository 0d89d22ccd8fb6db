// A random motif hidden in noise (docs/design.md §1: the only simple general solution is induction):
// train on `pattern-in-noise` and report which circuits form (head scores, probes beside the
// position-only baseline, attention heatmaps of the top heads on one example).
//   ./toolkit run scripts/pattern-in-noise.csx [--fast] [--out DIR] [--seed N] [--steps 1000]
#load "toolkit.csx"
#load "lib/experiment.csx"
#load "lib/task-circuits.csx"

var exp = new Experiment("pattern-in-noise", "Pattern in noise: which circuits form", Args);
return TaskCircuits.Run(exp, "pattern-in-noise",
    new() { ["motif"] = "3..8", ["occurrences"] = "2..4" },
    new() { ["motif"] = "3..4", ["occurrences"] = "2" },
    exp.Setting("--steps", 1000, 20),
    "Task: a random motif occurs at two or more random, non-overlapping places in random noise; the later occurrences (after their first token) are predictable. No fixed offset works, so a memorized position cannot solve it.");
