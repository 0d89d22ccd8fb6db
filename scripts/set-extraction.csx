// Set extraction (docs/design.md §1, the exaptation test): random tokens with duplicates, SEP, then the
// distinct tokens in order of first appearance and EOS. Train on `set-extraction` and report which
// circuits form (head scores, probes beside the position-only baseline, attention heatmaps). The budget is
// 5,000 steps because the 2-layer attention-only model needs it: measured with
// `./toolkit train --task set-extraction --steps 4000 --lr 3e-3 --eval-every 250`, held-out accuracy was
// 52% at step 800, 74% at 2,400, 81% at 2,800 and 86.6% [84.9%, 88.1%] at 4,000, still rising slowly; with MLP
// blocks (`--attn-only false`, 3,000 steps) 84.4% [82.8%, 86.0%], so attention-only is kept, as in the other scripts.
//   ./toolkit run scripts/set-extraction.csx [--fast] [--out DIR] [--seed N] [--steps 5000]
#load "toolkit.csx"
#load "lib/experiment.csx"
#load "lib/task-circuits.csx"

var exp = new Experiment("set-extraction", "Set extraction: which circuits form", Args);
return TaskCircuits.Run(exp, "set-extraction",
    new() { ["length"] = "8..24", ["distinct"] = "2..10" },
    new() { ["length"] = "4..6", ["distinct"] = "2..3" },
    exp.Setting("--steps", 5000, 20),
    "Task: an input of random tokens with duplicates, SEP, then the set of distinct tokens in order of first appearance, then EOS; the output and EOS are predictable. Emitting the next distinct token needs to find where the previous output token first appeared and what new token followed it — an induction-like lookup plus a 'skip already seen' rule.");
