BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
}

Describe 'The assembled module' {
    It 'exports exactly the cmdlets the manifest lists' {
        $listed = (Import-PowerShellDataFile $ModuleManifest).CmdletsToExport
        $actual = (Get-Command -Module PacketCluster).Name
        Compare-Object $listed $actual | Should -BeNullOrEmpty
        $actual.Count | Should -BeGreaterOrEqual 4
    }

    It 'passes Test-ModuleManifest' {
        (Test-ModuleManifest $ModuleManifest).Name | Should -Be 'PacketCluster'
    }

    It 'keeps the engine and its dependencies out of the Default load context' {
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'PacketCluster.Engine' }
        # Touch the engine so it loads.
        Get-PacketMachineConfig | Out-Null
        $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'PacketCluster.Engine' }
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($engine).Name | Should -Be 'PacketCluster.Dependencies'
        $models = [PacketCluster.Models.PacketClusterConfig].Assembly
        [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($models).Name | Should -Be 'Default'
        Test-Path (Join-Path $ModuleDir 'YamlDotNet.dll') | Should -BeFalse
        Test-Path (Join-Path $ModuleDir 'Dependencies/YamlDotNet.dll') | Should -BeTrue
    }

    It 'still works when another YamlDotNet version is loaded into the session first' {
        $other = Get-Item (Join-Path $PSScriptRoot '../../.tools/nuget/yamldotnet/16.3.0')
        $other | Should -Not -BeNullOrEmpty -Because 'tools/pester/Pester.proj downloads YamlDotNet 16.3.0'
        $dll = Get-ChildItem $other.FullName -Recurse -Filter YamlDotNet.dll | Where-Object FullName -match '[\\/]net8.0[\\/]' | Select-Object -First 1
        $out = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
Add-Type -Path '$($dll.FullName)'
`$before = ([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'YamlDotNet' }).GetName().Version.Major
Import-Module '$ModuleManifest'
`$d = Join-Path ([IO.Path]::GetTempPath()) ([Guid]::NewGuid())
`$env:PACKET_API_KEY = 'alc-test-key'; `$env:PACKET_PROJECT_ID = 'p-1'; `$env:PACKET_API_URL = 'http://127.0.0.1:9/metal/v1/'
`$c = New-PacketClusterConfig -OutputDirectory `$d -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -WarningAction SilentlyContinue
`$i = Import-PacketClusterConfig `$d
`$versions = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'YamlDotNet' } | ForEach-Object { `$_.GetName().Version.Major }
"RESULT|`${before}|`$((`$versions | Sort-Object) -join ',')|`$(`$i.Name -eq `$c.Name)"
Remove-Item `$d -Recurse -Force
"@
        $line = $out | Where-Object { "$_" -like 'RESULT|*' }
        $line | Should -Not -BeNullOrEmpty -Because ($out -join "`n")
        $parts = "$line".Split('|')
        [int]$parts[1] | Should -BeLessThan 18
        $parts[2] | Should -Match '18'
        $parts[3] | Should -Be 'True'
    }
}
