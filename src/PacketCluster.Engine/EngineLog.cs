namespace PacketCluster.Engine;

/// <summary>How loud an engine message is; the cmdlets map it to the verbose, debug, warning or information stream.</summary>
public enum EngineMessageLevel
{
    Debug,
    Verbose,
    Information,
    Warning,
}

/// <summary>A message for the user. Never carries secrets.</summary>
public sealed record EngineMessage(EngineMessageLevel Level, string Text);

/// <summary>
/// Where the engine reports what it does. Implementations must be thread-safe: the engine writes from thread-pool
/// threads, and the cmdlets marshal messages onto the pipeline thread (writing from another thread kills pwsh).
/// </summary>
public interface IEngineLog
{
    void Write(EngineMessage message);

    /// <summary>Progress of a long operation (phases of a create or delete); ignored unless the sink shows it.</summary>
    void Report(EngineProgress progress) { }
}

/// <summary>Where a long operation is: its current phase, a status line and, when known, a percentage.</summary>
public sealed record EngineProgress(string Activity, string Phase, string Status, int? PercentComplete = null);

/// <summary>Helpers so engine code reads naturally.</summary>
public static class EngineLogExtensions
{
    public static void Verbose(this IEngineLog log, string text) => log.Write(new EngineMessage(EngineMessageLevel.Verbose, text));
    public static void Debug(this IEngineLog log, string text) => log.Write(new EngineMessage(EngineMessageLevel.Debug, text));
    public static void Warning(this IEngineLog log, string text) => log.Write(new EngineMessage(EngineMessageLevel.Warning, text));
}

/// <summary>Discards everything (tests, and callers that do not care).</summary>
public sealed class NullEngineLog : IEngineLog
{
    public static readonly NullEngineLog Instance = new();
    public void Write(EngineMessage message) { }
}
