using PacketCluster.Simulator.Config;

namespace PacketCluster.Simulator.Hosting;

/// <summary>How to start a simulator (console flags map 1:1). Explicit values override the config file's.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Loopback port; 0 picks a free one.</summary>
    public int Port { get; set; }
    /// <summary>The X-Auth-Token to accept. Null: a random token per start.</summary>
    public string? ApiKey { get; set; }
    /// <summary>A SimulatorConfig YAML file. Ignored when <see cref="Config"/> is set.</summary>
    public string? ConfigPath { get; set; }
    /// <summary>An in-memory config (tests). Validated like a file.</summary>
    public SimulatorConfig? Config { get; set; }
    public string? StateDir { get; set; }
    public int? Seed { get; set; }
    /// <summary>The simulator's clock; tests pass a manual one to drive the device lifecycle.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
    /// <summary>Console mode: log to stderr (stdout carries only the one JSON start line).</summary>
    public bool LogToStandardError { get; set; }
    /// <summary>Starts the simulated kubelet of a booted device; the default only says on the console that there is none.</summary>
    public Boot.IKubeletLauncher KubeletLauncher { get; set; } = new Boot.SimulatedKubeletLauncher(Boot.Pods.ContainerImages.FromEnvironment());
    /// <summary>Where the control-plane binaries are; default: the build's cache (PACKETCLUSTER_KUBE_CACHE) and /usr/bin/etcd.</summary>
    public Boot.KubeBinaries? KubeBinaries { get; set; }
}
