using System.CommandLine;

namespace Toolkit.Cli.Commands;

/// <summary>The command tree of the toolkit program (also used by tests to run commands in-process).</summary>
public static class Commands
{
    public static RootCommand Root()
    {
        var root = new RootCommand("Toolkit: train small transformers and find out whether they learned an algorithm or memorized positions.");
        foreach (var command in new[]
                 {
                     DemoCommand.Create(), TasksCommand.Create(), AuditCommand.Create(), LensCommand.Create(), TrainCommand.Create(), EvalCommand.Create(), HeadsCommand.Create(),
                     AnalyzeCommand.Create(), PatchCommand.Create(), CircuitCommand.Create(), ProbeCommand.Create(), CheckCommand.Create(), CheckCausalCommand.Create(), FinetuneCommand.Create(), SampleCommand.Create(),
                     ReportCommand.Create(), ImportCommand.Create(), ExportCommand.Create(), RunCommand.Create(), BenchCommand.Create(), SweepCommand.Create(), CollectCommand.Create(),
                     SuperpositionCommand.Create(), GrokkingCommand.Create(),
                 })
            root.Subcommands.Add(command);
        foreach (var (path, examples) in Examples)
        {
            Command command = root;
            foreach (var name in path.Split(' ')) command = command.Subcommands.Single(c => c.Name == name);
            GroupedHelp.Examples(command, examples);
        }
        GroupedHelp.Install(root);
        return root;
    }

    /// <summary>The example command lines at the end of each command's help (train's are with its grouped options).</summary>
    private static readonly (string Command, string[] Examples)[] Examples =
    [
        ("demo", ["toolkit demo", "toolkit demo --seed 3 --out runs/demo-3"]),
        ("tasks", ["toolkit tasks", "toolkit tasks show repeated-copy --param period=6..29 --count 3"]),
        ("tasks show", ["toolkit tasks show set-extraction --probe held-out --baseline"]),
        ("audit", ["toolkit audit --task repeated-copy --period 32"]),
        ("lens", ["toolkit lens runs/variable"]),
        ("eval", ["toolkit eval runs/variable", "toolkit eval runs/variable --period 30..32      (beyond the trained range)"]),
        ("heads", ["toolkit heads runs/variable"]),
        ("analyze", ["toolkit analyze runs/variable"]),
        ("patch", ["toolkit patch runs/variable", "toolkit patch runs/variable --path L0H2 L1H1 --through k", "toolkit patch runs/ioi            (an ioi run: S2 replaced by a third name, logit[IO] − logit[S] at the last \"to\")"]),
        ("circuit", ["toolkit circuit runs/variable", "toolkit circuit runs/variable --method eap --threshold 0.02"]),
        ("probe", ["toolkit probe runs/variable", "toolkit probe runs/variable --seeds 5 --train-missing   (trains runs/variable-seed1..4 first)"]),
        ("check", ["toolkit check runs/variable --property \"accuracy >= 0.9\" --over period=6..32 start=0..20"]),
        ("check-causal", ["toolkit check-causal runs/variable"]),
        ("finetune", ["toolkit finetune runs/variable --task shifted-copy --steps 300 --out runs/shifted-from-variable"]),
        ("sample", ["toolkit sample runs/variable", "toolkit sample runs/text --prompt \"The \" --strategy top-p --p 0.9 --max-tokens 40"]),
        ("report", ["toolkit report runs/variable", "toolkit report runs/fixed runs/variable   (side by side, written beside the runs)"]),
        ("import", ["toolkit import model.safetensors --config cfg.json --task repeated-copy --out runs/imported"]),
        ("export", ["toolkit export runs/variable --out exported/variable"]),
        ("run", ["toolkit run scripts/hello.csx", "toolkit run scripts/fixed-vs-variable-period.csx --fast"]),
        ("bench", ["toolkit bench train", "toolkit bench contention --rounds 3"]),
        ("bench train", ["toolkit bench train --rounds 5 --threads 2"]),
        ("bench tasks", ["toolkit bench tasks --seconds 2"]),
        ("bench analysis", ["toolkit bench analysis --d-vocab 64,50257"]),
        ("bench profile", ["toolkit bench profile --steps 300"]),
        ("bench optimizer", ["toolkit bench optimizer --rounds 5"]),
        ("bench memory", ["toolkit bench memory --steps 10000"]),
        ("bench phase-change", ["toolkit bench phase-change --seeds 3 --lr 0.003,0.01 --warmup-steps 100,20 --batch-size 64,32"]),
        ("bench variants", ["toolkit bench variants --rounds 3"]),
        ("bench contention", ["toolkit bench contention --rounds 3   (on an idle machine: it times two trainings at once)"]),
        ("bench seeds", ["toolkit bench seeds --seeds 4 --rounds 3   (on an idle machine: seeds one after the other against the seed runner)"]),
        ("bench allocator", ["toolkit bench allocator --rounds 5   (on an idle machine: glibc's default allocator, libtorch's huge pages and the toolkit's heap, at the demo's vocabulary and at GPT-2's)"]),
        ("sweep", ["toolkit sweep grid.json --out sweeps/periods --workers 2", "toolkit sweep grid.json --out sweeps/periods --slurm --dry-run", "toolkit sweep grids/text-induction.json --out sweeps/text-induction --slurm --time 12:00:00"]),
        ("collect", ["toolkit collect sweeps/periods"]),
        ("superposition", ["toolkit superposition --threads 1", "toolkit superposition --features 5 --hidden 2 --sparsity 0,0.5,0.9 --importance 1   (the pentagon at S 0.9)"]),
        ("grokking", ["toolkit grokking runs/grok", "toolkit grokking runs/grok --every 10"]),
    ];
}
