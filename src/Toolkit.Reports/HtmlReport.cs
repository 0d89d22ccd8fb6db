using System.Text;
using System.Text.Json.Nodes;

namespace Toolkit.Reports;

/// <summary>A self-contained HTML page of headings, text, tables and plotly charts that works offline.</summary>
/// <remarks>
/// plotly.js is inlined (see <see cref="PlotlyJs"/>), so a report is one file that opens anywhere,
/// years later, without network; reports of a sweep share one copy in the sweep's folder (<see cref="Save"/>). Script errors on the page are collected into the element
/// <c>#report-errors</c> so automated checks (and readers) see them.
/// </remarks>
public sealed class HtmlReport
{
    private readonly string _title;
    private readonly List<string> _blocks = [];
    private readonly List<(string Id, JsonArray Data, JsonObject Layout)> _charts = [];
    private readonly List<(string Id, string Text)> _headings = [];

    /// <summary>Starts an empty report with a page title (also shown as the top heading).</summary>
    public HtmlReport(string title) => _title = title;

    /// <summary>The number of charts added so far.</summary>
    public int ChartCount => _charts.Count;

    /// <summary>Adds a section heading, listed in the page's table of contents.</summary>
    public HtmlReport AddHeading(string text)
    {
        var id = $"section-{_headings.Count}";
        _headings.Add((id, text));
        _blocks.Add($"<h2 id=\"{id}\">{Encode(text)}</h2>");
        return this;
    }

    /// <summary>Adds an HTML fragment a library view rendered (it encodes its own text, e.g. <c>VerdictView.Html</c>).</summary>
    public HtmlReport AddHtml(string fragment)
    {
        _blocks.Add(fragment);
        return this;
    }

    /// <summary>Adds a paragraph of plain text.</summary>
    public HtmlReport AddParagraph(string text)
    {
        _blocks.Add($"<p>{Encode(text)}</p>");
        return this;
    }

    /// <summary>Adds a table; rows shorter than the header are padded with empty cells; <paramref name="link"/> makes
    /// cells links (<see cref="Html.Table"/>).</summary>
    public HtmlReport AddTable(string caption, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows,
        Func<IReadOnlyList<string>, int, string?>? link = null)
    {
        _blocks.Add(Html.Table(caption, columns, rows, link));
        return this;
    }

    /// <summary>Adds a line chart with one line per series; NaN values leave gaps. Each marker is a labelled dashed
    /// vertical line at its x (e.g. the phase change's step).</summary>
    public HtmlReport AddLineChart(string title, string xLabel, string yLabel,
        IEnumerable<(string Name, double[] X, double[] Y)> series, bool logY = false, IReadOnlyList<(double X, string Label)>? markers = null)
    {
        var data = new JsonArray();
        foreach (var (name, x, y) in series)
        {
            if (x.Length != y.Length) throw new ArgumentException($"series '{name}': {x.Length} x values but {y.Length} y values");
            data.Add(new JsonObject
            {
                ["type"] = "scatter",
                ["mode"] = x.Length <= 30 ? "lines+markers" : "lines",
                ["name"] = name,
                ["x"] = PlotlyTrace.Numbers(x),
                ["y"] = PlotlyTrace.Numbers(y, positiveOnly: logY),
                ["connectgaps"] = true,
            });
        }
        var layout = PlotlyTrace.Layout(title, xLabel, yLabel, logY);
        if (markers is { Count: > 0 })
        {
            layout["shapes"] = new JsonArray(markers.Select(m => (JsonNode)new JsonObject
            {
                ["type"] = "line", ["xref"] = "x", ["yref"] = "paper", ["x0"] = m.X, ["x1"] = m.X, ["y0"] = 0, ["y1"] = 1,
                ["line"] = new JsonObject { ["color"] = "#d62728", ["dash"] = "dash", ["width"] = 1.5 },
            }).ToArray());
            layout["annotations"] = new JsonArray(markers.Select(m => (JsonNode)new JsonObject
            {
                ["x"] = m.X, ["xref"] = "x", ["y"] = 1, ["yref"] = "paper", ["yanchor"] = "bottom", ["text"] = m.Label, ["showarrow"] = false,
                ["font"] = new JsonObject { ["color"] = "#d62728" },
            }).ToArray());
        }
        return AddChart(data, layout);
    }

