using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace PacketCluster.Simulator.Tests;

public sealed class ConsoleIntegrationTests
{
    private static string SimulatorDll =>
        Path.Combine(AppContext.BaseDirectory, "PacketCluster.Simulator.dll");

    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(SimulatorDll);
        foreach (var a in args) info.ArgumentList.Add(a);
        return Process.Start(info)!;
    }

    [Fact]
    public async Task PrintsOneJsonLineServesTheApiAndStopsOnSignal()
    {
        using var process = Start("--port", "0", "--seed", "5");
        try
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            var start = JsonNode.Parse(line!)!.AsObject();
            Assert.Equal(process.Id, start["pid"]!.GetValue<int>());
            var url = new Uri(start["url"]!.GetValue<string>());
            Assert.Equal("127.0.0.1", url.Host);
            Assert.EndsWith("/metal/v1/", url.AbsolutePath);
            Assert.EndsWith("/_simulator/", start["adminUrl"]!.GetValue<string>());

            using var http = new HttpClient(new Contract.ContractCheckingHandler()) { BaseAddress = url };
            http.DefaultRequestHeaders.Add("X-Auth-Token", start["apiKey"]!.GetValue<string>());
            var projects = JsonNode.Parse(await http.GetStringAsync("projects"))!;
            Assert.Equal(start["projectId"]!.GetValue<string>(), projects["projects"]![0]!["id"]!.GetValue<string>());
        }
        finally
        {
            // SIGTERM by pid (kill -TERM): the app stops cleanly with exit code 0.
            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) await kill.WaitForExitAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try { await process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { process.Kill(); }
        }
        Assert.Equal(0, process.ExitCode);
        Assert.Equal("", (await process.StandardOutput.ReadToEndAsync()).Trim());
    }

    [Fact]
    public async Task BadConfigExitsNonZeroWithAMessage()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "apiVersion: packetcluster.io/v1alpha1\nkind: SimulatorConfig\naddresses:\n  publicIpv4: 10.1.0.0/16\n");
            using var process = Start("--port", "0", "--config", file);
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(2, process.ExitCode);
            Assert.Contains("127.0.0.0/8", await stderr);
            Assert.Equal("", await process.StandardOutput.ReadToEndAsync());
        }
        finally { File.Delete(file); }
    }
}
