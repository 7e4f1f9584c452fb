namespace PacketCluster;

/// <summary>Where credentials come from when no parameter gives them (the seed's variable names, plus Equinix Metal's).</summary>
internal static class Credentials
{
    public static string? ApiKeyFromEnvironment() =>
        NonEmpty(Environment.GetEnvironmentVariable("PACKET_API_KEY")) ?? NonEmpty(Environment.GetEnvironmentVariable("METAL_AUTH_TOKEN"));

    /// <summary>The variable the key is read from, as Get-PacketConnection shows it: "Environment (PACKET_API_KEY)".</summary>
    public static string ApiKeySourceFromEnvironment() =>
        $"Environment ({ApiKeyVariable()})";

    public static string ApiKeyVariable() =>
        NonEmpty(Environment.GetEnvironmentVariable("PACKET_API_KEY")) is not null ? "PACKET_API_KEY" : "METAL_AUTH_TOKEN";

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
