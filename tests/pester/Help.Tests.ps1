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

    It 'about_PacketCluster covers the whole flow: simulator, create, day 2, node pools, pivot, delete, troubleshooting' {
        $about = Get-Help about_PacketCluster | Out-String
        foreach ($topic in 'SIMULATOR', 'CREATING A CLUSTER', 'DAY 2', 'NODE POOLS', 'PIVOT', 'DELETING', 'TROUBLESHOOTING') {
            $about | Should -Match $topic -Because "about_PacketCluster has a $topic section"
        }
        foreach ($cmdlet in 'Start-PacketSimulator', 'New-PacketCluster', 'Wait-PacketCluster', 'Add-PacketMachine', 'New-PacketMachineDeployment', 'Invoke-PacketPivot', 'Remove-PacketCluster', 'Get-PacketConnection') {
            $about | Should -Match $cmdlet
        }
    }

    It '<Name> links its online page (HelpUri), and that page is in docs/cmdlets, generated from the same comments' -ForEach @(
        (Import-PowerShellDataFile (Join-Path ($env:PACKETCLUSTER_TEST_MODULE ?? (Join-Path $PSScriptRoot '../../out/PacketCluster')) 'PacketCluster.psd1')).CmdletsToExport | ForEach-Object { @{ Name = $_ } }
    ) {
        (Get-Command $Name).HelpUri | Should -Be "https://github.com/packetcluster/packetcluster/blob/main/docs/cmdlets/$Name.md"
        $committed = Join-Path $PSScriptRoot "../../docs/cmdlets/$Name.md"
        $committed | Should -Exist
        $generated = Join-Path $PSScriptRoot "../../out/docs/cmdlets/$Name.md"
        if (Test-Path $generated) {
            # build.ps1 Help regenerates the pages from the doc comments; a change not carried to docs/ fails here.
            Get-Content $committed -Raw | Should -BeExactly (Get-Content $generated -Raw) -Because "docs/cmdlets/$Name.md is out of date: run ./build.sh Docs"
        }
        (Get-Content $committed -Raw) | Should -Match "(?m)^# $Name$"
    }

    It 'the README''s cmdlet table lists every exported cmdlet' {
        $readme = Get-Content (Join-Path $PSScriptRoot '../../README.md') -Raw
        foreach ($name in (Import-PowerShellDataFile $ModuleManifest).CmdletsToExport) {
            $readme | Should -Match "(?m)^\| [^\n]*``$name``" -Because "README.md's table has a row for $name"
        }
    }

    It 'the manifest''s HelpInfoURI points at the same docs' {
        (Test-ModuleManifest $ModuleManifest).HelpInfoUri | Should -Be 'https://github.com/packetcluster/packetcluster/tree/main/docs/cmdlets'
    }

    It 'docs/cmdlets has no page for a cmdlet that does not exist' {
        $exported = (Import-PowerShellDataFile $ModuleManifest).CmdletsToExport
        Get-ChildItem (Join-Path $PSScriptRoot '../../docs/cmdlets') -Filter '*-*.md' | ForEach-Object { $_.BaseName | Should -BeIn $exported }
    }

    It 'Get-Help -Online opens the online page (the browser is a stand-in that records what it was given)' {
        $bin = New-TestWorkDirectory 'pc-browser'
        try {
            $opened = Join-Path $bin 'opened.txt'
            # .NET opens URLs through xdg-open on Linux, open on macOS: both stand-ins write the URL down, nothing is fetched.
            foreach ($opener in 'xdg-open', 'open') {
                Set-Content (Join-Path $bin $opener) "#!/bin/sh`necho `"`$1`" > '$opened'"
                chmod +x (Join-Path $bin $opener)
            }
            $out = Invoke-FreshPwsh "`$env:PATH = '$bin' + [IO.Path]::PathSeparator + `$env:PATH; Import-Module '$ModuleManifest'; Get-Help Wait-PacketCluster -Online"
            Wait-Until { Test-Path $opened } 'the stand-in browser was started' 10 -IntervalMilliseconds 100
            (Get-Content $opened -Raw).Trim() | Should -Be 'https://github.com/packetcluster/packetcluster/blob/main/docs/cmdlets/Wait-PacketCluster.md' -Because ($out -join "`n")
        } finally { Remove-Item $bin -Recurse -Force -ErrorAction Ignore }
    }

    It 'shows parameter defaults and which parameters take wildcards' {
        (Get-Help New-PacketCluster -Parameter TimeoutSeconds).defaultValue | Should -Be '1800'
        (Get-Help New-PacketClusterConfig -Parameter PodCidr).defaultValue | Should -Be '172.26.0.0/16'
        (Get-Help Wait-PacketCluster -Parameter Condition).defaultValue | Should -Be 'Ready'
        (Get-Help Get-PacketCluster -Parameter Name).globbing | Should -Be 'true'
        (Get-Help Remove-PacketCluster -Parameter Name).globbing | Should -Be 'false'
    }
}
