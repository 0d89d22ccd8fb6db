using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Toolkit.Tests.Stability;

/// <summary>Finds, in the library's sources, the TorchSharp 0.107 calls that create a temporary
/// <c>Scalar</c> the finalizer thread can free while native code still reads it (the demo's
/// intermittent "Expected false to be true ... Scalar.h" crash): implicit numeric → Scalar
/// conversions, the tensor <c>+</c> operator, operators with a number operand and the one-argument <c>add</c>/<c>add_</c>
/// overloads (both pass an implicit alpha = 1). A line may opt out with a <c>// scalar-ok: why</c>
/// comment, for code that never runs repeatedly.</summary>
public class ImplicitScalarCheckTests
{
    /// <summary>Every violation in src/Toolkit.Core, as "file:line: what".</summary>
    public static IReadOnlyList<string> Violations(IEnumerable<(string Path, string Text)> sources)
    {
        var (compilation, trees) = CoreCompilation.Compile(sources);

        var found = new List<string>();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            var text = tree.GetText();
            void Report(SyntaxNode node, string what)
            {
                var line = node.GetLocation().GetLineSpan().StartLinePosition.Line;
                if (text.Lines[line].ToString().Contains("// scalar-ok:", StringComparison.Ordinal)) return;
                found.Add($"{Path.GetFileName(tree.FilePath)}:{line + 1}: {what}: {node}");
            }
            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                switch (node)
                {
                    case ExpressionSyntax expr when IsImplicitScalar(model, expr):
                        Report(expr, "implicit conversion to Scalar");
                        break;
                    case BinaryExpressionSyntax or AssignmentExpressionSyntax when IsUnsafeTensorOperator(model.GetSymbolInfo(node).Symbol):
                        Report(node, "tensor operator (makes a Scalar: alpha = 1, or a number)");
                        break;
                    case InvocationExpressionSyntax call when model.GetSymbolInfo(call).Symbol is IMethodSymbol m
                                                             && m.Name is "add" or "add_" && m.Parameters.Length == 1 && IsTorchType(m.Parameters[0].Type):
                        Report(call, "one-argument add (implicit alpha = 1)");
                        break;
                }
            }
        }
        return found;
    }

    private static bool IsTorchType(ITypeSymbol? type) =>
        type?.ContainingNamespace?.ToDisplayString().StartsWith("TorchSharp", StringComparison.Ordinal) == true;

    /// <summary>Tensor + (add with an implicit alpha = 1) and any tensor operator with a number operand
    /// (converted to a Scalar inside TorchSharp). Tensor -, * and / tensor call native code directly.</summary>
    private static bool IsUnsafeTensorOperator(ISymbol? symbol) =>
        symbol is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator } op && IsTorchType(op.ContainingType)
        && (op.Name is "op_Addition" || op.Parameters.Any(p => !IsTorchType(p.Type)));

    private static bool IsImplicitScalar(SemanticModel model, ExpressionSyntax expr)
    {
        var info = model.GetTypeInfo(expr);
        return info.ConvertedType is { Name: "Scalar" } converted && IsTorchType(converted)
            && !SymbolEqualityComparer.Default.Equals(info.Type, converted)
            && model.GetConversion(expr).IsUserDefined;
    }

    [Test]
    public void The_library_creates_no_temporary_Scalar()
    {
        var violations = Violations(CoreCompilation.Sources());
        Assert.That(violations, Is.Empty,
            "use a kept-alive Scalar (Toolkit.Scalars, or a field) and add(x, Scalars.One) instead:\n" + string.Join("\n", violations));
    }

    [TestCase("var c = a + b;", "tensor operator")]
    [TestCase("var c = a - 1;", "tensor operator")]
    [TestCase("var c = a * 0.5;", "tensor operator")]
    [TestCase("var c = a.masked_fill(a.gt(b), double.NegativeInfinity);", "implicit conversion")]
    [TestCase("var c = a.clamp_min(1);", "implicit conversion")]
    [TestCase("var c = a.add(b);", "one-argument add")]
    [TestCase("a.add_(b);", "one-argument add")]
    [TestCase("a += b;", "tensor operator")]
    public void The_check_catches_a_planted_temporary_Scalar(string statement, string expected)
    {
        var source = $$"""
            using TorchSharp;
            using static TorchSharp.torch;
            static class Planted { static void F(Tensor a, Tensor b) { {{statement}} } }
            """;
        Assert.That(Violations(new[] { ("Planted.cs", source) }), Has.Some.Contain(expected));
    }

    [TestCase("var c = a.add(b, Toolkit.Scalars.One);")]
    [TestCase("var c = a.mul(b);")]
    [TestCase("var c = a * b / b - a;")]
    [TestCase("var c = a + b; // scalar-ok: planted, allowed")]
    public void The_check_accepts_kept_alive_Scalars(string statement)
    {
        var source = $$"""
            using TorchSharp;
            using static TorchSharp.torch;
            namespace Toolkit { static class Scalars { public static readonly Scalar One = 1.ToScalar(); } }
            static class Planted { static void F(Tensor a, Tensor b) {
                {{statement}}
            } }
            """;
        Assert.That(Violations(new[] { ("Planted.cs", source) }), Is.Empty);
    }
}
