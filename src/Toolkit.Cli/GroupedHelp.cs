using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Runtime.CompilerServices;
using Toolkit.Configs;

namespace Toolkit.Cli;

/// <summary>Help that lists a command's options under headings (task, model, training, ...) and ends with examples.
/// A command opts in with <see cref="Set"/>; every other command keeps the library's help.</summary>
public static class GroupedHelp
{
    private sealed record Layout(IReadOnlyList<(string Heading, IReadOnlyList<Option> Options)> Groups, IReadOnlyList<string> Examples);

    private static readonly ConditionalWeakTable<Command, Layout> Layouts = new();

    /// <summary>Lists <paramref name="command"/>'s options under the given headings (options not named go under
    /// "other"), then the example command lines.</summary>
    public static void Set(Command command, IReadOnlyList<(string Heading, IEnumerable<Option> Options)> groups, params string[] examples) =>
        Layouts.AddOrUpdate(command, new Layout(groups.Select(g => (g.Heading, (IReadOnlyList<Option>)g.Options.ToList())).ToList(), examples));

    /// <summary>Ends <paramref name="command"/>'s usual help with example command lines.</summary>
    public static void Examples(Command command, params string[] examples) => Layouts.AddOrUpdate(command, new Layout([], examples));

    /// <summary>The example command lines of <paramref name="command"/>'s help.</summary>
    public static IReadOnlyList<string> ExamplesOf(Command command) => Layouts.TryGetValue(command, out var layout) ? layout.Examples : [];

    /// <summary>Makes the root's help option print grouped help for the commands that have a layout.</summary>
    public static void Install(RootCommand root)
    {
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new Action(help.Action!);
    }

    private sealed class Action(CommandLineAction fallback) : SynchronousCommandLineAction
    {
        /// <summary>Like the library's help: `--help` works even where the command line misses a required argument.</summary>
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var command = parseResult.CommandResult.Command;
            var output = parseResult.InvocationConfiguration.Output;
            if (!Layouts.TryGetValue(command, out var layout) || layout.Groups.Count == 0)
            {
                var code = fallback is SynchronousCommandLineAction s ? s.Invoke(parseResult) : 0;
                if (layout is not null) WriteExamples(layout, output);
                return code;
            }
            Write(command, layout, output);
            return 0;
        }
    }

    private const int MaxNameWidth = 34;

    private static void Write(Command command, Layout layout, TextWriter output)
    {
        var path = new List<string>();
        for (Symbol? s = command; s is Command c; s = s.Parents.OfType<Command>().FirstOrDefault())
            path.Insert(0, c is RootCommand ? "toolkit" : c.Name);
        output.WriteLine("Description:");
        output.WriteLine($"  {command.Description}");
        output.WriteLine();
        output.WriteLine("Usage:");
        output.WriteLine($"  {string.Join(' ', path)} [options]");
        var named = layout.Groups.SelectMany(g => g.Options).ToHashSet();
        var visible = command.Options.Concat(command.Parents.OfType<Command>().SelectMany(p => p.Options.Where(o => o.Recursive)))
            .Where(o => !o.Hidden).ToList();
        var groups = new List<(string Heading, List<(string Name, string Text)> Rows)>();
        foreach (var (heading, options) in layout.Groups.Append(("other", visible.Where(o => !named.Contains(o)).ToList())))
            if (options.Where(visible.Contains).Select(Row).ToList() is { Count: > 0 } rows) groups.Add((heading, rows));
        // Names longer than the column get their own line, so one long name does not push every description right.
        var width = Math.Min(groups.SelectMany(g => g.Rows).Max(r => r.Name.Length), MaxNameWidth) + 2;
        foreach (var (heading, rows) in groups)
        {
            output.WriteLine();
            output.WriteLine($"{char.ToUpperInvariant(heading[0])}{heading[1..]}:");
            foreach (var (name, text) in rows)
                output.WriteLine(name.Length + 2 > width ? $"  {name}\n  {new string(' ', width)}{text}" : $"  {name.PadRight(width)}{text}".TrimEnd());
        }
        output.WriteLine();
        WriteExamples(layout, output);
    }

    private static void WriteExamples(Layout layout, TextWriter output)
    {
        if (layout.Examples.Count == 0) return;
        output.WriteLine("Examples:");
        foreach (var e in layout.Examples) output.WriteLine($"  {e}");
        output.WriteLine();
    }

    private static (string Name, string Text) Row(Option o)
    {
        var names = string.Join(", ", o.Aliases.Append(o.Name).Where(a => !a.StartsWith('/')).Distinct().OrderBy(a => a.Length));
        var flag = o is HelpOption || o.ValueType == typeof(bool) && !(o.HasDefaultValue && o.GetDefaultValue() is true);
        var name = flag ? names : $"{names} <{o.HelpName ?? (o.ValueType == typeof(bool) ? "true|false" : o.Name.TrimStart('-'))}>";
        var text = o.Description ?? "";
        if (o.HasDefaultValue && o.GetDefaultValue() is { } d && !(d is bool b && !b) && !(d is Array { Length: 0 }))
            text += $" [default: {Format(d)}]";
        return (name, text);
    }

    private static string Format(object value) => value switch
    {
        bool b => b ? "true" : "false",
        Enum e => e.JsonName(),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
