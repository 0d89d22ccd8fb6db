namespace Toolkit.Reports;

/// <summary>A report cannot be built from its inputs; a <see cref="ToolkitException"/>, so every
/// command prints it as the usual error line and hint.</summary>
public sealed class ReportException(string message, string hint) : ToolkitException(message, hint);
