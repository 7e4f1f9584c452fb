@{
    RootModule           = 'PacketCluster.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5d0f3c2e-8a51-4c1b-9f5e-2b7a6c4d1e90'
    Author               = 'PacketCluster contributors'
    CompanyName          = 'PacketCluster'
    Copyright            = '(c) PacketCluster contributors. Apache License 2.0.'
    Description          = 'Create and run Kubernetes clusters on Packet (Equinix Metal) bare metal the Cluster API way: cluster definitions, PKI, machine configs and userdata, provisioning and pivot.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    # The online help: one markdown page per cmdlet (each cmdlet's HelpUri). The full help ships in the module.
    HelpInfoURI          = 'https://github.com/packetcluster/packetcluster/tree/main/docs/cmdlets'
    # Dependencies are NOT listed in RequiredAssemblies: they load in a private AssemblyLoadContext.
    CmdletsToExport      = @(
        'New-PacketClusterConfig'
        'Import-PacketClusterConfig'
        'Get-PacketMachineConfig'
        'Get-PacketUserData'
        'Connect-PacketApi'
        'Disconnect-PacketApi'
        'Get-PacketConnection'
        'Get-PacketProject'
        'Get-PacketMetro'
        'Get-PacketFacility'
        'Get-PacketPlan'
        'Get-PacketOperatingSystem'
        'Get-PacketDevice'
        'Start-PacketSimulator'
        'Stop-PacketSimulator'
        'Get-PacketSimulator'
        'New-PacketCluster'
        'Get-PacketCluster'
        'Wait-PacketCluster'
        'Remove-PacketCluster'
        'Invoke-PacketPivot'
        'Start-PacketClusterManager'
        'Get-PacketMachine'
        'Get-PacketKubeconfig'
        'Add-PacketMachine'
        'Remove-PacketMachine'
        'Set-PacketMachineDeployment'
        'New-PacketMachineDeployment'
        'Get-PacketMachineDeployment'
        'Remove-PacketMachineDeployment'
        'Get-PacketMachineHealthCheck'
        'New-PacketMachineHealthCheck'
        'Set-PacketMachineHealthCheck'
        'Remove-PacketMachineHealthCheck'
        'Set-PacketControlPlane'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    FormatsToProcess     = @('PacketCluster.format.ps1xml')
    PrivateData          = @{
        PSData = @{
            Tags         = @('Kubernetes', 'ClusterAPI', 'Packet', 'EquinixMetal', 'BareMetal', 'kubeadm', 'PSEdition_Core', 'Linux', 'MacOS', 'Windows')
            LicenseUri   = 'https://www.apache.org/licenses/LICENSE-2.0'
            ProjectUri   = 'https://github.com/packetcluster/packetcluster'
            ReleaseNotes = 'See CHANGELOG.md: the build writes the section of this version here.'
        }
    }
}
