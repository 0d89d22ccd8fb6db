using System.CommandLine;
using System.Globalization;
using System.Text;
using Toolkit.Analysis;
using Toolkit.Data;
using Toolkit.Evaluation;
using Toolkit.Model;
using Toolkit.Runs;

namespace Toolkit.Cli.Commands;

/// <summary><c>toolkit patch runs/NAME</c>: activation patching per layer × position (resid_pre) and per head (hook_z)
/// on the run's task with its own corruption (or explicit token lists), and path patching with <c>--path</c>.</summary>
public static class PatchCommand
{
    public static Command Create()
    {
        var run = new RunInput();
        var task = new TaskOptions();
        var metric = new Option<string>("--metric") { Description = "logit-diff, loss, accuracy or kl", DefaultValueFactory = _ => "logit-diff" };
        var sequences = new Option<int>("--sequences") { Description = "sequences of the task to patch", DefaultValueFactory = _ => 32 };
        var clean = new Option<string?>("--clean") { Description = "clean tokens, e.g. \"3 5 7 3\" (with --corrupt; the logits before the last token are read)" };
        var corrupt = new Option<string?>("--corrupt") { Description = "corrupted tokens of the same length as --clean" };
        var path = new Option<string[]>("--path") { Description = "path patching SENDER RECEIVER, e.g. --path L0H2 L1H1 (nodes: embed, L0H0.., MLP0.., logits)", Arity = new ArgumentArity(2, 2), AllowMultipleArgumentsPerToken = true };
        var through = new Option<string?>("--through") { Description = "with --path: the receiver's input patched, q, k or v (default all three)" };
        var noReport = new Option<bool>("--no-report") { Description = "do not rewrite RUN/report.html" };
        var command = new Command("patch", "Activation patching (layer × position, per head) and path patching, clean vs the task's corruption.");
        run.AddTo(command);
        task.AddTo(command);
        foreach (var o in new Option[] { metric, sequences, clean, corrupt, path, through, noReport }) command.Options.Add(o);
        command.SetAction(r => CommandLine.Guard(() =>
        {
            var opened = run.Open(r);
            var (dir, config) = (opened.Directory, opened.Config);
            var kind = PatchingMetric.Parse(r.GetValue(metric)!);
            using var model = opened.LoadModel();
            using var inputs = ReadInputs(r, dir, config, task, model, r.GetValue(sequences), r.GetValue(clean), r.GetValue(corrupt));
            var sweep = ActivationPatching.Sweep(model, inputs, kind);
            var paths = new List<PathRecord>();
            if (r.GetValue(path) is { Length: 2 } p)
            {
                var inputsThrough = ParseThrough(r.GetValue(through));
                var (patched, c, k, damage, edges) = CircuitDiscovery.PathPatch(model, inputs, kind, p[0], p[1], inputsThrough);
                paths.Add(new PathRecord(p[0], p[1], r.GetValue(through)?.ToUpperInvariant() ?? "QKV", edges, patched, damage));
            }
            else if (r.GetValue(through) is not null)
                throw new ToolkitException("--through needs --path SENDER RECEIVER", "e.g. --path L0H2 L1H1 --through k");
            Console.Write(Render(sweep, paths));
            var record = new PatchingRecord(PatchingMetric.Name(kind), sweep.Corruption, sweep.Sequences, sweep.Clean, sweep.Corrupted, sweep.ResidPre, sweep.Heads, paths);
            var file = PatchingFiles.PatchingPath(dir.Path);
            JsonFile.Save(file, record);
            Console.WriteLine($"wrote {file}");
            if (!r.GetValue(noReport)) ReportWriter.Refresh(dir);
            return 0;
        }));
        return command;
    }

