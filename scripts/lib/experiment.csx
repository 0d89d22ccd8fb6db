// Shared helpers of the experiment scripts: `#load "toolkit.csx"` then `#load "lib/experiment.csx"`.
// Arguments every experiment understands:
//   --fast            tiny settings (seconds, for tests): small model, context 16, a few steps
//   --out DIR         report folder (default runs/experiments/<script-name>)
//   --seed N          run seed (default 0)          --threads N   CPU threads (default: all cores)
//   --help            the script's header comment and every option it reads
// An option the script does not read is an error that names the nearest one (the options are the "--name"
// literals in the script and in scripts/lib, found in their source: no list to keep in step).
// Key figures are printed as lines starting with "RESULT:" (scripts/results.sh collects them into
// scripts/RESULTS.md), the plain-words conclusion as "RESULT: conclusion: ...".
// Only argument, result and report glue lives here: training, judging, scores and patterns are the library's.
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using Toolkit;
using Toolkit.Configs;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Runs;
using Toolkit.Tasks;
using Toolkit.Training;
using Toolkit.Reports;
using Toolkit.Verdicts;
using static TorchSharp.torch;

/// <summary>One experiment: its arguments, output folder, printed results and report.</summary>
public sealed class Experiment
{
    public string Name { get; }
    public bool Fast { get; }
    public string Out { get; }
    public long Seed { get; }
    public int Threads { get; }
    public HtmlReport Report { get; }
    private readonly IList<string> _args;
    private readonly List<string> _results = new();

    public Experiment(string name, string title, IList<string> args, [CallerFilePath] string script = "")
    {
        Name = name;
        _args = args;
        CheckArguments(script, args);
        Fast = args.Contains("--fast");
        Out = Str("--out", Path.Combine("runs", "experiments", name));
        Seed = Int("--seed", 0);
        Threads = Int("--threads", Fast ? 1 : Environment.ProcessorCount); // tiny tensors: one thread is faster
        Directory.CreateDirectory(Out);
        Report = new HtmlReport(title);
        Report.AddHeading(title);
        var argText = args.Count == 0 ? "(defaults)" : string.Join(" ", args);
        Report.AddParagraph($"Arguments: {argText}. Seed {Seed}, {Threads} threads{(Fast ? ", FAST mode (tiny settings: numbers mean nothing)" : "")}.");
        Console.WriteLine($"== {title}{(Fast ? " [fast mode]" : "")}; output in {Out}");
    }

    private static readonly Regex OptionLiteral = new("\"(--[a-z][a-z0-9-]*)\"");

    private static string LibraryFile([CallerFilePath] string path = "") => path;

