using System.Text.Json;
using System.Text.RegularExpressions;
using Deedle;

namespace Toolkit.Reports;

/// <summary>A run directory as the report sees it: its name, flattened config and metrics frame.</summary>
public sealed partial class RunData
{
    /// <summary>The run's name (its directory name).</summary>
    public string Name { get; }

    /// <summary>config.json flattened to dotted keys ("model.n_layers") in file order; empty when there is no config.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Config { get; }

    /// <summary>metrics.csv as a frame (empty when the run has none).</summary>
    public Frame<int, string> Metrics { get; }

    /// <summary>Whether the run has a metrics.csv: a run the toolkit did not train (imported, or copied as its
    /// checkpoint only) has none, and its report shows the model alone.</summary>
    public bool HasMetrics { get; }

    /// <summary>Head-score columns by kind ("prev", "dup", "ind"), each (column, layer, head) sorted by layer then head.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<(string Column, int Layer, int Head)>> HeadColumns { get; }

    private RunData(string name, IReadOnlyList<KeyValuePair<string, string>> config, Frame<int, string> metrics, bool hasMetrics)
    {
        Name = name;
        Config = config;
        Metrics = metrics;
        HasMetrics = hasMetrics;
        HeadColumns = metrics.ColumnKeys
            .Select(c => (Column: c, Match: HeadColumn().Match(c)))
            .Where(t => t.Match.Success)
            .GroupBy(t => t.Match.Groups["kind"].Value)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<(string, int, int)>)g
                .Select(t => (t.Column, int.Parse(t.Match.Groups["l"].Value), int.Parse(t.Match.Groups["h"].Value)))
                .OrderBy(t => t.Item2).ThenBy(t => t.Item3).ToList());
    }

    /// <summary>Reads <c>runDir/config.json</c> and <c>runDir/metrics.csv</c> (when there is one).</summary>
    /// <exception cref="ReportException">The directory is missing, or a file is malformed.</exception>
    public static RunData Read(string runDir)
    {
        var full = Path.GetFullPath(runDir);
        if (!Directory.Exists(full))
            throw new ReportException($"run directory not found: {runDir}", "give the folder of a run, e.g. runs/<name> (ls runs/ lists them)");
        var metricsPath = Path.Combine(full, "metrics.csv");
        var hasMetrics = File.Exists(metricsPath);
        Frame<int, string> metrics;
        if (!hasMetrics)
        {
            if (!File.Exists(Path.Combine(full, "config.json")))
                throw new ReportException($"no metrics.csv and no config.json in {runDir}", "the run has not logged any step yet; train it first (toolkit train ...)");
            metrics = Frame.FromColumns(new Dictionary<string, Series<int, double>> { ["step"] = new SeriesBuilder<int, double>().Series });
        }
        else
        {
            try { metrics = CsvFrame.ReadCompleteLines(metricsPath); }
            catch (Exception ex) when (ex is not ReportException)
            {
                throw new ReportException($"cannot read {metricsPath}: {ex.Message}", "metrics.csv must have a header row starting with step,lr,train_loss,...");
            }
            if (!metrics.ColumnKeys.Contains("step"))
                throw new ReportException($"{metricsPath} has no 'step' column", "metrics.csv must have a header row starting with step,lr,train_loss,...");
        }

        var configPath = Path.Combine(full, "config.json");
        var config = new List<KeyValuePair<string, string>>();
        if (File.Exists(configPath))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
                Flatten(doc.RootElement, "", config);
            }
            catch (JsonException ex)
            {
                throw new ReportException($"cannot parse {configPath}: {ex.Message}", "config.json must be a JSON object (keys model, training, task, provenance)");
            }
        }
        return new RunData(Path.GetFileName(Path.TrimEndingDirectorySeparator(full)), config, metrics, hasMetrics);
    }

    private static void Flatten(JsonElement e, string prefix, List<KeyValuePair<string, string>> into)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in e.EnumerateObject()) Flatten(p.Value, prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}", into);
            return;
        }
        var text = e.ValueKind switch
        {
            JsonValueKind.String => e.GetString() ?? "",
            JsonValueKind.Null => "null",
            _ => e.GetRawText(),
        };
        into.Add(new(prefix.Length == 0 ? "(value)" : prefix, text));
    }

    /// <summary>Human names of the score kinds, after the definitions in docs/design.md §4.</summary>
    public static string KindName(string kind) => kind switch
    {
        "prev" => "previous-token",
        "dup" => "duplicate-token",
        "ind" => "induction",
        _ => kind,
    };

    [GeneratedRegex(@"^(?<kind>prev|dup|ind)_L(?<l>\d+)H(?<h>\d+)$")]
    private static partial Regex HeadColumn();
}
