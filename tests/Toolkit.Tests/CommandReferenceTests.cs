using System.CommandLine;
using System.Text;

namespace Toolkit.Tests;

/// <summary>docs/reference.md is the CLI's own help, every command and subcommand, generated: this test fails when the
/// file differs from what the program prints, and rewrites it when TOOLKIT_WRITE_REFERENCE=1.</summary>
public class CommandReferenceTests
{
    /// <summary>Every command path below the root, depth first in the order the program declares them.</summary>
    private static IEnumerable<string[]> Paths(Command command, string[] prefix)
    {
        foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
        {
            var path = prefix.Append(sub.Name).ToArray();
            yield return path;
            foreach (var deeper in Paths(sub, path)) yield return deeper;
        }
    }

    /// <summary>The reference as the program prints it today.</summary>
    public static string Generate()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# Command reference");
        sb.AppendLine();
        sb.AppendLine("Generated from the program's own `--help` (`TOOLKIT_WRITE_REFERENCE=1 ./toolkit test 'FullyQualifiedName~CommandReference'`");
        sb.AppendLine("rewrites it; the test fails when it is out of date). What each command is for, by task: [guide.md](guide.md).");
        var root = Cli.Commands.Commands.Root();
        foreach (var path in new[] { Array.Empty<string>() }.Concat(Paths(root, [])))
        {
            var (code, output, error) = CliRunner.InProcess([.. path, "--help"]);
            Assert.That(code, Is.EqualTo(0), $"toolkit {string.Join(' ', path)} --help: {error}");
            sb.AppendLine();
            sb.AppendLine($"## toolkit {string.Join(' ', path)}".TrimEnd());
            sb.AppendLine();
            sb.AppendLine("```");
            sb.AppendLine(string.Join('\n', output.Replace("\r", "").TrimEnd().Split('\n').Select(Normalize)));
            sb.AppendLine("```");
        }
        return sb.ToString();
    }

    /// <summary>One help line as a reader of any machine sees it: the test host's name is the program's, and the
    /// thread default (this machine's core count) is named, not printed.</summary>
    private static string Normalize(string line)
    {
        line = line.TrimEnd().Replace("testhost", "toolkit");
        return line.TrimStart().StartsWith("--threads", StringComparison.Ordinal)
            ? System.Text.RegularExpressions.Regex.Replace(line, @"\[default: \d+\]$", "[default: the number of cores]")
            : line;
    }

    /// <summary>Every example in the help is a command line the program parses (the comment after it aside), and every
    /// command has at least one.</summary>
    [Test]
    public void Every_command_has_examples_and_they_parse()
    {
        var root = Cli.Commands.Commands.Root();
        foreach (var path in Paths(root, []))
        {
            var command = path.Aggregate((Command)root, (c, name) => c.Subcommands.Single(s => s.Name == name));
            var examples = Cli.GroupedHelp.ExamplesOf(command);
            if (command.Subcommands.Count == 0 || path is ["tasks"] or ["bench"])
                Assert.That(examples, Is.Not.Empty, $"toolkit {string.Join(' ', path)} has no examples in its help");
            foreach (var example in examples)
            {
                var line = System.Text.RegularExpressions.Regex.Replace(example, @"\s{2,}\(.*\)$", "");
                var args = System.Text.RegularExpressions.Regex.Matches(line, "\"[^\"]*\"|\\S+").Select(m => m.Value.Trim('"')).Skip(1).ToArray();
                var parsed = root.Parse(args);
                Assert.That(parsed.Errors, Is.Empty, $"example '{example}': {string.Join("; ", parsed.Errors.Select(e => e.Message))}");
            }
        }
    }

    [Test]
    public void The_command_reference_is_the_programs_own_help()
    {
        var file = Path.Combine(Repository.Root(), "docs", "reference.md");
        var generated = Generate();
        if (Environment.GetEnvironmentVariable("TOOLKIT_WRITE_REFERENCE") == "1")
            File.WriteAllText(file, generated);
        Assert.That(File.Exists(file), Is.True, "docs/reference.md is missing: run with TOOLKIT_WRITE_REFERENCE=1");
        Assert.That(File.ReadAllText(file), Is.EqualTo(generated),
            "docs/reference.md differs from the program's help: run TOOLKIT_WRITE_REFERENCE=1 ./toolkit test 'FullyQualifiedName~CommandReference'");
    }
}
