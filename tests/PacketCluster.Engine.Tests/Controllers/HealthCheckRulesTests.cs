using PacketCluster.Engine.Controllers;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Controllers;

public sealed class HealthCheckRulesTests
{
    [Theory]
    [InlineData("300s", 300)]
    [InlineData("5m", 300)]
    [InlineData("1h30m", 5400)]
    [InlineData("1500ms", 1.5)]
    [InlineData("2m30s", 150)]
    [InlineData(" 10m ", 600)]
    public void Go_durations_parse(string text, double seconds) => Assert.Equal(TimeSpan.FromSeconds(seconds), HealthCheckRules.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("5 m")]
    [InlineData("-5m")]
    [InlineData("5d")]
    [InlineData("m")]
    [InlineData("99999999999999999999h")]
    public void Other_text_is_not_a_duration(string text) => Assert.Null(HealthCheckRules.ParseDuration(text));

    [Theory]
    [InlineData(300, "5m")]
    [InlineData(90, "1m30s")]
    [InlineData(3600, "1h")]
    [InlineData(20, "20s")]
    public void Durations_format_the_Go_way_and_parse_back(int seconds, string text)
    {
        Assert.Equal(text, HealthCheckRules.FormatDuration(TimeSpan.FromSeconds(seconds)));
        Assert.Equal(TimeSpan.FromSeconds(seconds), HealthCheckRules.ParseDuration(text));
    }

    [Theory]
    [InlineData("40%", 5, 2)]
    [InlineData("40%", 2, 0)] // rounded down, as Cluster API does
    [InlineData("100%", 3, 3)]
    [InlineData("2", 10, 2)]
    [InlineData(null, 7, 7)]
    [InlineData("101%", 5, null)]
    [InlineData("-1", 5, null)]
    [InlineData("two", 5, null)]
    public void MaxUnhealthy_is_a_count_or_a_percentage(string? text, int total, int? allowed) =>
        Assert.Equal(allowed, HealthCheckRules.MaxUnhealthyOf(text, total));

    [Fact]
    public void The_default_checks_every_worker_for_Ready_Unknown_or_False_for_5_minutes()
    {
        var check = HealthCheckRules.Default("prod", "default");
        Assert.Equal("prod-workers", check.Name);
        Assert.Equal("prod", check.ClusterName);
        Assert.Equal("cluster.k8s.io/cluster-name=prod,set=node", check.Selector);
        Assert.Equal("Ready=Unknown 5m, Ready=False 5m", check.UnhealthyConditions);
        Assert.Equal(("10m", "40%"), (check.NodeStartupTimeout, check.MaxUnhealthy));
        Assert.Empty(HealthCheckRules.Problems(check.Spec));
    }

    [Fact]
    public void Problems_name_each_field()
    {
        var spec = new MachineHealthCheckSpec
        {
            ClusterName = "prod",
            Selector = new LabelSelector(),
            UnhealthyConditions = [new UnhealthyCondition { Type = "Ready", Status = "Maybe", Timeout = "5 minutes" }, new UnhealthyCondition { Type = "", Status = "True", Timeout = "0s" }],
            NodeStartupTimeout = "30d",
            MaxUnhealthy = "150%",
        };
        var problems = HealthCheckRules.Problems(spec);
        Assert.Contains(problems, p => p.StartsWith("spec.selector.matchLabels is empty"));
        Assert.Contains(problems, p => p.Contains("unhealthyConditions[0].status 'Maybe'"));
        Assert.Contains(problems, p => p.Contains("unhealthyConditions[0].timeout: '5 minutes' is not a duration"));
        Assert.Contains(problems, p => p.Contains("unhealthyConditions[1].type is empty"));
        Assert.Contains(problems, p => p.Contains("unhealthyConditions[1].timeout: 0s is shorter than 1s"));
        Assert.Contains(problems, p => p.Contains("spec.nodeStartupTimeout: '30d' is not a duration"));
        Assert.Contains(problems, p => p.Contains("spec.maxUnhealthy '150%'"));
    }
}
