namespace Toolkit;

/// <summary>A problem the user can fix: one line naming the problem, and a hint naming the fix.</summary>
/// <remarks>Thrown at the point the problem is detected and printed once at the program's edge
/// (CLI, script host) as <c>error: ...</c> / <c>hint: ...</c> with exit code 2.</remarks>
public class ToolkitException(string message, string hint) : Exception(message)
{
    /// <summary>How to fix the problem.</summary>
    public string Hint { get; } = hint;

    /// <summary>The process exit code at the program's edge: 2 for bad input, 3 for a diverged run.</summary>
    public virtual int ExitCode => 2;
}
