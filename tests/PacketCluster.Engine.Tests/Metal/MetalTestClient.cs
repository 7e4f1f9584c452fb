using PacketCluster.Engine.Metal;

namespace PacketCluster.Engine.Tests.Metal;

/// <summary>A PacketClient wired to a scripted handler, a test clock and pinned jitter.</summary>
internal sealed class MetalTestClient : IDisposable
{
    public const string ApiKey = "pk-SECRET-1d2c3b4a5f6e7d8c9b0a";
    public const string ProjectId = "383890d0-f5d1-4de1-a7b4-1a2b3c4d5e6f";

    public MetalTestClient(Func<PacketApiOptions, PacketApiOptions>? configure = null, bool autoAdvance = true, double jitter = 0.5)
    {
        var options = new PacketApiOptions { Endpoint = new Uri("https://api.example.test/metal/v1"), ApiKey = ApiKey, ProjectId = ProjectId };
        Options = configure?.Invoke(options) ?? options;
        Time = new ManualTimeProvider { AutoAdvance = autoAdvance };
        Client = new PacketClient(Options, Log, Handler, Time, () => jitter);
    }

    public PacketApiOptions Options { get; }
    public ScriptedHandler Handler { get; } = new();
    public RecordingLog Log { get; } = new();
    public ManualTimeProvider Time { get; }
    public PacketClient Client { get; }

    public void Dispose() => Client.Dispose();
}
