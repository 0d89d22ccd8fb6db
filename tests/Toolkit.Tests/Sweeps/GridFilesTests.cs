using Toolkit.Sweeps;

namespace Toolkit.Tests.Sweeps;

/// <summary>The grids shipped in grids/ stay valid: each parses, and expands (every run checked as toolkit train checks it)
/// from the clone's root, where their relative corpus paths resolve.</summary>
public class GridFilesTests
{
    public static IEnumerable<TestCaseData> Grids() =>
        Directory.GetFiles(Path.Combine(Repository.Root(), "grids"), "*.json").Order(StringComparer.Ordinal)
            .Select(p => new TestCaseData(p).SetName($"Grid_expands({Path.GetFileNameWithoutExtension(p)})"));

    [TestCaseSource(nameof(Grids))]
    public void Grid_expands(string path)
    {
        var grid = SweepGrid.Read(path);
        Assert.That(grid.Count, Is.GreaterThan(0));
        var corpus = Path.Combine(Repository.Root(), ".toolkit", "corpora", "python-docs.txt");
        if (File.ReadAllText(path).Contains("python-docs.txt", StringComparison.Ordinal) && !File.Exists(corpus))
            Assert.Inconclusive($"{corpus} is missing (./toolkit fetches it at set-up from the Debian registry)");
        var cwd = Environment.CurrentDirectory;
        try
        {
            Environment.CurrentDirectory = Repository.Root();
            Assert.That(grid.Expand(), Has.Count.EqualTo(grid.Count));
        }
        finally
        {
            Environment.CurrentDirectory = cwd;
        }
    }
}
