BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    Set-OfflinePacketEnvironment
    function New-TempDir { Join-Path ([IO.Path]::GetTempPath()) ("pc-pester-" + [Guid]::NewGuid()) }
    function ConvertTo-Canonical($c) {
        # The objects, not the paths: New returns what Import reads back.
        @($c.Cluster, $c.Machines, $c.MachineSets, $c.MachineDeployments, $c.MachineConfigs) | ConvertTo-Json -Depth 30 -Compress
    }
}
AfterAll { Clear-OfflinePacketEnvironment }

Describe 'Import-PacketClusterConfig' {
    It 'gives back the objects New-PacketClusterConfig wrote' {
        $d = New-TempDir
        $new = New-PacketClusterConfig -OutputDirectory $d -ControlPlaneCount 2 -WorkerCount 3 -WarningAction SilentlyContinue
        $imported = Import-PacketClusterConfig $d
        $imported | Should -BeOfType ([PacketCluster.Models.PacketClusterConfig])
        ConvertTo-Canonical $imported | Should -Be (ConvertTo-Canonical $new)
        $imported.Directory | Should -Be $new.Directory
        Remove-Item $d -Recurse -Force
    }

    It 'accepts the config object''s folder from the pipeline' {
        $d = New-TempDir
        $new = New-PacketClusterConfig -OutputDirectory $d -WarningAction SilentlyContinue
        ($new | Import-PacketClusterConfig).Name | Should -Be $new.Name
        Remove-Item $d -Recurse -Force
    }

    It 'imports and validates the 2019 generate-yaml.sh files unchanged' {
        $c = Import-PacketClusterConfig -ClusterFile (Join-Path $SeedDir cluster.yaml) -MachinesFile (Join-Path $SeedDir machines.yaml) `
            -ProviderComponentsFile (Join-Path $SeedDir provider-components.yaml) -AddonsFile (Join-Path $SeedDir addons.yaml)
        $c.Name | Should -Be 'test1-x7k2p'
        $c.Machines.Count | Should -Be 2
        $c.Machines[0].Spec.ProviderSpec.Value.OS | Should -Be 'ubuntu_18_04'
        $c.MachineConfigs.Image | Sort-Object -Unique | Should -Be 'ubuntu_18_04'
        (Import-PacketClusterConfig $SeedDir).Name | Should -Be 'test1-x7k2p'
    }

    It 'reports malformed input with a stable error id: <Case>' -ForEach @(
        @{ Case = 'wrong YAML'; File = 'cluster.yaml'; Text = "kind: Cluster`nspec: [`n"; Id = 'InvalidYaml' }
        @{ Case = 'wrong kind'; File = 'machines.yaml'; Text = "apiVersion: v1`nkind: Pod`nmetadata: {name: x}`n"; Id = 'UnexpectedKind' }
        @{ Case = 'bad name'; File = 'cluster.yaml'; Replace = @('name: test1-x7k2p', 'name: Test1_X7k2p'); Id = 'InvalidName' }
        @{ Case = 'overlapping CIDRs'; File = 'cluster.yaml'; Replace = @('172.26.0.0/16', '172.25.0.0/24'); Id = 'OverlappingCidr' }
        @{ Case = 'invalid CIDR'; File = 'cluster.yaml'; Replace = @('172.26.0.0/16', '172.26.0.0/33'); Id = 'InvalidCidr' }
        @{ Case = 'no machine-config match'; File = 'machines.yaml'; Replace = @('kubelet: 1.14.3', 'kubelet: 1.15.0'); Id = 'MachineConfigNotFound' }
    ) {
        $d = New-TempDir
        New-Item -ItemType Directory $d | Out-Null
        Copy-Item (Join-Path $SeedDir '*.yaml') $d
        $path = Join-Path $d $File
        if ($Replace) { (Get-Content $path -Raw).Replace($Replace[0], $Replace[1]) | Set-Content $path -NoNewline } else { Set-Content $path $Text -NoNewline }
        $before = Get-ChildItem $d | ForEach-Object { "$($_.Name):$($_.Length)" }
        { Import-PacketClusterConfig $d } | Should -Throw -ErrorId "$Id,PacketCluster.Commands.ImportPacketClusterConfigCommand"
        $err = $null
        try { Import-PacketClusterConfig $d } catch { $err = $_ }
        $err.Exception.Message | Should -Match ([regex]::Escape($File))
        $err.CategoryInfo.Category | Should -Be 'InvalidData'
        Get-ChildItem $d | ForEach-Object { "$($_.Name):$($_.Length)" } | Should -Be $before
        Remove-Item $d -Recurse -Force
    }

    It 'fails with ClusterConfigNotFound for a missing folder' {
        { Import-PacketClusterConfig (New-TempDir) } | Should -Throw -ErrorId 'ClusterConfigNotFound,PacketCluster.Commands.ImportPacketClusterConfigCommand'
    }
}