    /// <summary>--help prints the script's header comment and its options; an option no source reads is an error
    /// naming the nearest one. Skipped when the script's source is not where it was compiled (a moved clone).</summary>
    private static void CheckArguments(string script, IList<string> args)
    {
        var lib = Path.GetDirectoryName(LibraryFile());
        if (!File.Exists(script) || lib is null || !Directory.Exists(lib)) return;
        var sources = Directory.GetFiles(lib, "*.csx").Prepend(script).Select(File.ReadAllText).ToList();
        var known = new SortedSet<string>(StringComparer.Ordinal) { "--help" };
        foreach (var text in sources)
            foreach (Match m in OptionLiteral.Matches(text)) known.Add(m.Groups[1].Value);
        if (args.Contains("--help") || args.Contains("-h"))
        {
            var header = File.ReadLines(script).TakeWhile(l => l.StartsWith("//", StringComparison.Ordinal)).Select(l => l.TrimStart('/').TrimStart());
            Console.WriteLine(string.Join(Environment.NewLine, header));
            Console.WriteLine();
            Console.WriteLine("options: " + string.Join(" ", known));
            throw new HelpShown();
        }
        foreach (var a in args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && !known.Contains(a)))
            throw new ToolkitException($"{Path.GetFileName(script)} has no option {a}",
                (NearestName.Of(a, known) is { } near ? $"did you mean {near}? " : "") + $"its options: {string.Join(" ", known)} (--help says more)");
    }

    /// <summary>Ends the script after --help printed what it reads (exit code 0).</summary>
    private sealed class HelpShown() : ToolkitException("", "")
    {
        public override int ExitCode => 0;
    }

    /// <summary>Value of `--name V` (or the default).</summary>
    public string Str(string option, string def)
    {
        var i = _args.IndexOf(option);
        if (i < 0) return def;
        if (i + 1 >= _args.Count) throw new ToolkitException($"{option} needs a value", $"write {option} {def}");
        return _args[i + 1];
    }

    public int Int(string option, int def) =>
        int.TryParse(Str(option, def.ToString(CultureInfo.InvariantCulture)), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v
        : throw new ToolkitException($"{option} expects a whole number, got '{Str(option, "")}'", $"e.g. {option} {def}");
    public double Double(string option, double def) =>
        double.TryParse(Str(option, def.ToString(CultureInfo.InvariantCulture)), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v
        : throw new ToolkitException($"{option} expects a number, got '{Str(option, "")}'", $"e.g. {option} {def.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>An integer setting: `--option` if given, else the fast or the full default.</summary>
    public int Setting(string option, int full, int fast) => Int(option, Fast ? fast : full);

    /// <summary>A fresh folder for a run of this experiment (replaced: it is this script's own output).</summary>
    public string RunPath(string name)
    {
        var path = Path.Combine(Out, "runs", name);
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        return path;
    }

    /// <summary>Prints a key figure as a RESULT line (collected into RESULTS.md) and keeps it for the report.</summary>
    public void Result(string text)
    {
        Console.WriteLine("RESULT: " + text);
        _results.Add(text);
    }

    /// <summary>Prints the plain-words conclusion.</summary>
    public void Conclude(string text)
    {
        Result("conclusion: " + text);
    }

    /// <summary>A headline number with its 95% interval, as one tab-separated MEASURE line that scripts/results.sh tabulates
    /// (and, for a <paramref name="share"/> in 0..1, draws on a 0–100% axis beside the position-only
    /// <paramref name="baseline"/> and <paramref name="chance"/>). The RESULT lines still say it in words.</summary>
    public void Measure(string what, double value, double low, double high, Func<double, string> number, bool share = false, double? baseline = null, double? chance = null)
    {
        static string N(double? x) => x is double v && !double.IsNaN(v) ? v.ToString("R", CultureInfo.InvariantCulture) : "";
        Console.WriteLine(string.Join('\t', new[]
        {
            "MEASURE:", what.Replace('\t', ' '), $"{number(value)} [{number(low)}, {number(high)}]", N(value), N(low), N(high),
            baseline is double b ? number(b) : "", chance is double c ? number(c) : "", N(baseline), N(chance), share ? "share" : "",
        }));
    }

    /// <summary>A script's family of claims, decided (Holm): one RESULT line (claims tested, claims shown) and a report
    /// table of every claim with its estimate, p-value, Holm-adjusted p-value and decision.</summary>
    public void Claims(ClaimFamily family)
    {
        Result(family.Summary());
        var rows = family.Claims.Select(c => new[]
        {
            c.What, c.Comparison.Format(x => Fmt.F(x, 3)), c.Comparison.Seeds.ToString(), Fmt.F(c.Comparison.P, 4), Fmt.F(c.AdjustedP, 4), Decision(c),
        }).ToList();
        // One machine-readable line per claim (tab-separated): scripts/results.sh keeps them in the section's record and
        // draws RESULTS.md's claim table and figure from them.
        foreach (var row in rows)
            Console.WriteLine(string.Join('\t', new[] { "CLAIM:", family.Name }.Concat(row).Select(x => x.Replace('\t', ' '))));
        Report.AddTable($"{family.Name}: every claim over seeds, decided as one family (Holm's correction, docs/design.md §4)",
            new[] { "claim", "estimate", "seeds", "p", "Holm-adjusted p", "decision" }, rows);
    }

    private static string Decision(Claim c) => c.Direction switch
    {
        Difference.Higher => "shown: higher", Difference.Lower => "shown: lower", Difference.NotShown => "not shown", _ => $"too few seeds ({c.Comparison.Seeds})",
    };

    /// <summary>Writes a CSV (invariant culture) into the output folder; returns its path.</summary>
    public string Csv(string file, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        var path = Path.Combine(Out, file);
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(",", columns));
        foreach (var r in rows) sb.AppendLine(string.Join(",", r.Select(c => c.Contains(',') ? "\"" + c + "\"" : c)));
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    /// <summary>Adds the key figures to the report and saves it as report.html; returns its path.</summary>
    public string Save()
    {
        Report.AddHeading("Key figures and conclusion");
        Report.AddTable("printed as RESULT lines", new[] { "result" }, _results.Select(r => (IReadOnlyList<string>)new[] { r }));
        var path = Path.Combine(Out, "report.html");
        Report.Save(path);
        Console.WriteLine($"report: {path}");
        return path;
    }

    // ---- model, task and training settings shared by the scripts ----

    /// <summary>Context and vocabulary: 64/64 normally, 16/16 in fast mode.</summary>
    public int Context => Fast ? 16 : 64;
    public int Vocab => Fast ? 16 : 64;

    /// <summary>The variable period range of the notes (6..29 at context 64; 3..6 in fast mode).</summary>
    public string VariablePeriods => Fast ? "3..6" : "6..29";
    /// <summary>The fixed period of the notes (32 at context 64; 8 in fast mode).</summary>
    public string FixedPeriod => Fast ? "8" : "32";

    /// <summary>2-layer attention-only model: 4 heads, d_model 64 (fast: 2 heads, d_model 16).</summary>
    public ModelConfig Model(double dropout = 0, int? layers = null) => new()
    {
        NLayers = layers ?? 2, NHeads = Fast ? 2 : 4, DModel = Fast ? 16 : 64, DVocab = Vocab, NCtx = Context, AttnOnly = true,
        EmbedDropout = dropout, AttnDropout = dropout, ResidDropout = dropout,
    };

    /// <summary>repeated-copy parameters at this experiment's context and vocabulary.</summary>
    public TaskSpec RepeatedCopy(string period, string start = "any") => new()
    {
        Name = "repeated-copy",
        Parameters = new() { ["period"] = period, ["start"] = start, ["context"] = Context.ToString(), ["vocab"] = Vocab.ToString() },
    };

    /// <summary>A task of the catalog at this experiment's context and vocabulary.</summary>
    public TaskSpec Task(string name, Dictionary<string, string>? parameters = null)
    {
        var p = new Dictionary<string, string>(parameters ?? new()) { ["context"] = Context.ToString(), ["vocab"] = Vocab.ToString() };
        return new TaskSpec { Name = name, Parameters = p };
    }

    /// <summary>The scripts' training settings: AdamW lr 3e-3, warm-up 100, batch 64 (fast: batch 16, warm-up 2). They depart
    /// from the toolkit's defaults (lr 1e-2, warm-up 20: TrainingConfig) on purpose: those were chosen on the demo's model
    /// only, the scripts also train MLP, 6-layer, encoder-decoder and text models, and every result in scripts/RESULTS.md was
    /// measured at these settings; changing them means re-running scripts/results.sh.</summary>
    public TrainingConfig Training(int steps, long? seed = null, int evalEvery = 100, int logEvery = 20) => new()
    {
        Steps = steps, BatchSize = Fast ? 16 : 64, LearningRate = 3e-3, WarmupSteps = Fast ? 2 : Math.Min(100, steps / 5),
        Seed = seed ?? Seed, Threads = Threads, EvalEvery = Math.Min(evalEvery, steps), LogEvery = Math.Min(logEvery, steps),
        EvalSequences = Fast ? 32 : 256, CheckpointEvery = 0,
    };

    /// <summary>Trains a run under Out/runs/NAME and prints one line about it.</summary>
    public TrainingResult Train(string name, ModelConfig model, TaskSpec task, TrainingConfig training, ITrainingObserver? observer = null)
    {
        var config = new RunConfig { Model = model, Training = training, Task = task };
        var parameters = string.Join(" ", task.Parameters.Select(kv => $"{kv.Key}={kv.Value}"));
        Console.WriteLine($"-- training {name}: {task.Name} {parameters}; {training.Steps} steps, seed {training.Seed}");
        var result = Trainer.Train(config, RunPath(name), observer);
        Console.WriteLine($"   {result.Seconds:F0} s; loss {result.LossCurve[0].Loss:F2} -> {result.LossCurve[^1].Loss:F3}; {result.EvalLabel} {result.FinalEval}");
        return result;
    }

    /// <summary>Trains independent runs (a study's seeds) under Out/runs/NAME through the library's seed runner: side by side
    /// where the cores hold several at the runs' thread count, each the same run as trained alone (SeedRunner). Fast mode
    /// trains them here one after the other: a child process's start (about 3 s) costs more than a tiny run. For runs
    /// that nothing watches while they train: an observer cannot follow a child process.</summary>
    public IReadOnlyList<TrainingResult> TrainAll(IEnumerable<(string Name, ModelConfig Model, TaskSpec Task, TrainingConfig Training)> runs) =>
        TrainAll(runs.Select(r => (r.Name, new RunConfig { Model = r.Model, Training = r.Training, Task = r.Task })));

    /// <summary>The same for whole run configs (a fine-tune's init_from, say).</summary>
    public IReadOnlyList<TrainingResult> TrainAll(IEnumerable<(string Name, RunConfig Config)> runs)
    {
        var list = runs.ToList();
        foreach (var (name, c) in list)
            Console.WriteLine($"-- training {name}: {c.Task.Name} {string.Join(" ", c.Task.Parameters.Select(kv => $"{kv.Key}={kv.Value}"))}; {c.Training.Steps} steps, seed {c.Training.Seed}");
        var results = SeedRunner.Train(list.Select(r => new SeedRunner.Job(r.Config, RunPath(r.Name))).ToList(), Console.WriteLine, cores: Fast ? 1 : null);
        foreach (var ((name, _), result) in list.Zip(results))
            Console.WriteLine($"   {name}: {result.Seconds:F0} s; loss {result.LossCurve[0].Loss:F2} -> {result.LossCurve[^1].Loss:F3}; {result.EvalLabel} {result.FinalEval}");
        return results;
    }

    /// <summary>Examples for evaluation (count: 512, fast 32).</summary>
    public int EvalCount => Fast ? 32 : 512;
}

/// <summary>Formatting helpers.</summary>
public static class Fmt
{
    public static string P(double x) => double.IsNaN(x) ? "n/a" : (100 * x).ToString("F1", CultureInfo.InvariantCulture) + "%";
    public static string F(double x, int digits = 3) => double.IsNaN(x) ? "n/a" : x.ToString("F" + digits, CultureInfo.InvariantCulture);
    public static string Heads(IEnumerable<HeadScore> heads) { var l = heads.Select(h => h.Name).ToList(); return l.Count == 0 ? "none" : string.Join(", ", l); }
}

/// <summary>Head score tables for reports and CSVs.</summary>
public static class HeadTables
{
    public static readonly string[] Columns = { "head", "previous-token", "duplicate-token", "induction", "named" };

    public static IEnumerable<IReadOnlyList<string>> Rows(HeadScoreTable t) => t.Heads.Select(h => (IReadOnlyList<string>)new[]
    {
        h.Name, Fmt.F(h.PreviousToken), Fmt.F(h.DuplicateToken), Fmt.F(h.Induction),
        string.Join(" ", new[] { (HeadRole.PreviousToken, "previous-token"), (HeadRole.DuplicateToken, "duplicate-token"), (HeadRole.Induction, "induction") }
            .Where(r => HeadScoreTable.Score(h, r.Item1) > t.Threshold).Select(r => r.Item2)),
    });

    /// <summary>"previous-token L0H1, L0H2; induction L1H0" (names above the threshold).</summary>
    public static string Summary(HeadScoreTable t) =>
        $"previous-token {Fmt.Heads(t.Named(HeadRole.PreviousToken))}; induction {Fmt.Heads(t.Named(HeadRole.Induction))}";

    public static void Add(HtmlReport report, string caption, HeadScoreTable t) =>
        report.AddTable($"{caption} (scored on an unseen period {t.ScoringPeriod}; named above {t.Threshold})", Columns, Rows(t));
}

/// <summary>The library's verdict (`ProbeSuite.Judge`, the rule of docs/design.md §4) as report tables, CSV rows and
/// RESULT lines. Scripts never judge on their own: they show what the library decided and why.</summary>
public static class VerdictTables
{
    /// <summary>Judges a trained run exactly as `toolkit probe` does (same seed streams, same settings).</summary>
    public static GeneralizationVerdict Judge(TrainingResult result) => SeedStudy.Judge(result.Run.Path).Verdict;

    /// <summary>The verdict's headline, table, evidence and rule into the report (the library's one rendering).</summary>
    public static void Add(HtmlReport report, string caption, GeneralizationVerdict v)
    {
        report.AddParagraph(caption);
        report.AddHtml(VerdictView.Html(v));
    }

    /// <summary>CSV columns (<see cref="VerdictView.CsvColumns"/>) after a leading label column.</summary>
    public static readonly string[] Columns = VerdictView.CsvColumns.ToArray();

    /// <summary>CSV rows with a leading label column.</summary>
    public static IEnumerable<IReadOnlyList<string>> CsvRows(string label, GeneralizationVerdict v) =>
        VerdictView.CsvRows(VerdictResult.Of(v)).Select(r => (IReadOnlyList<string>)new[] { label }.Concat(r).ToArray());

    /// <summary>MEASURE lines: in-distribution accuracy and every probe's, beside the position-only baseline and chance. One
    /// verdict gives its accuracies with their intervals over sequences; several (one per seed) give the mean over seeds
    /// with its 95% t interval (the spread over seeds includes the sampling of sequences).</summary>
    public static void Measures(Experiment exp, string label, IReadOnlyList<GeneralizationVerdict> perSeed)
    {
        var over = perSeed.Count == 1 ? "" : $", mean over {perSeed.Count} seeds";
        void One(string what, Func<GeneralizationVerdict, EvalResult> eval, Func<GeneralizationVerdict, double> baseline, Func<GeneralizationVerdict, double> chance)
        {
            double value, low, high;
            if (perSeed.Count == 1) (value, low, high) = (eval(perSeed[0]).Accuracy, eval(perSeed[0]).AccuracyLow, eval(perSeed[0]).AccuracyHigh);
            else
            {
                var m = MeanInterval.Of(perSeed.Select(v => eval(v).Accuracy).ToList()).Within(0, 1);
                (value, low, high) = (m.Mean, m.Low, m.High);
            }
            exp.Measure($"{label}: {what}{over}", value, low, high, Fmt.P, share: true, baseline: perSeed.Average(baseline), chance: perSeed.Average(chance));
        }
        One("in distribution", v => v.InDistribution, v => v.InDistributionBaseline, v => v.Chance);
        foreach (var (p, i) in perSeed[0].Probes.Select((p, i) => (p, i)))
            One($"{p.Name} ({(p.Kind.IsInside ? "inside" : "outside")})", v => v.Probes[i].Eval, v => v.Probes[i].BaselineAccuracy, v => v.Probes[i].ChanceAccuracy);
    }

    /// <summary>RESULT lines: every probe, then the verdict.</summary>
    public static void Results(Experiment exp, string label, GeneralizationVerdict v)
    {
        foreach (var p in v.Probes)
            exp.Result($"{label} on {p.Name} [{(p.Kind.IsInside ? "inside" : "outside")}]: model {Fmt.P(p.Eval.Accuracy)} [{Fmt.P(p.Eval.AccuracyLow)}, {Fmt.P(p.Eval.AccuracyHigh)}], " +
                       $"position-only baseline {Fmt.P(p.BaselineAccuracy)}, chance {Fmt.P(p.ChanceAccuracy)}: {p.Result}" +
                       (p.Passed ? "" : $"; {p.Shortcut}"));
        exp.Result($"{label} verdict (library rule): {v.Headline}");
    }
}
