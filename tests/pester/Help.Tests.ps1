BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
}

Describe 'Help' {
    It '<Name> has a synopsis, every parameter described and at least two examples' -ForEach @(
        (Import-PowerShellDataFile (Join-Path ($env:PACKETCLUSTER_TEST_MODULE ?? (Join-Path $PSScriptRoot '../../out/PacketCluster')) 'PacketCluster.psd1')).CmdletsToExport | ForEach-Object { @{ Name = $_ } }
    ) {
        $help = Get-Help $Name -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$Name\s"
        @($help.Examples.Example).Count | Should -BeGreaterOrEqual 2
        $cmd = Get-Command $Name
        $common = [System.Management.Automation.Cmdlet]::CommonParameters
        foreach ($p in $cmd.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $ph = $help.Parameters.Parameter | Where-Object Name -eq $p
            $ph | Should -Not -BeNullOrEmpty -Because "-$p must be in the help"
            ($ph.Description | Out-String).Trim() | Should -Not -BeNullOrEmpty -Because "-$p needs a description"
        }
    }

    It 'New-PacketClusterConfig -Full renders in a fresh session' {
        $text = Invoke-FreshPwsh "Import-Module '$ModuleManifest'; Get-Help New-PacketClusterConfig -Full | Out-String -Width 200"
        ($text -join "`n") | Should -Match 'SYNOPSIS'
        ($text -join "`n") | Should -Match '-OutputDirectory'
        ($text -join "`n") | Should -Match 'Example 2'
    }

    It 'about_PacketCluster is available' {
        (Get-Help about_PacketCluster | Out-String) | Should -Match 'PacketCluster'
    }
}