    /// <summary>Adds a heatmap; <paramref name="z"/> is indexed [row (y), column (x)].</summary>
    public HtmlReport AddHeatmap(string title, double[,] z, string[] xLabels, string[] yLabels, double? zmin = null, double? zmax = null)
    {
        if (z.GetLength(0) != yLabels.Length || z.GetLength(1) != xLabels.Length)
            throw new ArgumentException($"heatmap '{title}': z is {z.GetLength(0)}×{z.GetLength(1)} but labels are {yLabels.Length}×{xLabels.Length}");
        var rows = new JsonArray();
        for (var i = 0; i < z.GetLength(0); i++)
            rows.Add(PlotlyTrace.Numbers(Enumerable.Range(0, z.GetLength(1)).Select(j => z[i, j])));
        var trace = new JsonObject
        {
            ["type"] = "heatmap",
            ["z"] = rows,
            ["x"] = PlotlyTrace.Strings(xLabels),
            ["y"] = PlotlyTrace.Strings(yLabels),
            ["colorscale"] = "Viridis",
        };
        // Values on the cells while they stay readable.
        if (z.Length <= 144) trace["texttemplate"] = "%{z:.2f}";
        if (zmin is { } lo) trace["zmin"] = lo;
        if (zmax is { } hi) trace["zmax"] = hi;
        var layout = PlotlyTrace.Layout(title, null, null, height: Math.Clamp(120 + 40 * yLabels.Length, 300, 800));
        layout["yaxis"]!["autorange"] = "reversed"; // row 0 on top, like a matrix
        // Labels such as "L0" are categories; a linear axis would not place them.
        layout["xaxis"]!["type"] = "category";
        layout["yaxis"]!["type"] = "category";
        return AddChart(new JsonArray(trace), layout);
    }

    /// <summary>Adds a grouped bar chart: one bar per category for each series.</summary>
    public HtmlReport AddBarChart(string title, string xLabel, string yLabel, IReadOnlyList<string> categories,
        IEnumerable<(string Name, double[] Values)> series)
    {
        var data = new JsonArray();
        foreach (var (name, values) in series)
        {
            if (values.Length != categories.Count) throw new ArgumentException($"series '{name}': {values.Length} values for {categories.Count} categories");
            data.Add(new JsonObject { ["type"] = "bar", ["name"] = name, ["x"] = PlotlyTrace.Strings(categories), ["y"] = PlotlyTrace.Numbers(values) });
        }
        var layout = PlotlyTrace.Layout(title, xLabel, yLabel);
        layout["barmode"] = "group";
        return AddChart(data, layout);
    }

    /// <summary>Adds a node-edge diagram: nodes at (x, y) with labels, edges as lines whose width grows with
    /// |weight|, each labelled at its midpoint (hover shows the label and weight).</summary>
    public HtmlReport AddNetwork(string title, IReadOnlyList<(string Name, double X, double Y)> nodes,
        IReadOnlyList<(string From, string To, string Label, double Weight)> edges)
    {
        var at = nodes.ToDictionary(n => n.Name, n => (n.X, n.Y));
        var data = new JsonArray();
        var max = edges.Count == 0 ? 1 : Math.Max(1e-12, edges.Max(e => Math.Abs(e.Weight)));
        foreach (var e in edges)
        {
            if (!at.TryGetValue(e.From, out var a) || !at.TryGetValue(e.To, out var b))
                throw new ArgumentException($"network '{title}': edge {e.From} → {e.To} names a node that is not drawn");
            data.Add(new JsonObject
            {
                ["type"] = "scatter", ["mode"] = "lines", ["showlegend"] = false, ["hoverinfo"] = "text",
                ["x"] = PlotlyTrace.Numbers([a.X, b.X]), ["y"] = PlotlyTrace.Numbers([a.Y, b.Y]),
                ["text"] = PlotlyTrace.Strings([$"{e.Label}: {e.Weight:F3}", $"{e.Label}: {e.Weight:F3}"]),
                ["line"] = new JsonObject { ["width"] = 1 + 7 * Math.Abs(e.Weight) / max, ["color"] = e.Weight >= 0 ? "#1f77b4" : "#d62728" },
            });
        }
        data.Add(new JsonObject
        {
            ["type"] = "scatter", ["mode"] = "text", ["showlegend"] = false, ["hoverinfo"] = "text",
            ["x"] = PlotlyTrace.Numbers(edges.Select(e => (at[e.From].X + at[e.To].X) / 2)),
            ["y"] = PlotlyTrace.Numbers(edges.Select(e => (at[e.From].Y + at[e.To].Y) / 2)),
            ["text"] = PlotlyTrace.Strings(edges.Select(e => e.Label)),
            ["textfont"] = new JsonObject { ["size"] = 10, ["color"] = "#555" },
        });
        data.Add(new JsonObject
        {
            ["type"] = "scatter", ["mode"] = "markers+text", ["showlegend"] = false, ["textposition"] = "middle right",
            ["x"] = PlotlyTrace.Numbers(nodes.Select(n => n.X)), ["y"] = PlotlyTrace.Numbers(nodes.Select(n => n.Y)),
            ["text"] = PlotlyTrace.Strings(nodes.Select(n => n.Name)),
            ["marker"] = new JsonObject { ["size"] = 14, ["color"] = "#444" },
        });
        var layout = PlotlyTrace.Layout(title, null, null, height: Math.Clamp(160 + 90 * (int)(nodes.Count == 0 ? 1 : nodes.Max(n => n.Y) + 1), 300, 800));
        layout["xaxis"]!["visible"] = false;
        layout["yaxis"]!["visible"] = false;
        return AddChart(data, layout);
    }

