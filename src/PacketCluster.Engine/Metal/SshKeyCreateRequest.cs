using System.Text.Json.Nodes;

namespace PacketCluster.Engine.Metal;

/// <summary>Body of <c>POST /projects/{id}/ssh-keys</c> (spec SSHKeyCreateInput).</summary>
public sealed record SshKeyCreateRequest(string Label, string Key)
{
    public IReadOnlyList<string>? Tags { get; init; }

    internal JsonObject ToJson()
    {
        var body = new JsonObject { ["label"] = Label, ["key"] = Key };
        if (Tags is not null) body["tags"] = DeviceCreateRequest.Strings(Tags);
        return body;
    }
}
