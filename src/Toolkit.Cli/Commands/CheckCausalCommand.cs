using System.CommandLine;
using Toolkit.Analysis;
using Toolkit.Runs;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit check-causal RUN</c>: the leak detector on a run's latest checkpoint (training runs it
/// on the initial model by itself). Exit code 0 when causal (or a masked LM, non-causal by design), 1 when a later token moves an earlier logit.</summary>
public static class CheckCausalCommand
{
    public static Command Create()
    {
        var run = new RunInput();
        var command = new Command("check-causal", "Change tokens after a position t and check that no logit at a position ≤ t moves; on a leak, name the first activation that moved.");
        run.AddTo(command);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var opened = run.Open(r);
            var config = opened.Config;
            using var model = opened.LoadModel();
            var report = CausalityCheck.Run(model, (ulong)config.Training.Seed);
            Console.WriteLine(report);
            if (model.Config.MaskedLm)
            {
                // Reading both directions is what a masked LM is; the token it predicts is hidden by the corruption instead.
                Console.WriteLine($"(a masked LM, mask_token {model.Config.MaskToken}: it reads both directions by design, and the leak detector does not apply)");
                return 0;
            }
            if (!report.Causal && config.Training.AllowNonCausal)
                Console.WriteLine("(the run was trained with --allow-noncausal: it is meant to see the whole input)");
            return report.Causal ? 0 : 1;
        }));
        return command;
    }
}
