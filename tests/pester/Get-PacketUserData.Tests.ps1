BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    Set-OfflinePacketEnvironment
    $script:Dir = Join-Path ([IO.Path]::GetTempPath()) ("pc-pester-" + [Guid]::NewGuid())
    $script:Config = New-PacketClusterConfig -OutputDirectory $Dir -WarningAction SilentlyContinue
}
AfterAll {
    Remove-Item $Dir -Recurse -Force -ErrorAction Ignore
    Clear-OfflinePacketEnvironment
}

Describe 'Get-PacketUserData' {
    It 'renders control-plane and worker userdata of the default config that pass cloud-init schema' {
        $all = $Config | Get-PacketUserData -WarningVariable w -WarningAction SilentlyContinue
        $all | Should -HaveCount 2
        ($w -join "`n") | Should -Match 'private keys'
        foreach ($u in $all) {
            $u.Content | Should -Match '^#cloud-config'
            $f = Join-Path $Dir "$($u.MachineName).userdata"
            Set-Content -Path $f -Value $u.Content -NoNewline
            $out = & cloud-init schema --config-file $f 2>&1
            $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        }
        ($all | Where-Object Role -eq 'ControlPlane').Content | Should -Match 'kubeadm init --config'
        ($all | Where-Object Role -eq 'Worker').Content | Should -Match 'kubeadm join --config'
        ($all | Where-Object Role -eq 'Worker').Content | Should -Match 'caCertHashes'
        ($all | Out-String) | Should -Not -Match 'PRIVATE KEY'
    }

    It 'renders the given endpoint and selects machines by wildcard' {
        $u = Get-PacketUserData -Path $Dir -MachineName '*-worker-0' -ControlPlaneEndpoint 198.51.100.20 -WarningAction SilentlyContinue
        $u.MachineName | Should -Be "$($Config.Name)-worker-0"
        $u.Content | Should -Match '198\.51\.100\.20:6443'
    }

    It 'renders the seed definition with its own shell machine config and variable header' {
        $seed = Get-PacketUserData -Path $SeedDir -WarningAction SilentlyContinue
        $seed | Should -HaveCount 2
        foreach ($u in $seed) {
            $u.Content | Should -Match '^#!/bin/bash'
            $u.Content | Should -Match 'KUBELET_VERSION=.?1\.14\.3'
        }
    }

    It 'reports an unknown machine' {
        { $Config | Get-PacketUserData -MachineName nope -ErrorAction Stop -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'MachineNotFound,PacketCluster.Commands.GetPacketUserDataCommand'
    }
}
