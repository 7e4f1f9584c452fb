using PacketCluster.Engine;
using PacketCluster.Engine.Api;
using PacketCluster.Models;
using Xunit;

namespace PacketCluster.Engine.Tests;

/// <summary>Every engine error says what to do (issue 15): the advice is a required, non-empty constructor argument.</summary>
public class PacketClusterExceptionTests
{
    [Fact]
    public void RecommendedAction_is_a_required_constructor_argument()
    {
        foreach (var ctor in typeof(PacketClusterException).GetConstructors())
        {
            var parameter = Assert.Single(ctor.GetParameters(), p => p.Name == "recommendedAction");
            Assert.False(parameter.IsOptional);
        }
        Assert.Throws<ArgumentException>(() => new PacketClusterException("X", ErrorKind.InvalidData, "message", " "));
        Assert.Equal("do this", new PacketClusterException("X", ErrorKind.InvalidData, "message", "do this").RecommendedAction);
    }

    [Fact]
    public void Quick_form_problems_name_the_parameter_once()
    {
        var config = new PacketClusterConfig { FromParameters = new() { ["Plan"] = "-Plan c9.huge", ["Metro"] = "-Metro da (default)" } };
        var problems = new[]
        {
            new ValidationProblem("UnknownPlan", "machines.yaml", "Machine/a", "providerSpec.value.machineType", "plan 'c9.huge' does not exist."),
            new ValidationProblem("UnknownPlan", "machines.yaml", "MachineDeployment/b", "providerSpec.value.machineType", "plan 'c9.huge' does not exist."),
        };
        var ex = new ClusterConfigInvalidException(ParameterAttribution.Apply(config, problems));
        Assert.Equal("-Plan c9.huge: plan 'c9.huge' does not exist.", ex.Message);
        Assert.Contains("-Plan", ex.RecommendedAction);
        Assert.Equal(2, new ClusterConfigInvalidException(problems).Problems.Count); // files: each object named
    }
}
