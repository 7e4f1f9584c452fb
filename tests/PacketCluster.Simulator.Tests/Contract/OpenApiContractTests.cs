using Xunit;

namespace PacketCluster.Simulator.Tests.Contract;

/// <summary>The validator itself must reject what the spec forbids, or the contract checks prove nothing.</summary>
public sealed class OpenApiContractTests
{
    [Fact]
    public void RejectsBodiesTheSpecForbids()
    {
        var contract = OpenApiContract.Shared;
        Assert.Equal("/devices/{id}", contract.MatchTemplate("/devices/0f855f70-5e1d-40df-9506-a4a0499ac4fd"));
        Assert.Equal("/capacity/metros", contract.MatchTemplate("/capacity/metros"));
        Assert.Equal("/locations/metros", contract.MatchTemplate("/locations/metros"));

        Assert.Empty(contract.Validate("/devices/{id}", "GET", 200, """{"id":"0f855f70-5e1d-40df-9506-a4a0499ac4fd","state":"active"}"""));
        Assert.NotEmpty(contract.Validate("/devices/{id}", "GET", 200, """{"id":"not-a-uuid","state":"active"}"""));
        Assert.NotEmpty(contract.Validate("/devices/{id}", "GET", 200, """{"state":"sleeping"}"""));
        // The real service's "next": null does not fit Meta.yaml (Href is an object): the simulator omits it.
        Assert.NotEmpty(contract.Validate("/projects/{id}/devices", "GET", 200, """{"devices":[],"meta":{"next":null}}"""));
        Assert.NotEmpty(contract.Validate("/projects/{id}/ips", "POST", 201, """{"type":"public_ipv4","bogus":1}"""));
        Assert.Empty(contract.Validate("/devices/{id}", "GET", 404, """{"errors":["Not found"]}"""));
        Assert.NotEmpty(contract.Validate("/devices/{id}", "GET", 404, """{"errors":"Not found"}"""));
    }

    [Fact]
    public void RejectsRequestBodiesTheSpecForbids()
    {
        var contract = OpenApiContract.Shared;
        Assert.Empty(contract.ValidateRequest("/projects/{id}/devices", "POST", """{"metro":"sv","plan":"c3.small.x86","operating_system":"ubuntu_22_04"}"""));
        // oneOf metro|facility: both at once matches both branches.
        Assert.NotEmpty(contract.ValidateRequest("/projects/{id}/devices", "POST", """{"metro":"sv","facility":["ewr1"],"plan":"c3.small.x86","operating_system":"ubuntu_22_04"}"""));
        Assert.NotEmpty(contract.ValidateRequest("/projects/{id}/devices", "POST", """{"plan":"c3.small.x86","operating_system":"ubuntu_22_04"}"""));
        // quantity is a string in ServerInfo.
        Assert.NotEmpty(contract.ValidateRequest("/capacity/metros", "POST", """{"servers":[{"metro":"sv","plan":"c3.small.x86","quantity":2}]}"""));
        Assert.Empty(contract.ValidateRequest("/ssh-keys", "POST", """{"label":"k","key":"ssh-ed25519 AAAA k"}"""));
    }
}
