// The packaged text corpora of the text scripts (poems-vs-articles, text-induction, fine-tuning): where they are and how a
// fortune file splits into texts. ./toolkit fetches them from the Debian registry into .toolkit/corpora. Needs
// lib/experiment.csx loaded first.
using System.Text;
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

    /// <summary>The corpus file (or, with <paramref name="folder"/>, the corpus folder) <paramref name="option"/> names, by
    /// default <paramref name="name"/> in the corpora folder; a missing one is an error that says which Debian package
    /// ./toolkit fetches it from and what the option takes.</summary>
    public static string Find(Experiment exp, string option, string name, string what, string package, string format, bool folder = false)
    {
        var path = exp.Str(option, Path.Combine(Folder, name));
        if (!(folder ? Directory.Exists(path) : File.Exists(path)))
            throw new ToolkitException($"the {what} {path} does not exist",
                $"run ./toolkit once with access to the Debian registry (it fetches {package} into .toolkit/corpora), or give {option} {(folder ? "DIR" : "PATH")} ({format})");
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

    /// <summary>The man pages of a folder of roff sources (man*/NAME.SECTION.gz, as ./toolkit unpacks manpages-dev), in
    /// path order: each page's name, its NAME line's summary (what follows "\-") and its DESCRIPTION section as plain text
    /// (paragraphs on their own lines). Pages without both are left out.</summary>
    public static List<(string Page, string Names, string Summary, string Description)> ManPages(string folder)
    {
        var pages = new List<(string, string, string, string)>();
        foreach (var path in Directory.GetFiles(folder, "*.gz", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            using var gz = new System.IO.Compression.GZipStream(File.OpenRead(path), System.IO.Compression.CompressionMode.Decompress);
            var sections = Roff.Sections(new StreamReader(gz).ReadToEnd());
            if (!sections.TryGetValue("NAME", out var name) || !sections.TryGetValue("DESCRIPTION", out var description)) continue;
            var dash = name.IndexOf(" - ", StringComparison.Ordinal);
            if (dash < 0 || description.Length == 0) continue;
            pages.Add((Path.GetFileName(path)[..^3], name[..dash].Trim(), name[(dash + 3)..].Trim(), description));
        }
        return pages;
    }

    /// <summary>The texts of a fortune file (separated by lines holding only "%"), without their surrounding line breaks;
    /// blank ones are dropped.</summary>
    public static List<string> Fortunes(string path) =>
        Regex.Split(File.ReadAllText(path), @"^%\r?$", RegexOptions.Multiline).Select(p => p.Trim('\n', '\r')).Where(p => p.Trim().Length > 0).ToList();
}

/// <summary>Just enough of roff (the man macros the Linux man-pages use) to read a page's sections as plain text: font
/// macros keep their words, paragraph macros start a line, tables, comments and other requests are dropped.</summary>
public static class Roff
{
    private static readonly Dictionary<string, string> Glyphs = new()
    {
        ["em"] = "--", ["en"] = "-", ["aq"] = "'", ["dq"] = "\"", ["lq"] = "\"", ["rq"] = "\"", ["oq"] = "'", ["cq"] = "'",
        ["bu"] = "*", ["ti"] = "~", ["ha"] = "^", ["mu"] = "x", ["<="] = "<=", [">="] = ">=", ["!="] = "!=", ["rs"] = "\\", ["co"] = "(C)",
    };

    /// <summary>Each section (by its .SH title) as plain text.</summary>
    public static Dictionary<string, string> Sections(string source)
    {
        var sections = new Dictionary<string, string>();
        string? current = null;
        var text = new StringBuilder();
        var skipping = false; // inside a table or a code example
        void Close() { if (current is not null) sections.TryAdd(current, Regex.Replace(text.ToString(), @"[ \t]+", " ").Trim().Replace(" \n", "\n").Replace("\n ", "\n")); text.Clear(); }
        foreach (var raw in Regex.Replace(source, @"\\\r?\n", "").Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            // Tables and code examples do not read as prose: dropped.
            if (line.StartsWith(".TS") || line.StartsWith(".EX")) { skipping = true; continue; }
            if (line.StartsWith(".TE") || line.StartsWith(".EE")) { skipping = false; continue; }
            if (skipping || line.StartsWith(".\\\"") || line.StartsWith("'\\\"")) continue;
            if (!line.StartsWith('.') && !line.StartsWith('\'')) { text.Append(Plain(line)).Append(' '); continue; }
            var request = Regex.Match(line, @"^[.'](\S*)\s*(.*)$");
            var (macro, args) = (request.Groups[1].Value, request.Groups[2].Value);
            switch (macro)
            {
                case "SH":
                    Close();
                    current = string.Join(" ", Arguments(args)).ToUpperInvariant();
                    break;
                case "B" or "I" or "SM" or "SB":
                    text.Append(Plain(string.Join(" ", Arguments(args)))).Append(' ');
                    break;
                case "BR" or "IR" or "RB" or "RI" or "BI" or "IB":
                    text.Append(Plain(string.Concat(Arguments(args)))).Append(' ');
                    break;
                case "PP" or "P" or "LP" or "TP" or "sp" or "br" or "SS":
                    text.Append('\n');
                    if (macro == "SS") text.Append(Plain(string.Join(" ", Arguments(args)))).Append('\n');
                    break;
                case "IP":
                    text.Append('\n');
                    if (Arguments(args).FirstOrDefault() is { } tag) text.Append(Plain(tag)).Append(' ');
                    break;
            }
        }
        Close();
        return sections;
    }

    /// <summary>A request's arguments: words, or double-quoted strings.</summary>
    private static List<string> Arguments(string args) =>
        Regex.Matches(args, "\"((?:[^\"]|\"\")*)\"|(\\S+)").Select(m => m.Groups[1].Success ? m.Groups[1].Value.Replace("\"\"", "\"") : m.Groups[2].Value).ToList();

    /// <summary>A text line with its escapes resolved: font changes dropped, glyphs spelled out.</summary>
    private static string Plain(string line)
    {
        line = Regex.Replace(line, @"\\f(\[[^\]]*\]|\(..|.)", "");
        line = Regex.Replace(line, @"\\\((..)|\\\[([^\]]*)\]", m => Glyphs.TryGetValue(m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value, out var g) ? g : "");
        line = Regex.Replace(line, @"\\\*(\(..|\[[^\]]*\]|.)", "");
        return line.Replace("\\-", "-").Replace("\\&", "").Replace("\\%", "").Replace("\\ ", " ").Replace("\\~", " ")
            .Replace("\\|", "").Replace("\\^", "").Replace("\\:", "").Replace("\\c", "").Replace("\\e", "\\");
    }
}
