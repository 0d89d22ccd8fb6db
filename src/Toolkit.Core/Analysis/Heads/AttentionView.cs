using System.Globalization;
using System.Text;
using System.Text.Json;
using Toolkit.Model;
using Toolkit.Tasks;

namespace Toolkit.Analysis;

/// <summary>An interactive view of every head's attention on one sequence, in the manner of CircuitsVis: the tokens as
/// text, a head selector, and hovering a token colours the others by how much it attends to them (or, switched, how
/// much they attend to it), beside the head's pattern as a grid. One self-contained HTML fragment (no network, a few
/// lines of script), the same in run reports and notebooks.</summary>
public static class AttentionView
{
    /// <summary>One head of the view: its label (e.g. "L1H0 (prev 0.02, induction 0.91)") and pattern [dest, src].</summary>
    public sealed record Head(string Label, double[,] Pattern);

    /// <summary>A sequence with every head's attention on it: what the view shows (notebooks display it as the view).</summary>
    public sealed record Sequence(IReadOnlyList<string> Tokens, IReadOnlyList<Head> Heads)
    {
        /// <summary>The view's HTML (<see cref="AttentionView.Html"/>).</summary>
        public string Html(string id = "attention") => AttentionView.Html(Tokens, Heads, id);
    }

    /// <summary>Every self-attention head of <paramref name="model"/> on one example, labelled with its head scores when
    /// given (most induction- or previous-token-like first), else in layer order.</summary>
    public static Sequence Of(HookedTransformer model, Vocabulary vocabulary, Example example, HeadScoreTable? scores = null)
    {
        var patterns = AttentionPattern.AllHeads(model, example);
        var heads = scores is null
            ? (from l in Enumerable.Range(0, patterns.Length) from h in Enumerable.Range(0, patterns[l].Length) select new Head($"L{l}H{h}", patterns[l][h])).ToList()
            : scores.Heads.OrderByDescending(h => Math.Max(h.Induction, h.PreviousToken))
                .Select(h => new Head($"L{h.Layer}H{h.Head} (prev {h.PreviousToken:F2}, induction {h.Induction:F2})", patterns[h.Layer][h.Head])).ToList();
        return new Sequence(example.Tokens.Select(t => vocabulary.Show(t)).ToList(), heads);
    }

    /// <summary>The fragment for <paramref name="tokens"/> (one label per position) and the heads' patterns; the first
    /// head is shown first. <paramref name="id"/> keeps several views on one page apart.</summary>
    public static string Html(IReadOnlyList<string> tokens, IReadOnlyList<Head> heads, string id = "attention")
    {
        if (heads.Count == 0) throw new ArgumentException("an attention view needs at least one head");
        foreach (var h in heads)
            if (h.Pattern.GetLength(0) != tokens.Count || h.Pattern.GetLength(1) != tokens.Count)
                throw new ArgumentException($"head {h.Label}: pattern is {h.Pattern.GetLength(0)}×{h.Pattern.GetLength(1)} for {tokens.Count} tokens");
        var n = tokens.Count;
        // Patterns as rows of numbers at 3 decimals: small enough to embed, exact enough to read.
        var data = JsonSerializer.Serialize(new
        {
            tokens,
            heads = heads.Select(h => h.Label),
            patterns = heads.Select(h => Enumerable.Range(0, n).Select(i => Enumerable.Range(0, n).Select(j => Math.Round(h.Pattern[i, j], 3)))),
        });
        var safeId = new string(id.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '-').ToArray());
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<div class=\"toolkit-attention\" id=\"{safeId}\">");
        sb.Append("<div class=\"controls\"><label>head <select class=\"head\">");
        for (var i = 0; i < heads.Count; i++) sb.Append(CultureInfo.InvariantCulture, $"<option value=\"{i}\">{Toolkit.Html.Encode(heads[i].Label)}</option>");
        sb.Append("</select></label> <label><input type=\"checkbox\" class=\"to\"> show what attends to the hovered token</label></div>");
        sb.Append("<div class=\"tokens\" style=\"font-family:monospace;line-height:2;margin:.5em 0\">");
        for (var i = 0; i < n; i++)
            sb.Append(CultureInfo.InvariantCulture, $"<span class=\"tok\" data-i=\"{i}\" title=\"position {i}\" style=\"padding:1px 3px;margin:1px;border:1px solid #ddd;display:inline-block\">{Toolkit.Html.Encode(tokens[i])}</span>");
        sb.Append("</div><p class=\"caption\" style=\"font-size:.85em;color:#555\"></p>");
        sb.Append("<canvas class=\"grid\" style=\"border:1px solid #ccc;image-rendering:pixelated\"></canvas>");
        sb.Append("<script type=\"application/json\" class=\"data\">").Append(data.Replace("</", "<\\/")).Append("</script>");
        sb.Append("<script>(function(){var root=document.getElementById('").Append(safeId).Append("');").Append(Script).Append("})();</script></div>");
        return sb.ToString();
    }

    /// <summary>The view's behaviour: draw the selected head's grid (rows attend from, columns attend to), colour the
    /// tokens by the hovered token's row (or column), name what is shown in the caption.</summary>
    private const string Script =
        "var d=JSON.parse(root.querySelector('.data').textContent),sel=root.querySelector('.head'),to=root.querySelector('.to')," +
        "toks=root.querySelectorAll('.tok'),cap=root.querySelector('.caption'),cv=root.querySelector('.grid'),n=d.tokens.length," +
        "cell=Math.max(2,Math.min(8,Math.floor(512/n)));cv.width=cv.height=n*cell;" +
        "function shade(w){return 'rgba(31,119,180,'+Math.min(1,w).toFixed(3)+')';}" +
        "function draw(){var p=d.patterns[sel.value],g=cv.getContext('2d');g.fillStyle='#fff';g.fillRect(0,0,cv.width,cv.height);" +
        "for(var i=0;i<n;i++)for(var j=0;j<n;j++){if(p[i][j]>0){g.fillStyle=shade(p[i][j]);g.fillRect(j*cell,i*cell,cell,cell);}}" +
        "root.setAttribute('data-head',sel.value);cap.textContent=d.heads[sel.value]+': hover a token; grid rows attend from, columns attend to';" +
        "toks.forEach(function(t){t.style.background='';});}" +
        "function hover(i){var p=d.patterns[sel.value],back=to.checked;toks.forEach(function(t,j){t.style.background=shade(back?p[j][i]:p[i][j]);});" +
        "toks[i].style.outline='2px solid #d62728';cap.textContent=d.heads[sel.value]+': '+(back?'how much each token attends to':'where')+' token '+i+' ('+d.tokens[i]+')'+(back?'':' attends');}" +
        "toks.forEach(function(t){t.addEventListener('mouseenter',function(){hover(+t.dataset.i);});t.addEventListener('mouseleave',function(){t.style.outline='';draw();});});" +
        "sel.addEventListener('change',draw);to.addEventListener('change',draw);draw();";
}
