using Toolkit.Runs;
using Toolkit.Verdicts;

namespace Toolkit.Reports;

/// <summary>The top of a run report: the verdict with the evidence that decided it and the training dynamics, read from
/// <c>RUN/analysis/verdict.json</c> when it judged the latest checkpoint (<c>toolkit probe</c> writes it); otherwise the run
/// is judged as <c>probe</c> judges it and the file is written, so the next redraw recomputes nothing.</summary>
public static class VerdictSection
{
    /// <summary>The run's verdict (<see cref="VerdictFile.ReadOrJudge"/>), or null when it has no checkpoint.</summary>
    public static VerdictFile? ReadOrJudge(string runDir, Func<LoadedRun>? load = null)
    {
        var dir = RunDirectory.Create(runDir);
        return File.Exists(dir.ConfigPath) && dir.Checkpoints().Count > 0 ? VerdictFile.ReadOrJudge(runDir, load: load) : null;
    }

    /// <summary>Adds the section when the run has a checkpoint; returns the verdict shown, or null.</summary>
    public static VerdictFile? Add(HtmlReport report, string runDir, Func<LoadedRun>? load = null)
    {
        if (ReadOrJudge(runDir, load) is not { } file) return null;
        report.AddHeading("Verdict");
        report.AddHtml(VerdictView.Html(file.Verdict));
        report.AddParagraph($"Training: {file.Dynamics}. Judged at the checkpoint of step {file.CheckpointStep} (saved in analysis/verdict.json).");
        return file;
    }

    /// <summary>One row per run for pages that compare runs: the verdict first, with its deciding evidence.</summary>
    public static void AddComparison(HtmlReport report, IReadOnlyList<(string Name, string Dir)> runs)
    {
        report.AddHeading("Verdicts");
        report.AddTable("each run's verdict (analysis/verdict.json), the probes that decided it with their 95% intervals, and its phase change",
            ["run", "verdict", "in-distribution [95% CI]", "phase change"],
            runs.Select(r => ReadOrJudge(r.Dir) is { } f
                ? (IReadOnlyList<string>)[r.Name, f.Verdict.Headline, VerdictView.Rows(f.Verdict)[0][2], f.PhaseChange is { } p ? $"step {p.Step}" : "none"]
                : [r.Name, "no checkpoint: not judged", "", ""]));
    }
}
