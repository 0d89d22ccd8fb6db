using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;

namespace Toolkit.Cli.Scripting;

/// <summary>Loads a compiled script assembly and runs it, turning exceptions into a script location.</summary>
/// <remarks>Roslyn-free: this is the whole cost of a cached run besides the process start.</remarks>
internal static class ScriptRunner
{
    /// <summary>Runs the script's entry point; returns the exit code (an int the script returns, else 0; a
    /// <see cref="ToolkitException"/>'s code, printed as error and hint; 1 on any other exception).</summary>
    public static int Run(string assemblyPath, IReadOnlyList<string> extraReferences, IEnumerable<string> args, TextWriter error)
    {
        var context = new ScriptLoadContext(extraReferences);
        var assembly = context.LoadFromAssemblyPath(assemblyPath);
        // Roslyn compiles a script into class Submission#0 with a static <Factory>(object[] states);
        // states[0] holds the globals, the next slot receives the submission itself.
        var factory = assembly.GetType("Submission#0")?.GetMethod("<Factory>", BindingFlags.Static | BindingFlags.Public)
                      ?? throw new InvalidOperationException($"{assemblyPath} is not a compiled script");
        var states = new object?[] { new ScriptGlobals(args), null };
        try
        {
            var task = (Task<object>)factory.Invoke(null, [states])!;
            var result = task.GetAwaiter().GetResult();
            return result is int code ? code : 0;
        }
        catch (Exception ex)
        {
            var root = ex is TargetInvocationException { InnerException: { } inner } ? inner : ex;
            if (root is ToolkitException problem)
            {
                // A problem the user can fix (a bad argument, say): the message and its fix, no stack trace.
                if (problem.Message.Length > 0) error.WriteLine($"error: {problem.Message}");
                if (problem.Hint.Length > 0) error.WriteLine($"hint: {problem.Hint}");
                return problem.ExitCode;
            }
            error.WriteLine(Describe(root));
            return 1;
        }
    }

    /// <summary>"file(line,col): error: Type: message", at the innermost script frame that threw.</summary>
    public static string Describe(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            var frame = new StackTrace(e, fNeedFileInfo: true).GetFrames()
                .FirstOrDefault(f => f.GetFileName() is { } file && IsScriptFile(file) && f.GetFileLineNumber() > 0);
            if (frame is not null)
                return ScriptDiagnostic.Format(frame.GetFileName()!, frame.GetFileLineNumber(), Math.Max(1, frame.GetFileColumnNumber()),
                    $"error: {ex.GetType().Name}: {ex.Message}");
        }
        return $"error: {ex.GetType().Name}: {ex.Message}";
    }

    private static bool IsScriptFile(string file) =>
        file.EndsWith(".csx", StringComparison.OrdinalIgnoreCase);

    /// <summary>Loads the script on its own, resolving its <c>#r</c> files; everything else comes from the host.</summary>
    private sealed class ScriptLoadContext(IReadOnlyList<string> extraReferences) : AssemblyLoadContext(isCollectible: false)
    {
        protected override Assembly? Load(AssemblyName name)
        {
            // Prefer what the host already has, so toolkit types are the same types on both sides.
            if (Default.Assemblies.Any(a => a.GetName().Name == name.Name)) return null;
            var file = extraReferences.FirstOrDefault(r => Path.GetFileNameWithoutExtension(r) == name.Name);
            return file is null ? null : LoadFromAssemblyPath(file);
        }
    }
}
