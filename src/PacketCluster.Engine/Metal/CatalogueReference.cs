namespace PacketCluster.Engine.Metal;

/// <summary>
/// A plan or operating system as a device names it: what the engine reads (the slug), not the catalogue entry. Each
/// device of a list embeds its whole plan (prices, every facility and metro it is sold in) and operating system (every
/// plan it runs on); read into the catalogue records, a 1000-device inventory kept tens of thousands of objects alive
/// for nothing. <c>Get-PacketPlan</c> and <c>GET /plans</c> give the full entries.
/// </summary>
public sealed record CatalogueReference : ICodeReference<CatalogueReference>
{
    public string? Id { get; init; }
    public string? Slug { get; init; }
    public string? Name { get; init; }
    public string? Href { get; init; }

    static CatalogueReference ICodeReference<CatalogueReference>.FromCode(string code) => new() { Slug = code };
}
