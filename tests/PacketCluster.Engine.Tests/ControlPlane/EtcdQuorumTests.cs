using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using PacketCluster.Engine.ControlPlane;
using Xunit;

namespace PacketCluster.Engine.Tests.ControlPlane;

public sealed class EtcdQuorumTests
{
    private static EtcdMember Member(string id, string name, string host) =>
        new(id, name, [$"https://{host}:2380"], name.Length > 0 ? [$"https://{host}:2379"] : []);

    private static readonly EtcdMember[] Three = [Member("1", "cp-0", "127.5.0.1"), Member("2", "cp-1", "127.5.0.3"), Member("3", "cp-2", "127.5.0.5")];

    [Theory]
    [InlineData("123", "cp-1", false)] // all healthy: 2 of the 2 left
    [InlineData("13", "cp-2", true)]   // cp-1 is down: cp-0 and the dead cp-1 left, 1 of 2
    [InlineData("13", "cp-1", false)]  // removing the dead member leaves 2 healthy of 2
    [InlineData("12", "cp-1", true)]   // cp-2 is down: 1 of 2 left
    [InlineData("12", "gone", false)]  // not a member: nothing changes
    public void RemovingAMember_KeepsOrLosesQuorum(string healthy, string removing, bool loses)
    {
        var ids = healthy.Select(c => c.ToString()).ToHashSet();
        Assert.Equal(loses, EtcdQuorum.WouldLose(Three, ids, removingHost: null, removingName: removing));
    }

    [Fact]
    public void GatewayRequests_KeepTheProtoFieldNames()
    {
        // camelCase would send "id", which etcd's gateway ignores: the removal then asks for member 0.
        Assert.Equal("{\"ID\":\"42\"}", System.Text.Json.JsonSerializer.Serialize(new { ID = "42" }, EtcdCluster.GatewayJson));
    }

    [Fact]
    public void ByHost_WhenTheMemberHasNotStarted()
    {
        EtcdMember[] members = [Member("1", "cp-0", "127.5.0.1"), Member("2", "", "127.5.0.3")];
        Assert.False(EtcdQuorum.WouldLose(members, new HashSet<string> { "1" }, "127.5.0.3", "cp-1"));
        Assert.Equal(2, EtcdQuorum.Of(3));
        Assert.Equal(3, EtcdQuorum.Of(5));
        Assert.Equal(2, EtcdQuorum.Of(2));
    }

    [Fact]
    public void Members_ReadFromTheGatewayAnswer_IdsAsStringsOrNumbers()
    {
        var answer = JsonDocument.Parse("""
            {"header":{"cluster_id":"1"},"members":[
              {"ID":"9372538179322589801","name":"cp-0","peerURLs":["https://127.5.0.1:2380"],"clientURLs":["https://127.5.0.1:2379"]},
              {"ID":42,"peerURLs":["https://[2001:db8::1]:2380"]}]}
            """);
        var members = EtcdCluster.ParseMembers(answer);
        Assert.Equal("9372538179322589801", members[0].Id);
        Assert.Equal("127.5.0.1", members[0].Host);
        Assert.True(members[0].Started);
        Assert.Equal("42", members[1].Id);
        Assert.False(members[1].Started);
        Assert.Equal("2001:db8::1", members[1].Host);
    }
}

