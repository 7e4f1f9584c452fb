using System.Text.Json.Nodes;
using PacketCluster.Models;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Api;

/// <summary>What reading a cluster definition produced: the config, warnings, and the machine-config catalogue text in force.</summary>
public sealed record ClusterConfigReadResult(PacketClusterConfig Config, IReadOnlyList<string> Warnings, string? MachineConfigsYaml);

/// <summary>
/// Reads cluster.yaml, machines.yaml, provider-components.yaml and addons.yaml (ours or the 2019
/// generate-yaml.sh output) into a <see cref="PacketClusterConfig"/>. Reads only; every problem in every
/// file is reported together in one <see cref="ClusterConfigInvalidException"/>.
/// </summary>
public static class ClusterConfigReader
{
    /// <summary>ConfigMap data key that holds the machine-config catalogue (the seed's name).</summary>
    public const string MachineConfigsKey = "machine_configs.yaml";

    public static ClusterConfigReadResult ReadDirectory(string directory)
    {
        if (!Directory.Exists(directory))
            throw new PacketClusterException("ClusterConfigNotFound", ErrorKind.ObjectNotFound,
                $"The folder '{directory}' does not exist. Create a definition with New-PacketClusterConfig -OutputDirectory '{directory}'.",
                "Check the -Path folder, or create a cluster definition there with New-PacketClusterConfig -OutputDirectory.", directory);
        var files = ClusterConfigFiles.InDirectory(directory);
        var result = Read(files with
        {
            ProviderComponentsFile = File.Exists(files.ProviderComponentsFile) ? files.ProviderComponentsFile : null,
            AddonsFile = File.Exists(files.AddonsFile) ? files.AddonsFile : null,
        });
        result.Config.Directory = Path.GetFullPath(directory);
        return result;
    }

    public static ClusterConfigReadResult Read(ClusterConfigFiles files)
    {
        var missing = new[] { files.ClusterFile, files.MachinesFile }.Where(f => !File.Exists(f)).ToList();
        if (missing.Count > 0)
            throw new PacketClusterException("ClusterConfigNotFound", ErrorKind.ObjectNotFound,
                $"Cannot find {string.Join(" and ", missing.Select(m => $"'{m}'"))}. A cluster definition needs {ClusterConfigFiles.Cluster} and {ClusterConfigFiles.Machines}; New-PacketClusterConfig writes them.",
                "Check the path, or write both files with New-PacketClusterConfig.",
                missing[0]);
        return Parse(
            new NamedText(files.ClusterFile, Read(files.ClusterFile)),
            new NamedText(files.MachinesFile, Read(files.MachinesFile)),
            files.ProviderComponentsFile is { } pc ? new NamedText(pc, Read(pc)) : null,
            files.AddonsFile is { } ad ? new NamedText(ad, Read(ad)) : null);

        static string Read(string path) => InputFile.ReadAllText(path, InputFile.DefinitionLimit, "The cluster definition file");
    }

    public static ClusterConfigReadResult Parse(NamedText clusterYaml, NamedText machinesYaml, NamedText? providerComponentsYaml, NamedText? addonsYaml)
    {
        var problems = new List<ValidationProblem>();
        var warnings = new List<string>();
        var config = new PacketClusterConfig
        {
            ClusterFile = clusterYaml.Name,
            MachinesFile = machinesYaml.Name,
            ProviderComponentsFile = providerComponentsYaml?.Name,
            AddonsFile = addonsYaml?.Name,
        };

        var clusters = new List<Cluster>();
        foreach (var doc in ParseDocuments(clusterYaml, problems))
        {
            if (doc.Kind == "Cluster") TryAdd(() => ResourceCodec.Deserialize<Cluster>(doc, warnings), clusters, doc, problems);
            else problems.Add(UnexpectedKind(doc, "Cluster"));
        }
        if (clusters.Count == 1) config.Cluster = clusters[0];
        else if (!problems.Any(p => p.Source == clusterYaml.Name))
            problems.Add(new ValidationProblem(clusters.Count == 0 ? "RequiredFieldMissing" : "UnexpectedKind", clusterYaml.Name, "", "",
                $"must hold exactly one Cluster, found {clusters.Count}."));

        foreach (var doc in ParseDocuments(machinesYaml, problems))
        {
            switch (doc.Kind)
            {
                case "MachineList":
                    var list = Deserialize<MachineList>(doc, warnings, problems);
                    if (list is not null) config.Machines.AddRange(list.Items);
                    break;
                case "Machine": TryAdd(() => ResourceCodec.Deserialize<Machine>(doc, warnings), config.Machines, doc, problems); break;
                case "MachineSet": TryAdd(() => ResourceCodec.Deserialize<MachineSet>(doc, warnings), config.MachineSets, doc, problems); break;
                case "MachineDeployment": TryAdd(() => ResourceCodec.Deserialize<MachineDeployment>(doc, warnings), config.MachineDeployments, doc, problems); break;
                case "MachineHealthCheck":
                    var before = config.MachineHealthChecks.Count;
                    TryAdd(() => ResourceCodec.Deserialize<MachineHealthCheck>(doc, warnings), config.MachineHealthChecks, doc, problems);
                    if (config.MachineHealthChecks.Count > before) CheckHealthCheck(config.MachineHealthChecks[^1], config.Cluster.Metadata.Name, doc, problems);
                    break;
                default: problems.Add(UnexpectedKind(doc, "Machine, MachineList, MachineSet, MachineDeployment or MachineHealthCheck")); break;
            }
        }

        string? machineConfigs = null;
        if (providerComponentsYaml is not null)
            machineConfigs = CheckManifest(providerComponentsYaml, problems, findMachineConfigs: true);
        else
            warnings.Add($"No {ClusterConfigFiles.ProviderComponents} given: the shipped machine configs and provider components will be used.");
        if (addonsYaml is not null) CheckManifest(addonsYaml, problems, findMachineConfigs: false);
        else warnings.Add($"No {ClusterConfigFiles.Addons} given: no add-ons will be applied to the cluster.");

        if (problems.Count > 0) throw new ClusterConfigInvalidException(problems);
        return new ClusterConfigReadResult(config, warnings, machineConfigs);
    }

