using System.Net;
using System.Text;

namespace Toolkit;

/// <summary>HTML fragments shared by every view of a result (run reports, notebooks): text is always encoded.</summary>
public static class Html
{
    /// <summary>Text encoded for HTML.</summary>
    public static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A table with a caption; rows shorter than the header are padded with empty cells. A cell for which
    /// <paramref name="link"/> (row, column index) gives an address is a link to it.</summary>
    public static string Table(string caption, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows,
        Func<IReadOnlyList<string>, int, string?>? link = null)
    {
        var sb = new StringBuilder("<table>");
        sb.Append("<caption>").Append(Encode(caption)).Append("</caption><thead><tr>");
        foreach (var c in columns) sb.Append("<th>").Append(Encode(c)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        foreach (var row in rows)
        {
            sb.Append("<tr>");
            for (var i = 0; i < columns.Count; i++)
            {
                var text = Encode(i < row.Count ? row[i] : "");
                sb.Append("<td>").Append(link?.Invoke(row, i) is { } href ? $"<a href=\"{Encode(href)}\">{text}</a>" : text).Append("</td>");
            }
            sb.Append("</tr>");
        }
        return sb.Append("</tbody></table>").ToString();
    }
}
