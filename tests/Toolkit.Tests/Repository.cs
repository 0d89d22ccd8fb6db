namespace Toolkit.Tests;

/// <summary>The repository the tests run from: the directory above the test binaries that holds Toolkit.sln.</summary>
public static class Repository
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Toolkit.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("no Toolkit.sln above the test binaries in " + AppContext.BaseDirectory);
    }
}