    // Checked here, where the document's file is known: a health check that would never act is refused with the file.
    private static void CheckHealthCheck(MachineHealthCheck check, string? clusterName, SourceDocument doc, List<ValidationProblem> problems)
    {
        foreach (var problem in Controllers.HealthCheckRules.Problems(check.Spec))
            problems.Add(new ValidationProblem("InvalidMachineHealthCheck", doc.Source, "", "", $"MachineHealthCheck {check.Name}: {problem}"));
        if (clusterName is not null && check.Spec.ClusterName is { Length: > 0 } named && named != clusterName)
            problems.Add(new ValidationProblem("InvalidMachineHealthCheck", doc.Source, "", "",
                $"MachineHealthCheck {check.Name}: spec.clusterName '{named}' is not this definition's cluster '{clusterName}'."));
    }

    private static IReadOnlyList<SourceDocument> ParseDocuments(NamedText text, List<ValidationProblem> problems)
    {
        try
        {
            var docs = YamlJsonBridge.Parse(text.Text, text.Name);
            if (docs.Count == 0)
                problems.Add(new ValidationProblem("RequiredFieldMissing", text.Name, "", "", "is empty."));
            return docs;
        }
        catch (PacketClusterException ex)
        {
            problems.Add(new ValidationProblem(ex.ErrorId, text.Name, "", "", StripSource(ex.Message, text.Name)));
            return Array.Empty<SourceDocument>();
        }
    }

    private static void TryAdd<T>(Func<T> read, List<T> into, SourceDocument doc, List<ValidationProblem> problems)
    {
        try { into.Add(read()); }
        catch (PacketClusterException ex) { problems.Add(new ValidationProblem(ex.ErrorId, doc.Source, "", "", StripSource(ex.Message, doc.Source))); }
    }

    private static T? Deserialize<T>(SourceDocument doc, List<string> warnings, List<ValidationProblem> problems) where T : class
    {
        var result = new List<T>();
        TryAdd(() => ResourceCodec.Deserialize<T>(doc, warnings), result, doc, problems);
        return result.FirstOrDefault();
    }

    private static ValidationProblem UnexpectedKind(SourceDocument doc, string expected) =>
        new("UnexpectedKind", doc.Source, doc.Describe(), "kind",
            $"document {doc.Index + 1} (line {doc.Line}) is a '{doc.Kind ?? "<none>"}', expected {expected}.");

    /// <summary>Checks a manifest file parses and every document names apiVersion, kind and metadata.name; returns the machine configs if found.</summary>
    private static string? CheckManifest(NamedText text, List<ValidationProblem> problems, bool findMachineConfigs)
    {
        string? machineConfigs = null;
        foreach (var doc in ParseDocuments(text, problems))
        {
            if (doc.ApiVersion is null || doc.Kind is null || doc.Name is null)
            {
                problems.Add(new ValidationProblem("InvalidResource", doc.Source, doc.Describe(), "",
                    $"document {doc.Index + 1} (line {doc.Line}) needs apiVersion, kind and metadata.name."));
                continue;
            }
            if (findMachineConfigs && doc.Kind == "ConfigMap" && doc.Root?["data"]?[MachineConfigsKey] is JsonValue v && v.TryGetValue<string>(out var yaml))
                machineConfigs = yaml;
        }
        return machineConfigs;
    }

    private static string StripSource(string message, string source) =>
        message.StartsWith(source + ": ", StringComparison.Ordinal) ? message[(source.Length + 2)..] : message;
}

/// <summary>Text with the name (usually the path) it is reported under.</summary>
public sealed record NamedText(string Name, string Text);
