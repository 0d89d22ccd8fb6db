using System.CommandLine;
using Toolkit.Tasks;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit audit --task NAME [--param k=v ...]</c>: the shortcut audit, before any training: how far
/// each simple strategy gets on the task's predictable positions, in distribution and on every probe.</summary>
public static class AuditCommand
{
    public static Command Create()
    {
        var taskOptions = new TaskOptions();
        var examples = new Option<int>("--examples") { Description = "examples to fit the strategies on (and half as many to score them)", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong>("--seed") { Description = "seed of the examples", DefaultValueFactory = _ => 1UL };
        var command = new Command("audit", "Shortcut audit: which simple strategies (position table, unigram, bigram, fixed offset, induction) already solve a task");
        taskOptions.AddTo(command);
        command.Options.Add(examples);
        command.Options.Add(seed);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var count = r.GetValue(examples);
            if (count < 10 || count > 1_000_000)
                throw new ToolkitException($"--examples {count} is outside 10..1000000", "use --examples 1000, for example");
            var task = taskOptions.Read(r, null).Create();
            Console.Write(Render(task, r.GetValue(seed), count));
            return 0;
        }));
        return command;
    }

    /// <summary>The audit as a table: one row per strategy, one column for the task and each probe (the strategies
    /// are always fitted on the training distribution, as a model would be).</summary>
    public static string Render(ITask task, ulong seed, int examples)
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine($"shortcut audit of {task.Name} {string.Join(" ", task.Parameters.Select(kv => $"{kv.Key}={kv.Value}"))}");
        sb.AppendLine($"accuracy on predictable positions; strategies fitted on {examples} training examples, scored on {examples / 2} fresh ones of each set");
        var columns = ShortcutAudit.table(task, seed, examples, examples / 2).Select(c => (Name: c.Item1, Rows: c.Item2.ToList())).ToList();
        var nameWidth = columns[0].Rows.Max(r => r.Name.Length) + 2;
        sb.Append("  ".PadRight(nameWidth + 2));
        foreach (var (name, _) in columns) sb.Append(name.PadLeft(Math.Max(name.Length, 8) + 2));
        sb.AppendLine();
        for (var i = 0; i < columns[0].Rows.Count; i++)
        {
            sb.Append("  " + columns[0].Rows[i].Name.PadRight(nameWidth));
            foreach (var (name, rows) in columns) sb.Append(rows[i].Accuracy.ToString("P1").PadLeft(Math.Max(name.Length, 8) + 2));
            sb.AppendLine();
        }
        sb.AppendLine("strategies:");
        foreach (var r in columns[0].Rows) sb.AppendLine($"  {r.Name.PadRight(nameWidth)}{r.Description}");
        var best = columns[0].Rows.Where(r => r.Name is not "induction" and not "chance").MaxBy(r => r.Accuracy)!;
        sb.AppendLine(best.Accuracy >= 0.9
            ? $"a shortcut solves this task: {best.Name} reaches {best.Accuracy:P1} in distribution, so a model that solves it may not have learned the algorithm; the probes show where the shortcut breaks"
            : $"no simple shortcut solves this task in distribution (the best, {best.Name}, reaches {best.Accuracy:P1})");
        return sb.ToString();
    }
}
