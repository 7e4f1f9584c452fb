BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    # The package build.ps1 Package wrote beside the assembled folder (out/repo).
    $script:Repo = Join-Path (Split-Path $ModuleDir) 'repo'
    $script:Nupkg = Get-ChildItem $Repo -Filter 'PacketCluster.*.nupkg' -ErrorAction SilentlyContinue | Select-Object -First 1
    $script:Work = New-TestWorkDirectory 'package'
    # A user's PowerShell with nothing installed: its own home, so PSResourceGet's repository list and the
    # CurrentUser module path (~/.local/share/powershell/Modules) are new and private to this test.
    $script:UserHome = Join-Path $Work 'home'
    $script:UserData = Join-Path $UserHome '.local/share'
    New-Item -ItemType Directory $UserData -Force | Out-Null
    function script:Invoke-AsNewUser([string] $Script) {
        $saved = $env:HOME, $env:XDG_DATA_HOME, $env:XDG_CONFIG_HOME, $env:XDG_CACHE_HOME, $env:PSModulePath
        try {
            $env:HOME = $UserHome; $env:XDG_DATA_HOME = $UserData
            $env:XDG_CONFIG_HOME = Join-Path $UserHome '.config'; $env:XDG_CACHE_HOME = Join-Path $UserHome '.cache'
            $env:PSModulePath = $null
            Invoke-FreshPwsh $Script
        }
        finally { $env:HOME, $env:XDG_DATA_HOME, $env:XDG_CONFIG_HOME, $env:XDG_CACHE_HOME, $env:PSModulePath = $saved }
    }
}

AfterAll {
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The .nupkg' {
    It 'installs with Install-PSResource from a local repository, imports by name and runs its self-contained simulator with no .NET on the path' {
        $Nupkg | Should -Not -BeNullOrEmpty -Because "build.ps1 Package writes it to $Repo"
        $out = Invoke-AsNewUser @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name PacketClusterTest -Uri '$Repo' -Trusted
Install-PSResource -Name PacketCluster -Repository PacketClusterTest -Scope CurrentUser -TrustRepository
'installed:' + (Get-InstalledPSResource -Name PacketCluster).InstalledLocation
"@
        ($out -join "`n") | Should -Match 'installed:' -Because ($out -join "`n")
        $installed = Join-Path $UserData 'powershell/Modules/PacketCluster'
        Test-Path $installed | Should -BeTrue -Because ($out -join "`n")

        # No dotnet for the simulator to fall back on: a framework-dependent simulator would not start.
        $out = Invoke-AsNewUser @"
`$ErrorActionPreference = 'Stop'
Import-Module PacketCluster
'base:' + (Get-Module PacketCluster).ModuleBase
`$env:DOTNET_ROOT = '/nonexistent/dotnet'
`$env:PATH = '/usr/bin:/bin'
`$sim = Start-PacketSimulator
try {
    `$sim | Connect-PacketApi | Out-Null
    'plans:' + @(Get-PacketPlan).Count
    'process:' + (Get-Process -Id `$sim.ProcessId).Path
}
finally { Stop-PacketSimulator -ProcessId `$sim.ProcessId }
"@
        $text = $out -join "`n"
        $text | Should -Match ([regex]::Escape("base:$installed")) -Because $text
        $text | Should -Match 'plans:[1-9]' -Because $text
        $text | Should -Match ([regex]::Escape("process:$installed") + '.*/Simulator/linux-x64/PacketCluster\.Simulator') -Because $text
    }

    It 'has a manifest with everything the Gallery shows' {
        $manifest = Test-ModuleManifest $ModuleManifest
        $data = $manifest.PrivateData.PSData
        $data.ProjectUri | Should -Match '^https://'
        $data.LicenseUri | Should -Match '^https://'
        $data.Tags | Should -Contain 'Kubernetes'
        $data.Tags | Should -Contain 'PSEdition_Core'
        # ReleaseNotes are this version's CHANGELOG.md section, not a placeholder.
        $changelog = Get-Content (Join-Path $PSScriptRoot '../../CHANGELOG.md') -Raw
        $changelog | Should -Match ([regex]::Escape("## $($manifest.Version)"))
        $data.ReleaseNotes | Should -Not -Match 'CHANGELOG'
        $changelog | Should -Match ([regex]::Escape(($data.ReleaseNotes -split "`n")[0]))
        $manifest.Description | Should -Not -BeNullOrEmpty
    }
}

Describe 'The assembled simulator' {
    It 'is one self-contained executable per platform, with nothing else beside it' {
        $folders = Get-ChildItem (Join-Path $ModuleDir 'Simulator') -Directory
        $folders.Name | Should -Contain 'linux-x64'
        foreach ($folder in $folders) {
            $files = Get-ChildItem $folder.FullName -File
            $files.Name | Should -Be ('PacketCluster.Simulator' + $(if ($folder.Name -like 'win-*') { '.exe' }))
        }
    }

    It 'says which platforms the package has when it lacks this one' {
        $fake = Join-Path $Work 'module-without-simulator'
        Copy-Item $ModuleDir $fake -Recurse
        Remove-Item (Join-Path $fake 'Simulator/linux-x64') -Recurse -Force
        New-Item -ItemType Directory (Join-Path $fake 'Simulator/osx-arm64') | Out-Null
        $out = Invoke-FreshPwsh @"
Import-Module '$(Join-Path $fake 'PacketCluster.psd1')'
try { Start-PacketSimulator -ErrorAction Stop } catch { 'id:' + `$_.FullyQualifiedErrorId; 'msg:' + `$_.Exception.Message }
"@
        $text = $out -join "`n"
        $text | Should -Match 'id:SimulatorNotFound' -Because $text
        $text | Should -Match 'no simulator for linux-x64 \(it has: osx-arm64\)' -Because $text
    }
}
