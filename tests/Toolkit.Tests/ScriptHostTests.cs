using System.CommandLine;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Toolkit.Cli.Commands;
using Toolkit.Cli.Scripting;

namespace Toolkit.Tests;

/// <summary>The .csx host: directives, Args, error formats, the nuget rule and the compiled-script cache.</summary>
[TestFixture]
public class ScriptHostTests
{
    private string _dir = "";
    private string _cache = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("toolkit-script-").FullName;
        _cache = Path.Combine(_dir, ".cache");
    }

    [TearDown]
    public void TearDown()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private (int Code, string Out, string Err) Run(string script, params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = ScriptHost.Run(script, args, output, error, _cache);
        return (code, output.ToString(), error.ToString());
    }

    private static string Rel(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);

    [Test]
    public void Load_and_Args_reach_the_script()
    {
        Write("lib.csx", "static string Greet(string name) => \"hello \" + name;\n");
        var main = Write("main.csx", "#load \"lib.csx\"\nConsole.WriteLine(Greet(Args[0]) + \" \" + Args.Count);\n");
        var (code, output, error) = Run(main, "world", "--steps", "3");
        Assert.That(error, Is.Empty);
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output.Trim(), Is.EqualTo("hello world 3"));
    }

    [Test]
    public void An_int_the_script_returns_is_the_exit_code()
    {
        var main = Write("main.csx", "return Args.Count + 40;\n");
        Assert.That(Run(main, "a", "b").Code, Is.EqualTo(42));
    }

    private static string ExperimentScript(string name) => Path.Combine(Repository.Root(), "scripts", name + ".csx");

    [Test]
    public void An_experiment_names_an_option_it_does_not_read_and_the_nearest_one_without_a_stack_trace()
    {
        var (code, output, error) = Run(ExperimentScript("new-task"), "--fast", "--stesp", "3");
        Assert.That(code, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain("error: new-task.csx has no option --stesp"));
        Assert.That(error, Does.Contain("did you mean --steps?"));
        Assert.That(error, Does.Not.Contain(" at "), "no stack trace");
        Assert.That(output, Does.Not.Contain("-- training"), "nothing ran");
    }

    [Test]
    public void An_experiment_names_a_bad_number()
    {
        var (code, _, error) = Run(ExperimentScript("new-task"), "--fast", "--steps", "5x");
        Assert.That(code, Is.EqualTo(2), error);
        Assert.That(error, Does.Contain("--steps expects a whole number, got '5x'"));
    }

    [Test]
    public void An_experiments_help_lists_its_options_and_exits_0()
    {
        var (code, output, error) = Run(ExperimentScript("new-task"), "--help");
        Assert.That(code, Is.EqualTo(0), error);
        Assert.That(output, Does.Contain("./toolkit run scripts/new-task.csx"), "the header comment");
        Assert.That(output, Does.Contain("--pairs").And.Contain("--steps").And.Contain("--threads"));
    }

    [Test]
    public void Compile_errors_print_file_line_col_and_exit_2()
    {
        Write("lib.csx", "static int Twice(int x) => x * 2;\n");
        var main = Write("main.csx", "#load \"lib.csx\"\n// a comment\nint n = \"not a number\";\nConsole.WriteLine(Twice(n));\n");
        var (code, output, error) = Run(main);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Is.Empty);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines, Has.Length.EqualTo(1), error);
        Assert.That(lines[0], Does.StartWith($"{Rel(main)}(3,9): error CS0029:"));
        Assert.That(lines[0], Does.Match(@"^.+\(\d+,\d+\): .+$"));
    }

    [Test]
    public void Compile_errors_in_a_loaded_file_name_that_file()
    {
        var lib = Write("lib.csx", "static int Broken() => undefinedName;\n");
        var main = Write("main.csx", "#load \"lib.csx\"\nConsole.WriteLine(Broken());\n");
        var (code, _, error) = Run(main);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error.Trim(), Does.StartWith($"{Rel(lib)}(1,24): error CS0103:"));
    }

    [Test]
    public void Runtime_errors_print_the_message_and_the_script_line_and_exit_1()
    {
        var main = Write("main.csx", "Console.WriteLine(\"before\");\nvar items = new List<int>();\n\nvar first = items.First();\nConsole.WriteLine(\"after\");\n");
        var (code, output, error) = Run(main);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(output.Trim(), Is.EqualTo("before"));
        Assert.That(error.Trim(), Does.StartWith($"{Rel(main)}(4,"));
        Assert.That(error, Does.Contain("InvalidOperationException: Sequence contains no elements"));
    }

    [Test]
    public void Runtime_errors_in_a_loaded_function_name_the_loaded_line()
    {
        var lib = Write("lib.csx", "static void Fail(string why)\n{\n    throw new ArgumentException(why);\n}\n");
        var main = Write("main.csx", "#load \"lib.csx\"\nFail(\"bad input\");\n");
        var (code, _, error) = Run(main);
        Assert.That(code, Is.EqualTo(1));
        Assert.That(error.Trim(), Does.StartWith($"{Rel(lib)}(3,"));
        Assert.That(error, Does.Contain("bad input"));
    }

    [Test]
    public void Nuget_directive_for_a_carried_package_references_the_toolkit_copy()
    {
        var main = Write("main.csx", "#r \"nuget: Spectre.Console, 0.57.0\"\nConsole.WriteLine(typeof(Spectre.Console.AnsiConsole).Assembly.GetName().Name);\n");
        var (code, output, error) = Run(main);
        Assert.That(error, Is.Empty);
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output.Trim(), Is.EqualTo("Spectre.Console"));
    }

    [Test]
    public void Nuget_directive_for_another_package_is_rejected_in_one_line()
    {
        var main = Write("main.csx", "#r \"nuget: Humanizer, 2.14.1\"\nConsole.WriteLine(1);\n");
        var (code, _, error) = Run(main);
        Assert.That(code, Is.EqualTo(2));
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines, Has.Length.EqualTo(1), error);
        Assert.That(lines[0], Does.StartWith($"{Rel(main)}(1,1): error: package 'Humanizer' is not carried by the toolkit"));
        Assert.That(lines[0], Does.Contain("available:").And.Contain("TorchSharp").And.Contain("FsCheck"));
    }

    [Test]
    public void Relative_r_paths_resolve_against_the_script_folder()
    {
        // An assembly the toolkit does not carry, so it is resolved by path and loaded beside the script.
        Directory.CreateDirectory(Path.Combine(_dir, "lib"));
        var code = "public static class Greeter { public static string Hi(string n) => \"hi \" + n; }";
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p) is "System.Runtime.dll" or "System.Private.CoreLib.dll")
            .Select(p => Microsoft.CodeAnalysis.MetadataReference.CreateFromFile(p));
        var compilation = Microsoft.CodeAnalysis.CSharp.CSharpCompilation.Create("Greeter",
            [Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(code)], references,
            new Microsoft.CodeAnalysis.CSharp.CSharpCompilationOptions(Microsoft.CodeAnalysis.OutputKind.DynamicallyLinkedLibrary));
        using (var dll = File.Create(Path.Combine(_dir, "lib", "Greeter.dll")))
        {
            var emitted = compilation.Emit(dll);
            Assert.That(emitted.Success, string.Join("\n", emitted.Diagnostics));
        }

        var main = Write("main.csx", "#r \"lib/Greeter.dll\"\nConsole.WriteLine(Greeter.Hi(Args[0]));\n");
        foreach (var _ in new[] { "compiled", "cached" })
        {
            var (exit, output, error) = Run(main, "there");
            Assert.That(error, Is.Empty);
            Assert.That((exit, output.Trim()), Is.EqualTo((0, "hi there")));
        }
    }

    [Test]
    public void Second_run_of_an_unchanged_script_uses_the_cache()
    {
        Write("lib.csx", "static int Value() => 1;\n");
        var main = Write("main.csx", "#load \"lib.csx\"\nConsole.WriteLine(Value());\n");
        var before = ScriptHost.CompileCount;
        Assert.That(Run(main).Out.Trim(), Is.EqualTo("1"));
        Assert.That(ScriptHost.CompileCount, Is.EqualTo(before + 1));

        Assert.That(Run(main).Out.Trim(), Is.EqualTo("1"));
        Assert.That(ScriptHost.CompileCount, Is.EqualTo(before + 1), "an unchanged script must not be recompiled");
        Assert.That(Directory.GetFiles(_cache, "script.dll", SearchOption.AllDirectories), Has.Length.EqualTo(1));

        // Editing a #load'ed file changes the key.
        Write("lib.csx", "static int Value() => 2;\n");
        Assert.That(Run(main).Out.Trim(), Is.EqualTo("2"));
        Assert.That(ScriptHost.CompileCount, Is.EqualTo(before + 2));
    }

    [Test]
    public void Failed_compiles_are_not_cached()
    {
        var main = Write("main.csx", "this is not C#\n");
        var before = ScriptHost.CompileCount;
        Assert.That(Run(main).Code, Is.EqualTo(2));
        Assert.That(Run(main).Code, Is.EqualTo(2));
        Assert.That(ScriptHost.CompileCount, Is.EqualTo(before + 2));
    }

    [Test]
    public void Missing_script_prints_error_and_hint()
    {
        var (code, _, error) = Run(Path.Combine(_dir, "nope.csx"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error, Does.StartWith("error: script not found").And.Contain("hint: "));
    }

    [Test]
    public void The_repository_prelude_gives_scripts_the_toolkit()
    {
        var hello = RepoFile("scripts/hello.csx");
        if (hello is null) Assert.Inconclusive("scripts/hello.csx not found above the test folder");
        var (code, output, error) = Run(hello!, "a", "b");
        Assert.That(error, Is.Empty);
        Assert.That(code, Is.EqualTo(0));
        Assert.That(output.Trim(), Is.EqualTo("toolkit script ok: sum=6 args=[a, b]"));
    }

    [Test]
    public void Run_command_passes_every_token_after_the_script_to_Args()
    {
        var main = Write("main.csx", "Console.WriteLine(string.Join(\"|\", Args));\n");
        var root = new RootCommand { RunCommand.Create() };
        var oldOut = Console.Out;
        var captured = new StringWriter();
        Console.SetOut(captured);
        int code;
        try { code = root.Parse(["run", main, "x", "--steps", "3", "-v"]).Invoke(); }
        finally { Console.SetOut(oldOut); }
        Assert.That(code, Is.EqualTo(0));
        Assert.That(captured.ToString().Trim(), Is.EqualTo("x|--steps|3|-v"));
    }

    internal static string? RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