    /// <summary>The chart's title becomes an HTML caption above it: long titles wrap there, and never run under
    /// plotly's toolbar.</summary>
    private HtmlReport AddChart(JsonArray data, JsonObject layout)
    {
        var id = $"plot-{_charts.Count}";
        var title = layout["title"]?["text"]?.GetValue<string>() ?? "";
        layout.Remove("title");
        layout["margin"]!["t"] = 30;
        _charts.Add((id, data, layout));
        _blocks.Add($"<p class=\"chart-title\">{Encode(title)}</p><div class=\"plot\" id=\"{id}\"></div>");
        return this;
    }

    /// <summary>The complete page. plotly.js is inlined, or, with <paramref name="plotlySrc"/> (a relative address of a
    /// shared copy), loaded from there; a page without charts has none.</summary>
    public string ToHtml(string? plotlySrc = null)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
        sb.Append("<title>").Append(Encode(_title)).Append("</title>\n<style>").Append(Css).Append("</style>\n");
        // Installed before plotly.js so errors while loading it are caught too.
        sb.Append("<script>window.__reportErrors=[];function __reportError(m){window.__reportErrors.push(String(m));")
          .Append("var e=document.getElementById('report-errors');if(e){e.textContent=window.__reportErrors.join('\\n');e.style.display='block';}}")
          .Append("window.onerror=function(msg,src,line){__reportError(msg+' (line '+line+')');};")
          .Append("window.addEventListener('unhandledrejection',function(e){__reportError(e.reason);});</script>\n");
        if (_charts.Count > 0 && plotlySrc is null) sb.Append("<script>").Append(ScriptSafe(PlotlyJs.Source)).Append("</script>\n");
        else if (_charts.Count > 0)
            sb.Append("<script src=\"").Append(Encode(plotlySrc!)).Append("\" onerror=\"__reportError('the charts need ")
              .Append(Encode(plotlySrc!)).Append(" (plotly.js, written once for every report of this sweep): keep it beside the run folders')\"></script>\n");
        sb.Append("</head><body>\n<h1>").Append(Encode(_title)).Append("</h1>\n");
        sb.Append("<pre id=\"report-errors\" style=\"display:none\"></pre>\n");
        if (_headings.Count > 1)
            sb.Append("<nav class=\"toc\">").AppendJoin(" · ", _headings.Select(h => $"<a href=\"#{h.Id}\">{Encode(h.Text)}</a>")).Append("</nav>\n");
        foreach (var block in _blocks) sb.Append(block).Append('\n');
        sb.Append("<script>\n");
        foreach (var (id, data, layout) in _charts)
        {
            // Default JSON escaping turns '<' into \u003C, so no data can close the script element.
            sb.Append("try{Plotly.newPlot('").Append(id).Append("',").Append(data.ToJsonString()).Append(',')
              .Append(layout.ToJsonString()).Append(",{responsive:true,displaylogo:false}).catch(__reportError);}catch(e){__reportError(e);}\n");
        }
        sb.Append("</script>\n</body></html>\n");
        return sb.ToString();
    }

    /// <summary>Writes the page atomically: to a temporary file beside <paramref name="path"/>, then renamed over it.
    /// With <paramref name="sharedAssets"/> (a folder, e.g. a sweep's), plotly.js is written there once and the page
    /// loads it by a relative address, so a hundred reports do not hold a hundred copies; without, it is inlined and
    /// the page stands alone.</summary>
    public void Save(string path, string? sharedAssets = null)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string? src = null;
        if (sharedAssets is not null && _charts.Count > 0)
        {
            var asset = Path.Combine(Path.GetFullPath(sharedAssets), $"plotly-{PlotlyJs.Version}.min.js");
            if (!File.Exists(asset) || new FileInfo(asset).Length != Encoding.UTF8.GetByteCount(PlotlyJs.Source)) AtomicFile.WriteText(asset, PlotlyJs.Source);
            src = Path.GetRelativePath(Path.GetDirectoryName(full)!, asset).Replace('\\', '/');
        }
        var temp = full + $".tmp-{Environment.ProcessId}";
        File.WriteAllText(temp, ToHtml(src), new UTF8Encoding(false));
        File.Move(temp, full, overwrite: true);
    }

    private static string Encode(string text) => Html.Encode(text);

    private static string ScriptSafe(string js) => js.Replace("</script", "<\\/script", StringComparison.OrdinalIgnoreCase);

    private const string Css =
        "body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}" +
        "h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}" +
        ".plot{width:100%;min-height:300px;margin-bottom:1.5em}" +
        "table{border-collapse:collapse;margin:1em 0;font-size:.9em}caption{text-align:left;font-weight:bold;padding:.3em 0}" +
        "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}th{background:#f4f4f4}" +
        "#report-errors{color:#b00;background:#fee;padding:.5em;border:1px solid #b00}" +
        "nav.toc{font-size:.9em;margin:.5em 0 1em}.chart-title{font-weight:bold;margin:1em 0 0}.toolkit-verdict .verdict{font-size:1.1em}";
}
