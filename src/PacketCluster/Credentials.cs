namespace PacketCluster;

/// <summary>Where credentials come from when no parameter gives them (the seed's variable names, plus Equinix Metal's).</summary>
internal static class Credentials
{
    public static string? ApiKeyFromEnvironment() =>
        NonEmpty(Environment.GetEnvironmentVariable("PACKET_API_KEY")) ?? NonEmpty(Environment.GetEnvironmentVariable("METAL_AUTH_TOKEN"));

    public static string ApiKeySourceFromEnvironment() =>
        NonEmpty(Environment.GetEnvironmentVariable("PACKET_API_KEY")) is not null ? "PACKET_API_KEY" : "METAL_AUTH_TOKEN";

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