public sealed class ControlPlaneFailoverHandlerTests
{
    [Fact]
    public async Task ARequestTheEndpointNeverTook_GoesToAnotherControlPlane_AndStaysThereForAWhile()
    {
        var inner = new Recording(dead: ["127.6.0.1"]);
        ControlPlaneAddressBook.Record("127.6.0.1", 6443, ["127.6.0.3", "127.6.0.5", "127.6.0.1"]);
        using var http = new HttpClient(new ControlPlaneFailoverHandler { InnerHandler = inner });

        using var response = await http.PostAsync("https://127.6.0.1:6443/api/v1/namespaces/default/configmaps", new StringContent("{\"a\":1}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["127.6.0.1", "127.6.0.3"], inner.Hosts);
        Assert.Equal("{\"a\":1}", inner.Bodies[^1]);

        inner.Hosts.Clear();
        using var second = await http.GetAsync("https://127.6.0.1:6443/version");
        Assert.Equal(["127.6.0.3"], inner.Hosts); // the one that answered is tried first now
    }

    [Fact]
    public async Task AnswersFromTheServer_AreNeverRepeatedElsewhere_AndUnknownEndpointsPassThrough()
    {
        var inner = new Recording(dead: [], status: HttpStatusCode.InternalServerError);
        ControlPlaneAddressBook.Record("127.6.1.1", 6443, ["127.6.1.3"]);
        using var http = new HttpClient(new ControlPlaneFailoverHandler { InnerHandler = inner });
        using var response = await http.GetAsync("https://127.6.1.1:6443/readyz");
        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(["127.6.1.1"], inner.Hosts);

        var unknown = new Recording(dead: ["127.6.2.1"]);
        using var plain = new HttpClient(new ControlPlaneFailoverHandler { InnerHandler = unknown });
        await Assert.ThrowsAsync<HttpRequestException>(() => plain.GetAsync("https://127.6.2.1:6443/readyz"));
        Assert.Equal(["127.6.2.1"], unknown.Hosts);
    }

    [Fact]
    public async Task AControlPlaneThatIsStillStarting_Answers503_AndTheNextOneServes_UnlessAllAreStarting()
    {
        var inner = new Recording(dead: [], starting: ["127.6.3.1"]);
        ControlPlaneAddressBook.Record("127.6.3.1", 6443, ["127.6.3.3"]);
        using var http = new HttpClient(new ControlPlaneFailoverHandler { InnerHandler = inner });
        using var response = await http.DeleteAsync("https://127.6.3.1:6443/apis/cluster.k8s.io/v1alpha1/namespaces/default/machines/m");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["127.6.3.1", "127.6.3.3"], inner.Hosts);

        var allStarting = new Recording(dead: [], starting: ["127.6.4.1", "127.6.4.3"]);
        ControlPlaneAddressBook.Record("127.6.4.1", 6443, ["127.6.4.3"]);
        using var both = new HttpClient(new ControlPlaneFailoverHandler { InnerHandler = allStarting });
        using var refused = await both.GetAsync("https://127.6.4.1:6443/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
    }

    [Fact]
    public async Task ThePreferenceForAnAlternate_LastsFromTheSwitch_AndIsNotExtendedByUse()
    {
        var time = new ManualTime();
        var inner = new Recording(dead: ["127.6.5.1"]);
        ControlPlaneAddressBook.Record("127.6.5.1", 6443, ["127.6.5.3"]);
        using var http = new HttpClient(new ControlPlaneFailoverHandler(time) { InnerHandler = inner });
        (await http.GetAsync("https://127.6.5.1:6443/version")).Dispose();
        time.Now += TimeSpan.FromSeconds(20);
        (await http.GetAsync("https://127.6.5.1:6443/version")).Dispose();
        time.Now += TimeSpan.FromSeconds(15);
        inner.Hosts.Clear();
        (await http.GetAsync("https://127.6.5.1:6443/version")).Dispose();
        Assert.Equal("127.6.5.1", inner.Hosts[0]); // 35 s after the switch the endpoint is tried first again
    }

    [Fact]
    public async Task ReadsAreAskedAgainThroughAnEtcdElection_WritesNever()
    {
        var answers = new Queue<HttpStatusCode>([HttpStatusCode.InternalServerError, HttpStatusCode.ServiceUnavailable, HttpStatusCode.OK]);
        var inner = new Scripted(() => answers.Dequeue());
        using var http = new HttpClient(new TransientReadRetryHandler { InnerHandler = inner });
        using var read = await http.GetAsync("https://127.6.6.1:6443/api/v1/namespaces/default/configmaps");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(3, inner.Calls);

        var failing = new Scripted(() => HttpStatusCode.InternalServerError);
        using var writes = new HttpClient(new TransientReadRetryHandler { InnerHandler = failing });
        using var write = await writes.PostAsync("https://127.6.6.1:6443/api/v1/namespaces/default/configmaps", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.InternalServerError, write.StatusCode);
        Assert.Equal(1, failing.Calls);
        using var stillFailing = await writes.GetAsync("https://127.6.6.1:6443/version");
        Assert.Equal(HttpStatusCode.InternalServerError, stillFailing.StatusCode);
        Assert.Equal(1 + 4, failing.Calls); // bounded
    }

    private sealed class Scripted(Func<HttpStatusCode> next) : HttpMessageHandler
    {
        public int Calls { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Calls++;
            return Task.FromResult(new HttpResponseMessage(next()));
        }
    }

    private sealed class ManualTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    private sealed class Recording(string[] dead, HttpStatusCode status = HttpStatusCode.OK, string[]? starting = null) : HttpMessageHandler
    {
        public List<string> Hosts { get; } = [];
        public List<string> Bodies { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Hosts.Add(request.RequestUri!.Host);
            if (request.Content is not null) Bodies.Add(await request.Content.ReadAsStringAsync(cancellationToken));
            if (dead.Contains(request.RequestUri.Host))
                throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused", new SocketException((int)SocketError.ConnectionRefused));
            return new HttpResponseMessage(starting?.Contains(request.RequestUri.Host) == true ? HttpStatusCode.ServiceUnavailable : status);
        }
    }
}
