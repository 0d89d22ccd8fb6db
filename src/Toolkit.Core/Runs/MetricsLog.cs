using System.Globalization;
using Toolkit.Analysis;
using Toolkit.Evaluation;

namespace Toolkit.Runs;

/// <summary>Appends rows to <c>metrics.csv</c>: step, lr, train_loss, eval_loss, eval_accuracy, icl (the in-context
/// learning score of Olsson et al. 2022 on held-out sequences, <see cref="Analysis.InContextLearningScore"/>), then
/// per-head columns prev_LxHy, dup_LxHy, ind_LxHy. An empty cell means "not evaluated on this row";
/// a measured value that is not a number is written as NaN, Infinity or -Infinity.</summary>
public sealed class MetricsLog
{
    private readonly string path;
    private readonly IReadOnlyList<string> headNames;

    public MetricsLog(string path, int layers, int heads)
    {
        this.path = path;
        headNames = Enumerable.Range(0, layers).SelectMany(l => Enumerable.Range(0, heads).Select(h => $"L{l}H{h}")).ToList();
    }

    /// <summary>The header line.</summary>
    public string Header =>
        "step,lr,train_loss,eval_loss,eval_accuracy,icl," +
        string.Join(",", new[] { "prev", "dup", "ind" }.SelectMany(kind => headNames.Select(h => $"{kind}_{h}")));

    /// <summary>The header of a run with these layers and heads.</summary>
    public static string HeaderOf(int layers, int heads) => new MetricsLog("", layers, heads).Header;

    /// <summary>Starts the file, or on resume keeps only rows up to <paramref name="keepThroughStep"/> (rows written after
    /// the checkpoint would be duplicated by the resumed run). The resume chose a checkpoint whose rows up to its step are
    /// complete and well-formed (<see cref="MetricsFile.ProblemThrough"/>), so nothing damaged is kept. When the checkpoint's
    /// manifest vouches for the file's first <paramref name="verifiedBytes"/>, exactly those are kept.</summary>
    public void Start(int? keepThroughStep, long? verifiedBytes = null)
    {
        if (keepThroughStep is not null && verifiedBytes is long n && File.Exists(path) && new FileInfo(path).Length >= n)
        {
            // The checkpoint's manifest vouches for the file's first n bytes: its header and every row through its step.
            // They are kept exactly, whatever damage lies after them (those steps are trained again).
            var prefix = new byte[n];
            using (var stream = File.OpenRead(path)) stream.ReadExactly(prefix);
            AtomicFile.Write(path, s => s.Write(prefix));
            return;
        }
        var lines = new List<string> { Header };
        if (keepThroughStep is int last && File.Exists(path))
        {
            var file = MetricsFile.Read(path, Header);
            if (file.DamagedThrough(last))
                throw new ToolkitException(file.DamageMessage!, "resume from an earlier checkpoint");
            lines.AddRange(file.Rows.Where(r => r.Step <= last).Select(r => r.Text));
        }
        AtomicFile.WriteText(path, string.Join('\n', lines) + '\n');
    }

    /// <summary>Appends one row.</summary>
    public void Append(int step, double lr, double trainLoss, EvalResult? eval, HeadScoreTable? heads, double? icl = null)
    {
        static string F(double x) => x.ToString("G6", CultureInfo.InvariantCulture); // NaN stays "NaN", never ""
        var cells = new List<string> { step.ToString(CultureInfo.InvariantCulture), F(lr), F(trainLoss), eval is null ? "" : F(eval.Loss), eval is null ? "" : F(eval.Accuracy), icl is double i ? F(i) : "" };
        foreach (var role in new[] { HeadRole.PreviousToken, HeadRole.DuplicateToken, HeadRole.Induction })
            cells.AddRange(heads is null ? headNames.Select(_ => "") : heads.Heads.Select(h => F(HeadScoreTable.Score(h, role))));
        File.AppendAllText(path, string.Join(',', cells) + '\n');
    }
}
