using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PacketCluster.Engine.Api;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// A short, stable name for one revision of a MachineDeployment's machine template. The MachineSet of a revision is
/// named <c>&lt;deployment&gt;-&lt;hash&gt;</c> and labelled <see cref="Label"/>, so the same template always finds the
/// same set again (also after a crash, and when a user reverts a change).
/// </summary>
public static class TemplateHash
{
    /// <summary>The label every MachineSet and Machine of a revision carries (Cluster API's name for it).</summary>
    public const string Label = "machine-template-hash";

    // Consonants and digits that cannot spell words or be confused (the alphabet Kubernetes uses for generated names).
    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";
    private const int Length = 10;

    /// <summary>
    /// Hashes the canonical JSON of <paramref name="template"/>: object keys sorted at every level, nulls dropped, and
    /// the <see cref="Label"/> label itself ignored (the set's copy of the template carries it, the deployment's does not).
    /// </summary>
    public static string Compute(MachineTemplateSpec template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var node = ResourceCodec.ToNode(template) as JsonObject ?? new JsonObject();
        if (node["metadata"] is JsonObject metadata && metadata["labels"] is JsonObject labels)
        {
            labels.Remove(Label);
            if (labels.Count == 0) metadata.Remove("labels");
        }
        var canonical = Canonical(node)?.ToJsonString() ?? "{}";
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(canonical));
        var text = new StringBuilder(Length);
        // 8 bytes give 64 bits; 10 symbols of a 27-letter alphabet carry ~47 of them: collisions stay negligible.
        var value = BitConverter.ToUInt64(digest, 0);
        for (var i = 0; i < Length; i++)
        {
            text.Append(SafeAlphabet[(int)(value % (ulong)SafeAlphabet.Length)]);
            value /= (ulong)SafeAlphabet.Length;
        }
        return text.ToString();
    }

    // Dictionaries (labels, annotations) serialize in insertion order; sorting makes equal templates hash equally.
    private static JsonNode? Canonical(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj
            .Where(p => p.Value is not null)
            .OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, Canonical(p.Value)))),
        JsonArray array => new JsonArray(array.Select(Canonical).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };
}
