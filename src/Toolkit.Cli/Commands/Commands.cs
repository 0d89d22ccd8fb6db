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
                 })
            root.Subcommands.Add(command);
        GroupedHelp.Install(root);
        return root;
    }
}
