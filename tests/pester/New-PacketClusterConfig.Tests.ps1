BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    Set-OfflinePacketEnvironment
    function New-TempDir { Join-Path ([IO.Path]::GetTempPath()) ("pc-pester-" + [Guid]::NewGuid()) }
}
AfterAll { Clear-OfflinePacketEnvironment }

Describe 'New-PacketClusterConfig' {
    It 'writes the four files with the generate-yaml.sh defaults and returns the config object' {
        $d = New-TempDir
        $c = New-PacketClusterConfig -OutputDirectory $d -WarningVariable w -WarningAction SilentlyContinue
        $c | Should -BeOfType ([PacketCluster.Models.PacketClusterConfig])
        $c.Name | Should -Match '^test1-[a-z0-9]{5}$'
        $c.Facility | Should -Be 'ewr1'
        $c.Cluster.Spec.ClusterNetwork.Services.CidrBlocks | Should -Be '172.25.0.0/16'
        $c.Cluster.Spec.ClusterNetwork.Pods.CidrBlocks | Should -Be '172.26.0.0/16'
        $c.Cluster.Spec.ClusterNetwork.ServiceDomain | Should -Be 'cluster.local'
        $c.ControlPlaneCount | Should -Be 1
        $c.WorkerCount | Should -Be 1
        foreach ($f in 'cluster.yaml', 'machines.yaml', 'provider-components.yaml', 'addons.yaml', 'id_ed25519', 'id_ed25519.pub') {
            Join-Path $d $f | Should -Exist
        }
        ($w -join "`n") | Should -Match 'provider-components.yaml.*addons.yaml.*API key'
        if (-not $IsWindows) {
            (Get-Item (Join-Path $d 'provider-components.yaml')).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
            (Get-Item (Join-Path $d 'addons.yaml')).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
            (Get-Item (Join-Path $d 'id_ed25519')).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
            (Get-Item $d).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        }
        Get-Content (Join-Path $d 'id_ed25519.pub') | Should -Match '^ssh-ed25519 '
        # The API key is only in the two files meant to hold it.
        Select-String -Path (Join-Path $d 'cluster.yaml'), (Join-Path $d 'machines.yaml') -Pattern 'pester-secret-api-key' | Should -BeNullOrEmpty
        Select-String -Path (Join-Path $d 'provider-components.yaml') -Pattern 'pester-secret-api-key' | Should -Not -BeNullOrEmpty
        ($c | Out-String) | Should -Not -Match 'pester-secret-api-key'
        Remove-Item $d -Recurse -Force
    }

    It 'refuses to overwrite without -Force and leaves the files as they were' {
        $d = New-TempDir
        New-PacketClusterConfig -OutputDirectory $d -Name keep-me -WarningAction SilentlyContinue | Out-Null
        $before = Get-Content (Join-Path $d 'cluster.yaml') -Raw
        { New-PacketClusterConfig -OutputDirectory $d -Name other -WarningAction SilentlyContinue } | Should -Throw -ErrorId 'ClusterConfigExists,PacketCluster.Commands.NewPacketClusterConfigCommand'
        Get-Content (Join-Path $d 'cluster.yaml') -Raw | Should -Be $before
        (New-PacketClusterConfig -OutputDirectory $d -Name other -Force -WarningAction SilentlyContinue).Name | Should -Be 'other'
        Remove-Item $d -Recurse -Force
    }

    It 'writes nothing under -WhatIf' {
        $d = New-TempDir
        New-PacketClusterConfig -OutputDirectory $d -WhatIf | Should -BeNullOrEmpty
        $d | Should -Not -Exist
    }

    It 'uses a given SSH public key and writes no key pair' {
        $d = New-TempDir
        $pub = Join-Path ([IO.Path]::GetTempPath()) "pc-$([Guid]::NewGuid()).pub"
        'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 me@host' | Set-Content $pub
        $c = New-PacketClusterConfig -OutputDirectory $d -SshPublicKeyPath $pub -Metro da -ControlPlaneCount 3 -WorkerCount 4 -WarningAction SilentlyContinue
        Join-Path $d 'id_ed25519' | Should -Not -Exist
        $c.Machines[0].Spec.ProviderSpec.Value.SshKeys | Should -Be 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 me@host'
        $c.Metro | Should -Be 'da'
        $c.ControlPlaneCount | Should -Be 3
        $c.WorkerCount | Should -Be 4
        Remove-Item $d, $pub -Recurse -Force
    }

    It 'rejects bad input before writing anything: <Case>' -ForEach @(
        @{ Case = 'bad name'; Params = @{ Name = 'Bad_Name' }; Id = 'InvalidClusterName' }
        @{ Case = 'overlapping CIDRs'; Params = @{ PodCidr = '172.25.0.0/24' }; Id = 'OverlappingCidr' }
        @{ Case = 'invalid CIDR'; Params = @{ ServiceCidr = '172.25.0.0/99' }; Id = 'InvalidCidr' }
        @{ Case = 'no machine config'; Params = @{ OperatingSystem = 'ubuntu_24_04'; KubernetesVersion = '1.9.9' }; Id = 'MachineConfigNotFound' }
        @{ Case = 'unknown image'; Params = @{ OperatingSystem = 'windows_2019' }; Id = 'MachineConfigNotFound' }
    ) {
        $d = New-TempDir
        { New-PacketClusterConfig -OutputDirectory $d @Params -WarningAction SilentlyContinue } | Should -Throw -ErrorId "$Id,PacketCluster.Commands.NewPacketClusterConfigCommand"
        $d | Should -Not -Exist
    }

    It 'a -KubernetesVersion the operating system lacks names the systems that have it and the closest versions it has' {
        $d = New-TempDir
        try { New-PacketClusterConfig -OutputDirectory $d -KubernetesVersion 1.20.2 -WarningAction SilentlyContinue -ErrorAction Stop; $e = $null } catch { $e = $_ }
        $e.FullyQualifiedErrorId | Should -Be 'MachineConfigNotFound,PacketCluster.Commands.NewPacketClusterConfigCommand'
        $e.Exception.Message | Should -Match '^-KubernetesVersion 1\.20\.2: '
        $e.Exception.Message | Should -Match 'Kubernetes 1\.20\.2 is available on [a-z0-9_, ]*ubuntu_22_04'
        $e.Exception.Message | Should -Match 'The closest versions for ubuntu_24_04: 1\.\d+\.\d+'
        $d | Should -Not -Exist
    }

    It 'never writes the API key or a private key to any stream, even with -Verbose -Debug' {
        $d = New-TempDir
        # -Debug on a ShouldProcess cmdlet asks for confirmation under pwsh -NonInteractive; the preference variable does not.
        $DebugPreference = 'Continue'
        $all = New-PacketClusterConfig -OutputDirectory $d -Verbose -InformationAction Continue *>&1 | Out-String -Width 400
        $all | Should -Not -Match 'pester-secret-api-key'
        $all | Should -Not -Match 'PRIVATE KEY'
        $all | Should -Match 'Wrote'
        Remove-Item $d -Recurse -Force
    }

    It 'says where to get credentials when none are given' {
        $saved = $env:PACKET_API_KEY
        try {
            Remove-Item Env:PACKET_API_KEY
            { New-PacketClusterConfig -OutputDirectory (New-TempDir) } | Should -Throw -ErrorId 'ApiKeyMissing,PacketCluster.Commands.NewPacketClusterConfigCommand'
        } finally { $env:PACKET_API_KEY = $saved }
    }
}
