using System.CommandLine;
using Toolkit.Tasks;

namespace Toolkit.Cli;

/// <summary>Parsing, and the program's edge: every user-fixable error becomes one line plus a hint, exit 2.</summary>
public static class CommandLine
{
    /// <summary>Exit code for bad input.</summary>
    public const int BadInput = 2;

    /// <summary>Parses and runs; parse errors print one line and a hint instead of a usage dump.</summary>
    public static int Invoke(RootCommand root, string[] args)
    {
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var command = parsed.CommandResult.Command;
            var parents = new List<Command>();
            for (var r = parsed.CommandResult.Parent as System.CommandLine.Parsing.CommandResult; r is not null; r = r.Parent as System.CommandLine.Parsing.CommandResult)
                parents.Add(r.Command);
            var name = string.Join(' ', parents.Select(p => p == root ? "toolkit" : p.Name).Reverse().Append(command == root ? "toolkit" : command.Name));
            // A mistyped command or option: name it, and the nearest one that exists.
            if (parsed.UnmatchedTokens.FirstOrDefault() is { } unknown)
            {
                var what = unknown.StartsWith('-') ? "option" : "command";
                if (what == "option" && Suggestion.RenamedTo(command, unknown, parents) is { } renamed)
                    return Fail($"option '{unknown}' of {name} is now named after its config.json key", $"write {renamed} (see {name} --help)");
                var nearest = NearestName.Of(unknown, Suggestion.Candidates(command, unknown, parents));
                return Fail($"unknown {what} '{unknown}' for {name}",
                    nearest is null ? $"see {name} --help" : $"did you mean {nearest}? (see {name} --help)");
            }
            // One line: the library's messages can span several (a list of allowed values).
            var error = parsed.Errors[0];
            var message = System.Text.RegularExpressions.Regex.Replace(error.Message.Trim(), @"\s*\n\s*", " ");
            if (error.SymbolResult is System.CommandLine.Parsing.OptionResult { Option: var option } && !message.Contains(option.Name))
                message = $"{option.Name}: {message}";
            return Fail(message, $"see {name} --help");
        }
        // The library's default handler would print a stack trace; every error goes through Guard instead.
        return Guard(() => parsed.Invoke(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false }));
    }

    /// <summary>Exit code for an unexpected error (a bug, or a failure the toolkit does not know yet):
    /// EX_SOFTWARE of sysexits.h, distinct from 1 (<c>check</c> found a counterexample).</summary>
    public const int InternalError = 70;

    /// <summary>Runs a command body, turning known errors into one clear line each.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (ToolkitException e)
        {
            return Fail(e.Message, e.Hint, e.ExitCode);
        }
        catch (TaskParameterException e)
        {
            return Fail(e.Message, e.Hint);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail($"cannot read or write a file: {e.Message}", "check the path, its permissions and free disk space");
        }
        catch (Exception e)
        {
            // Never a stack trace on the terminal: one line, and the trace in a file for a bug report.
            var trace = Path.Combine(Path.GetTempPath(), $"toolkit-error-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}.txt");
            try { File.WriteAllText(trace, e.ToString()); } catch (Exception) { trace = "(could not be written)"; }
            var first = e.Message.Split('\n')[0].Trim();
            return Fail($"unexpected {e.GetType().Name}: {first}", $"this is a toolkit bug or an unchecked input; the full trace is in {trace}", InternalError);
        }
    }

    /// <summary>A comma-separated list of numbers, or an error naming the option and an example.</summary>
    public static List<T> NumberList<T>(string text, string option, string example, Func<string, IFormatProvider, T> parse)
    {
        try
        {
            var values = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(x => parse(x, System.Globalization.CultureInfo.InvariantCulture)).ToList();
            if (values.Count > 0) return values;
        }
        catch (Exception e) when (e is FormatException or OverflowException) { }
        throw new ToolkitException($"{option} {text} is not a comma-separated list of numbers", $"use {option} {example}, for example");
    }

    /// <summary>Prints <c>error: ...</c> and <c>hint: ...</c> to stderr and returns the bad-input exit code.</summary>
    public static int Fail(string message, string hint, int exitCode = BadInput)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine($"hint: {hint}");
        return exitCode;
    }
}
