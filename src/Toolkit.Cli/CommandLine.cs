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
            var name = command == root ? "toolkit" : $"toolkit {command.Name}";
            return Fail(parsed.Errors[0].Message, $"see {name} --help");
        }
        return parsed.Invoke();
    }

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
    }

    /// <summary>Prints <c>error: ...</c> and <c>hint: ...</c> to stderr and returns the bad-input exit code.</summary>
    public static int Fail(string message, string hint, int exitCode = BadInput)
    {
        Console.Error.WriteLine($"error: {message}");
        Console.Error.WriteLine($"hint: {hint}");
        return exitCode;
    }
}
