using System.Management.Automation;
using System.Text.RegularExpressions;

namespace PacketCluster;

/// <summary>
/// A Kubernetes version parameter: major.minor.patch without a v. PowerShell checks it before the cmdlet runs; the
/// error it then shows says the rule in words and where the valid versions are, not a regex.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateKubernetesVersionAttribute : ValidateArgumentsAttribute
{
    private static readonly Regex Version = new(@"^\d+\.\d+\.\d+$", RegexOptions.CultureInvariant);

    protected override void Validate(object arguments, EngineIntrinsics engineIntrinsics)
    {
        if (arguments is string text && Version.IsMatch(text)) return;
        throw new ValidationMetadataException(
            $"'{arguments}' is not a Kubernetes version: write major.minor.patch without a v, such as 1.35.0. Get-PacketMachineConfig lists the versions there are machine configs for.");
    }
}