    /// <summary>The inputs: explicit token lists, or the (possibly overridden) task's examples and corruption.</summary>
    internal static PatchingInputs ReadInputs(ParseResult r, RunDirectory dir, RunConfig config, TaskOptions task, HookedTransformer model,
        int sequences, string? clean, string? corrupt)
    {
        if (sequences < 1 || sequences > 10_000)
            throw new ToolkitException($"--sequences {sequences} is outside 1..10000", "use --sequences 32, for example");
        if ((clean is null) != (corrupt is null))
            throw new ToolkitException("--clean and --corrupt go together", "give both, e.g. --clean \"3 5 7 3\" --corrupt \"3 6 7 3\"");
        if (clean is not null)
        {
            var c = Tokens(clean, "--clean", model.Config);
            var k = Tokens(corrupt!, "--corrupt", model.Config);
            return PatchingInputs.FromTokens(c, k, model.Device);
        }
        var t = task.Read(r, config.Task).Create();
        PatchingInputs.CheckCorruptible(t);
        Evaluator.CheckFits(model, t);
        return PatchingInputs.FromTask(t, Seeds.Derive(config.Training.Seed, Seeds.Stream.Probe), sequences, model.Device);
    }

    private static long[] Tokens(string text, string option, ModelConfig cfg)
    {
        var parts = text.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var tokens = new long[parts.Length];
        for (var i = 0; i < parts.Length; i++)
            if (!long.TryParse(parts[i], NumberStyles.Integer, CultureInfo.InvariantCulture, out tokens[i]) || tokens[i] < 0 || tokens[i] >= cfg.DVocab)
                throw new ToolkitException($"{option} token '{parts[i]}' is not a token id in 0..{cfg.DVocab - 1}", $"write {option} as space-separated ids, e.g. \"3 5 7 3\"");
        if (tokens.Length > cfg.NCtx)
            throw new ToolkitException($"{option} has {tokens.Length} tokens, more than the model's n_ctx {cfg.NCtx}", $"give at most {cfg.NCtx} tokens");
        return tokens;
    }

    /// <summary>q, k, v (or null: all three).</summary>
    internal static IReadOnlyCollection<EdgeInput>? ParseThrough(string? text) => text?.ToLowerInvariant() switch
    {
        null => null,
        "q" => [EdgeInput.Q],
        "k" => [EdgeInput.K],
        "v" => [EdgeInput.V],
        _ => throw new ToolkitException($"--through '{text}' is not q, k or v", "use --through k, for example"),
    };

    /// <summary>The sweep as a compact table: the per-head grid, the strongest positions per layer, and any path.</summary>
    public static string Render(PatchingSweep sweep, IReadOnlyList<PathRecord> paths)
    {
        var sb = new StringBuilder();
        var m = PatchingMetric.Name(sweep.Metric);
        sb.AppendLine($"activation patching on {sweep.Sequences} sequences ({sweep.Corruption}); {m}: clean {sweep.Clean:F3}, corrupted {sweep.Corrupted:F3}");
        sb.AppendLine("recovery = (patched − corrupted) / (clean − corrupted): 1 = restoring this clean activation restores the clean behaviour");
        sb.AppendLine("head outputs (hook_z at every position):");
        var heads = sweep.Heads.Length == 0 ? 0 : sweep.Heads[0].Length;
        sb.AppendLine("       " + string.Concat(Enumerable.Range(0, heads).Select(h => $"{"H" + h,7}")));
        for (var l = 0; l < sweep.Heads.Length; l++)
            sb.AppendLine($"  L{l,-3} " + string.Concat(sweep.Heads[l].Select(v => $"{v,7:F2}")));
        sb.AppendLine("residual stream (resid_pre at one position), the 6 positions of largest |recovery| per layer:");
        for (var l = 0; l < sweep.ResidPre.Length; l++)
        {
            var top = sweep.ResidPre[l].Select((v, p) => (v, p)).Where(t => double.IsFinite(t.v)).OrderByDescending(t => Math.Abs(t.v)).Take(6);
            sb.AppendLine($"  L{l,-3} " + string.Join("  ", top.Select(t => $"pos {t.p}: {t.v:F2}")));
        }
        foreach (var p in paths)
            sb.AppendLine($"path {string.Join(", ", p.Edges)}: damage {p.Damage:F3} = (clean − patched) / (clean − corrupted); {m} patched {p.Patched:F3}");
        return sb.ToString();
    }
}
