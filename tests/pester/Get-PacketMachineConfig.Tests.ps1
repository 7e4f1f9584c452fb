BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
}

Describe 'Get-PacketMachineConfig' {
    It 'lists the shipped catalogue: current Ubuntu LTS, 1.20.2 and the seed entry, both roles' {
        $all = Get-PacketMachineConfig
        $all | Should -BeOfType ([PacketCluster.Models.MachineConfigInfo])
        $all | Where-Object { $_.Image -eq 'ubuntu_24_04' -and $_.Role -ceq 'ControlPlane' } | Should -Not -BeNullOrEmpty
        $all | Where-Object { $_.Kubelet -eq '1.20.2' -and $_.Role -ceq 'Worker' } | Should -Not -BeNullOrEmpty
        $all | Where-Object { $_.Image -eq 'ubuntu_18_04' -and $_.Kubelet -eq '1.14.3' } | Should -HaveCount 2
    }

    It 'filters by image and version with wildcards' {
        $r = Get-PacketMachineConfig -Image ubuntu_2* -KubernetesVersion 1.20.*
        $r | Should -Not -BeNullOrEmpty
        $r.Kubelet | Sort-Object -Unique | Should -Be '1.20.2'
        (Get-PacketMachineConfig -Image ubuntu_18_04 -Role worker).ControlPlane | Should -BeNullOrEmpty
    }

    It 'reports a clear error for an exact filter that matches nothing' {
        { Get-PacketMachineConfig -Image ubuntu_24_04 -KubernetesVersion 1.9.9 -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineConfigNotFound,PacketCluster.Commands.GetPacketMachineConfigCommand'
    }

    It 'completes -KubernetesVersion and -OperatingSystem from the catalogue' {
        $line = 'Get-PacketMachineConfig -KubernetesVersion 1.2'
        $versions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $versions | Should -Contain '1.20.2'
        $versions | Should -Not -Contain '1.14.3'
        $line = 'New-PacketClusterConfig -OperatingSystem ubuntu_1'
        $images = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText
        $images | Should -Contain 'ubuntu_18_04'
    }
}
