using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PacketCluster.Engine.Workload;
using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>Which kubelet serving certificate requests the engine approves: only for the node's own name and its device's addresses.</summary>
public sealed class KubeletServingTests
{
    private static readonly string[] DeviceAddresses = ["127.50.0.3", "127.55.0.3", "2001:db8::3"];

    private static byte[] Request(string commonName, string organization, string[] dns, string[] ips)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName(organization);
        subject.AddCommonName(commonName);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        foreach (var d in dns) names.AddDnsName(d);
        foreach (var ip in ips) names.AddIpAddress(IPAddress.Parse(ip));
        request.CertificateExtensions.Add(names.Build());
        return Encoding.ASCII.GetBytes(request.CreateSigningRequestPem());
    }

    [Fact]
    public void ApprovesTheNodesOwnNameAndAddresses()
    {
        Assert.True(KubeletServing.IsFor(Request("system:node:w-1", "system:nodes", ["w-1"], ["127.50.0.3", "127.55.0.3"]), "w-1", DeviceAddresses));
    }

    [Theory]
    [InlineData("system:node:w-2", "system:nodes", "w-1", "127.50.0.3")] // another node's identity
    [InlineData("system:node:w-1", "system:masters", "w-1", "127.50.0.3")] // not the nodes group
    [InlineData("system:node:w-1", "system:nodes", "w-1", "127.50.0.9")] // another machine's address
    [InlineData("system:node:w-1", "system:nodes", "kubernetes.default", "127.50.0.3")] // a name that is not the node's
    public void RefusesAnythingElse(string commonName, string organization, string dns, string ip)
    {
        Assert.False(KubeletServing.IsFor(Request(commonName, organization, [dns], [ip]), "w-1", DeviceAddresses));
    }

    [Fact]
    public void RefusesGarbageAndRequestsWithoutNames()
    {
        Assert.False(KubeletServing.IsFor(Encoding.ASCII.GetBytes("not a csr"), "w-1", DeviceAddresses));
        Assert.False(KubeletServing.IsFor(null, "w-1", DeviceAddresses));
        Assert.False(KubeletServing.IsFor(Request("system:node:w-1", "system:nodes", [], []), "w-1", DeviceAddresses));
    }
}
