// The packaged text corpora of the text scripts (poems-vs-articles, text-induction, fine-tuning): where they are and how a
// fortune file splits into texts. ./toolkit fetches them from the Debian registry into .toolkit/corpora. Needs
// lib/experiment.csx loaded first.
using System.Text.RegularExpressions;
using Toolkit;

public static class Corpora
{
    /// <summary>The corpora folder: TOOLKIT_CORPORA (./toolkit exports it), else the clone's .toolkit/corpora found
    /// upwards from the working folder or from the script host (dotnet test runs the scripts from its own folder).</summary>
    public static string Folder { get; } = Environment.GetEnvironmentVariable("TOOLKIT_CORPORA")
        ?? Upwards(Environment.CurrentDirectory) ?? Upwards(AppContext.BaseDirectory) ?? ".toolkit/corpora";

    private static string? Upwards(string start)
    {
        for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            if (Directory.Exists(Path.Combine(d.FullName, ".toolkit", "corpora"))) return Path.Combine(d.FullName, ".toolkit", "corpora");
        return null;
    }

    /// <summary>The corpus file <paramref name="option"/> names, by default <paramref name="file"/> in the corpora folder; a
    /// missing one is an error that says which Debian package ./toolkit fetches it from and what the option takes.</summary>
    public static string Find(Experiment exp, string option, string file, string what, string package, string format)
    {
        var path = exp.Str(option, Path.Combine(Folder, file));
        if (!File.Exists(path))
            throw new ToolkitException($"the {what} {path} does not exist",
                $"run ./toolkit once with access to the Debian registry (it fetches {package} into .toolkit/corpora), or give {option} PATH ({format})");
        return path;
    }

    /// <summary>The poems: the <c>--poems</c> fortune file, by default Debian's songs-poems.</summary>
    public static string Poems(Experiment exp) =>
        Find(exp, "--poems", "songs-poems", "poems corpus", "the fortunes package", "a fortune file: texts separated by lines of %");

    /// <summary>The first <paramref name="bytes"/> bytes of a corpus, written to the output folder: fast mode's corpus
    /// (tokenizing and splitting megabytes is not what a smoke test checks).</summary>
    public static string Prefix(Experiment exp, string path, int bytes = 128 * 1024)
    {
        var prefix = Path.Combine(exp.Out, "corpus-prefix.txt");
        using var source = File.OpenRead(path);
        using var target = File.Create(prefix);
        var buffer = new byte[bytes];
        target.Write(buffer, 0, source.ReadAtLeast(buffer, bytes, throwOnEndOfStream: false));
        return prefix;
    }

    /// <summary>The texts of a fortune file (separated by lines holding only "%"), without their surrounding line breaks;
    /// blank ones are dropped.</summary>
    public static List<string> Fortunes(string path) =>
        Regex.Split(File.ReadAllText(path), @"^%\r?$", RegexOptions.Multiline).Select(p => p.Trim('\n', '\r')).Where(p => p.Trim().Length > 0).ToList();
}
