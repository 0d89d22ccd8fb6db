using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Toolkit.Tests.Stability;

/// <summary>src/Toolkit.Core's namespaces are layers that point one way (docs/design.md §2): a namespace may use
/// only namespaces below it in <see cref="Layers"/>. Read from the code as the compiler binds it (Roslyn): every name
/// that binds to a type or member of another of the library's namespaces is an edge.</summary>
public class NamespaceLayerTests
{
    /// <summary>The layers, bottom first. Toolkit is the root (errors, devices, kept-alive Scalars).</summary>
    public static readonly string[] Layers =
    [
        "Toolkit", "Configs", "Model", "Data", "Losses", "Generation", "Evaluation", "Analysis", "Runs", "Training", "Superposition",
        "Interop", "Verdicts", "Sweeps", "Experiments",
    ];

    /// <summary>The layer a namespace belongs to: Toolkit.Analysis.Patching is Analysis.</summary>
    private static string Layer(string name)
    {
        if (name == "Toolkit") return "Toolkit";
        return name.StartsWith("Toolkit.", StringComparison.Ordinal) ? name.Split('.')[1] : "";
    }

    /// <summary>Every edge against the order, as "From -> To (file:line: name)", first occurrence per file and pair.</summary>
    public static IReadOnlyList<string> BackEdges(IEnumerable<(string Path, string Text)> sources)
    {
        var (compilation, trees) = CoreCompilation.Compile(sources);
        var found = new List<string>();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            var seen = new HashSet<(string, string)>();
            foreach (var name in tree.GetRoot().DescendantNodes().OfType<SimpleNameSyntax>())
            {
                var symbol = model.GetSymbolInfo(name).Symbol;
                if (symbol is null or INamespaceSymbol) continue;
                if (symbol is IMethodSymbol { ReducedFrom: { } reduced }) symbol = reduced;
                // Only the library's own namespaces are layers; the task catalog (Toolkit.Tasks) is another assembly below them all.
                if (!SymbolEqualityComparer.Default.Equals(symbol.ContainingAssembly, compilation.Assembly)) continue;
                var target = symbol is INamedTypeSymbol type ? type.ContainingNamespace : symbol.ContainingType?.ContainingNamespace;
                var declaration = name.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault();
                if (target is null || declaration is null) continue;
                var (from, to) = (Layer(declaration.Name.ToString()), Layer(target.ToDisplayString()));
                if (from == "" || to == "" || from == to) continue;
                var (fromRank, toRank) = (Array.IndexOf(Layers, from), Array.IndexOf(Layers, to));
                if (fromRank >= 0 && toRank >= 0 && toRank < fromRank) continue;
                if (!seen.Add((from, to))) continue;
                var line = name.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                var why = fromRank < 0 || toRank < 0 ? " (a namespace with no layer: add it to Layers)" : "";
                found.Add($"{from} -> {to}{why} ({Path.GetFileName(tree.FilePath)}:{line}: {symbol.ToDisplayString()})");
            }
        }
        return found;
    }

    [Test]
    public void Every_namespace_uses_only_the_layers_below_it()
    {
        var edges = BackEdges(CoreCompilation.Sources());
        Assert.That(edges, Is.Empty,
            $"layers, bottom first: {string.Join(" → ", Layers)}; these references point up:\n" + string.Join("\n", edges));
    }

    [Test]
    public void A_planted_back_edge_fails_the_check()
    {
        var planted = CoreCompilation.Sources().Append(("Planted.cs", """
            namespace Toolkit.Model;
            internal static class Planted { public static object Up() => typeof(Toolkit.Verdicts.GeneralizationVerdict); }
            """));
        Assert.That(BackEdges(planted), Has.Some.StartWith("Model -> Verdicts (Planted.cs"));
    }
}
