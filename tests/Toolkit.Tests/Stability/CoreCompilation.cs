using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Toolkit.Tests.Stability;

/// <summary>src/Toolkit.Core's sources compiled by Roslyn as the build compiles them, for the checks that read the
/// library's code (temporary Scalars, the namespace layers).</summary>
public static class CoreCompilation
{
    /// <summary>Every .cs file of src/Toolkit.Core (not bin/ or obj/), with its text.</summary>
    public static IReadOnlyList<(string Path, string Text)> Sources()
    {
        var core = Path.Combine(Repository.Root(), "src", "Toolkit.Core");
        var sep = Path.DirectorySeparatorChar;
        return Directory.GetFiles(core, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{sep}obj{sep}") && !f.Contains($"{sep}bin{sep}"))
            .Order(StringComparer.Ordinal)
            .Select(f => (f, File.ReadAllText(f))).ToList();
    }

    /// <summary>The sources compiled against the test's own references (the library's packages), with the SDK's
    /// implicit usings; fails the test when the compilation has errors, since a check must see what the compiler sees.</summary>
    public static (CSharpCompilation Compilation, IReadOnlyList<SyntaxTree> Trees) Compile(IEnumerable<(string Path, string Text)> sources)
    {
        var options = new CSharpParseOptions(LanguageVersion.Preview);
        var list = sources.ToList();
        // The project's own global using (Toolkit.Core.csproj), when the library's sources are among them.
        var configs = list.Any(s => s.Text.Contains("namespace Toolkit.Configs;", StringComparison.Ordinal)) ? " global using Toolkit.Configs;" : "";
        var implicitUsings = CSharpSyntaxTree.ParseText(
            "global using System; global using System.IO; global using System.Linq; global using System.Collections.Generic; " +
            "global using System.Threading; global using System.Threading.Tasks; global using System.Net.Http;" + configs, options);
        var trees = list.Select(s => CSharpSyntaxTree.ParseText(s.Text, options, s.Path)).ToList();
        // Never the built library itself (the test host lists it among the trusted assemblies too): its sources are what
        // is compiled, and a second copy would make every extension method of the library ambiguous (CS0121).
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Concat(Directory.GetFiles(AppContext.BaseDirectory, "*.dll"))
            .Where(f => !f.EndsWith("Toolkit.Core.dll", StringComparison.Ordinal))
            .Where(File.Exists).DistinctBy(Path.GetFileName).Select(f => MetadataReference.CreateFromFile(f));
        var compilation = CSharpCompilation.Create("CoreCheck", trees.Append(implicitUsings), references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));
        // CS8795: [GeneratedRegex] partial methods, whose other half a source generator writes.
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error && d.Id != "CS8795").Take(5).ToList();
        Assert.That(errors, Is.Empty, "the check must see the sources as the compiler does");
        return (compilation, trees);
    }
}
