using Toolkit.Runs;
using Toolkit.Verdicts;

namespace Toolkit.Reports;

/// <summary>The top of a run report: the verdict with the evidence that decided it and the training dynamics, read from
/// <c>RUN/analysis/verdict.json</c> when it judged the latest checkpoint (<c>toolkit probe</c> writes it); otherwise the run
/// is judged as <c>probe</c> judges it and the file is written, so the next redraw recomputes nothing.</summary>
public static class VerdictSection
{
    /// <summary>Adds the section when the run has a checkpoint; returns the verdict shown, or null.</summary>
    public static VerdictFile? Add(HtmlReport report, string runDir)
    {
        var dir = RunDirectory.Create(runDir);
        if (!File.Exists(dir.ConfigPath) || dir.Checkpoints().Count == 0) return null;
        var step = dir.LatestCheckpoint().Step;
        var file = VerdictFile.Read(runDir, step);
        if (file is null)
        {
            var outcome = SeedStudy.Judge(runDir);
            VerdictFile.Save(outcome);
            file = VerdictFile.Of(outcome);
        }
        report.AddHeading("Verdict");
        report.AddHtml(VerdictView.Html(file.Verdict));
        report.AddParagraph($"Training: {file.Dynamics}. Judged at the checkpoint of step {step} (saved in analysis/verdict.json).");
        return file;
    }
}
