namespace Toolkit.Cli;

/// <summary>Writes a run's report.html after training without letting a report problem (a full disk,
/// an unwritable folder) turn a finished training into a failure: it warns and the command succeeds.</summary>
public static class ReportWriter
{
    public static void WriteOrWarn(string runPath)
    {
        try
        {
            Console.WriteLine($"report: {Toolkit.Reports.RunReport.Write(runPath)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ToolkitException)
        {
            Console.Error.WriteLine($"warning: the training finished, but its report could not be written: {e.Message}");
            Console.Error.WriteLine($"hint: free space or fix permissions, then run: toolkit report {runPath}");
        }
    }

    /// <summary>Rewrites the run's report.html after an analysis saved new results (patch, circuit); a run without
    /// metrics.csv has no report, and a report problem only warns.</summary>
    public static void Refresh(Toolkit.Runs.RunDirectory dir)
    {
        if (!File.Exists(dir.MetricsPath))
        {
            Console.WriteLine($"report: not written (no metrics.csv in {dir.Path}); the results are in {Path.Combine(dir.Path, "analysis")}");
            return;
        }
        try
        {
            Console.WriteLine($"report: {Toolkit.Reports.RunReport.Write(dir.Path)}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ToolkitException)
        {
            Console.Error.WriteLine($"warning: the analysis was saved, but the report could not be written: {e.Message}");
            Console.Error.WriteLine($"hint: fix the problem, then run: toolkit report {dir.Path}");
        }
    }
}
