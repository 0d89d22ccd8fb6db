using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Linq;
using Spectre.Console;
using Toolkit.Tasks;

namespace Toolkit.Cli.Commands;

/// <summary>`toolkit tasks`: lists the task catalog; `toolkit tasks show NAME`: prints examples.</summary>
/// <remarks>A thin shell over Toolkit.Tasks (Catalog, Sampling, TaskRender, PositionBaselines): the CLI
/// and the library expose the same operations. Bad parameters print one error line and a hint, exit 2.</remarks>
public static class TasksCommand
{
    /// <summary>Builds the `tasks` command with its `show` subcommand.</summary>
    public static Command Create()
    {
        var tasks = new Command("tasks", "List the task catalog: every task, its parameters and one sample");
        tasks.SetAction(_ => Guarded(List));

        var name = new Argument<string>("name") { Description = "Task name, e.g. repeated-copy" };
        var param = new Option<string[]>("--param", "-p")
        {
            Description = "A task parameter key=value (repeatable), e.g. --param period=6..29",
            AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => Array.Empty<string>(),
        };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the examples", DefaultValueFactory = _ => 1UL };
        var count = new Option<int>("--count") { Description = "Number of examples", DefaultValueFactory = _ => 3 };
        var probe = new Option<string?>("--probe") { Description = "Show examples of this probe instead of the training distribution" };
        var baseline = new Option<bool>("--baseline") { Description = "Also measure the position-only baseline on the task and each probe" };

        var show = new Command("show", "Print examples of a task, predictable (masked) positions highlighted");
        show.Arguments.Add(name);
        show.Options.Add(param);
        show.Options.Add(seed);
        show.Options.Add(count);
        show.Options.Add(probe);
        show.Options.Add(baseline);
        show.SetAction(parseResult => Guarded(() => Show(
            parseResult.GetValue(name)!,
            parseResult.GetValue(param) ?? Array.Empty<string>(),
            parseResult.GetValue(seed),
            parseResult.GetValue(count),
            parseResult.GetValue(probe),
            parseResult.GetValue(baseline))));
        tasks.Subcommands.Add(show);
        return tasks;
    }

    /// <summary>Runs an action; a TaskParameterException becomes "error:" and "hint:" lines and exit code 2.</summary>
    static int Guarded(Func<int> action)
    {
        try { return action(); }
        catch (TaskParameterException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine($"hint: {e.Hint}");
            return 2;
        }
    }

    static int List()
    {
        foreach (var factory in Catalog.All)
        {
            AnsiConsole.MarkupLine($"[bold]{Markup.Escape(factory.Name)}[/]  {Markup.Escape(factory.Summary)}");
            foreach (var p in factory.Parameters)
                AnsiConsole.MarkupLine($"    [blue]{Markup.Escape(p.Name),-12}[/] {Markup.Escape(p.Default),-10} {Markup.Escape(p.Help)}");
            var task = factory.Create(new Dictionary<string, string>());
            var example = Sampling.examples(task, 1UL, 1)[0];
            AnsiConsole.Markup("    sample: ");
            AnsiConsole.MarkupLine(Highlight(task, example));
            AnsiConsole.WriteLine();
        }
        AnsiConsole.MarkupLine(AnsiConsole.Profile.Capabilities.Ansi
            ? "[dim]Predictable (masked) positions in [/][green]green[/][dim]. Details: toolkit tasks show NAME --param key=value[/]"
            : "Predictable (masked) positions in [[brackets]]. Details: toolkit tasks show NAME --param key=value");
        return 0;
    }

    static int Show(string name, string[] parameters, ulong seed, int count, string? probeName, bool baseline)
    {
        var task = Catalog.Create(name, ParseParameters(parameters));
        var shown = task;
        if (probeName is not null)
        {
            var probe = task.Probes.FirstOrDefault(p => p.Name == probeName)
                ?? throw new TaskParameterException($"task {name} has no probe '{probeName}'",
                    $"its probes are: {string.Join(", ", task.Probes.Select(p => p.Name))}");
            shown = probe.Task;
        }

        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(task.Name)}[/]  " +
            Markup.Escape(string.Join(" ", task.Parameters.Select(kv => $"{kv.Key}={kv.Value}"))));
        AnsiConsole.MarkupLine($"vocabulary {task.Vocabulary.Size} (reserved: {Markup.Escape(string.Join(" ", task.Vocabulary.Reserved))}), context {task.Context}");
        foreach (var p in task.Probes)
            AnsiConsole.MarkupLine($"  probe [blue]{Markup.Escape(p.Name)}[/] ({(p.Kind.IsInside ? "inside" : "outside")}): {Markup.Escape(p.Description)}");
        if (probeName is not null) AnsiConsole.MarkupLine($"[bold]examples of probe {Markup.Escape(probeName)}:[/]");
        AnsiConsole.WriteLine();

        foreach (var example in Sampling.examples(shown, seed, count))
        {
            AnsiConsole.MarkupLine($"[dim]{Markup.Escape(Render.meta(example))}[/]");
            AnsiConsole.MarkupLine(Highlight(shown, example));
            AnsiConsole.WriteLine();
        }

        AnsiConsole.WriteLine(AuditCommand.Render(task, seed, 500));
        if (baseline)
        {
            AnsiConsole.MarkupLine("position-only baseline (fit on 500 training examples, scored on 300 of each):");
            foreach (var row in PositionBaselines.measure(task, seed, 500, 300))
                AnsiConsole.MarkupLine($"  {Markup.Escape(row.Name),-18} {row.Kind,-8} baseline {row.Baseline,6:P1}   chance {row.Chance,6:P1}");
        }
        return 0;
    }

    /// <summary>"key=value" strings to a dictionary; a malformed one is a parameter error.</summary>
    static IReadOnlyDictionary<string, string> ParseParameters(IEnumerable<string> parameters) =>
        TaskOptions.ParseAssignments(parameters,
            p => new TaskParameterException($"--param '{p}' is not key=value", "write e.g. --param period=6..29"));

    /// <summary>Markup of an example: masked positions green and bold, the rest dim; a trailing PAD run shortened.</summary>
    static string Highlight(ITask task, Example example)
    {
        var segments = TaskRender.segments(task, example);
        var last = segments.Length - 1;
        var pad = task.Vocabulary.Reserved.FirstOrDefault() == "PAD" ? 0 : -1;
        while (last > 0 && example.Tokens[last] == pad && !example.LossMask[last]) last--;
        // Without ANSI colors (pipes, TERM=dumb) the highlight would vanish: bracket masked tokens instead.
        var color = AnsiConsole.Profile.Capabilities.Ansi;
        var parts = segments.Take(last + 1).Select(s =>
            s.Item2 ? (color ? $"[bold green]{Markup.Escape(s.Item1)}[/]" : Markup.Escape($"[{s.Item1}]"))
                    : (color ? $"[grey]{Markup.Escape(s.Item1)}[/]" : Markup.Escape(s.Item1)));
        var text = string.Join(" ", parts);
        return last < segments.Length - 1 ? $"{text} [grey]PAD×{segments.Length - 1 - last}[/]" : text;
    }
}
