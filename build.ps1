<#
.SYNOPSIS
    Builds, tests, documents, packages and benchmarks PacketCluster.
.DESCRIPTION
    Run through ./build.sh on a fresh machine (it installs prerequisites and the pinned pwsh), or directly
    with `dotnet pwsh -NoProfile -Command "& ./build.ps1 -Task Build,Package"`.
    Tasks: Build, Assemble, Help, Package, KubeBinaries, UnitTest, Pester, Test (all of it), Bench, Demo.
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Assemble', 'Help', 'Package', 'KubeBinaries', 'UnitTest', 'Pester', 'Test', 'Bench', 'Demo')]
    [string[]] $Task = @('Build'),
    [string] $Configuration = 'Release'
)

$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $true
Set-StrictMode -Version 3.0

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleDir = Join-Path $Out 'PacketCluster'
$Lib = 'net8.0'
$env:PACKETCLUSTER_KUBE_CACHE = if ($env:PACKETCLUSTER_KUBE_CACHE) { $env:PACKETCLUSTER_KUBE_CACHE } else { Join-Path $HOME '.cache/packetcluster/kube-1.20.2' }
$script:Failed = @()

function Invoke-Build {
    dotnet build (Join-Path $Root 'PacketCluster.sln') -c $Configuration -v q -nologo
}

function Invoke-Assemble {
    if (Test-Path $ModuleDir) { Remove-Item $ModuleDir -Recurse -Force }
    $deps = New-Item -ItemType Directory -Path (Join-Path $ModuleDir 'Dependencies') -Force
    New-Item -ItemType Directory -Path (Join-Path $ModuleDir 'en-US') -Force | Out-Null
    $cmdletBin = Join-Path $Root "src/PacketCluster/bin/$Configuration/$Lib"
    $engineBin = Join-Path $Root "src/PacketCluster.Engine/bin/$Configuration/$Lib"
    Copy-Item (Join-Path $cmdletBin 'PacketCluster.dll'), (Join-Path $cmdletBin 'PacketCluster.Models.dll') $ModuleDir
    # The engine and its dependencies go to Dependencies/ (private load context); Models stays at the root
    # so there is one copy and one type identity.
    Get-ChildItem $engineBin -Filter *.dll | Where-Object Name -ne 'PacketCluster.Models.dll' | Copy-Item -Destination $deps
    Copy-Item (Join-Path $Root 'PacketCluster.psd1'), (Join-Path $Root 'src/PacketCluster/PacketCluster.format.ps1xml'), (Join-Path $Root 'LICENSE') $ModuleDir
    Copy-Item (Join-Path $Root 'en-US/*') (Join-Path $ModuleDir 'en-US')
    # The simulator runs as its own process (it needs ASP.NET Core, which pwsh does not load).
    $simulatorBin = Join-Path $Root "src/PacketCluster.Simulator/bin/$Configuration/net10.0"
    $simulator = New-Item -ItemType Directory -Path (Join-Path $ModuleDir 'Simulator') -Force
    Copy-Item (Join-Path $simulatorBin '*') -Destination $simulator -Recurse -Exclude '*.pdb'
}

function Invoke-Help {
    $xmlDoc = Join-Path $Root "src/PacketCluster/bin/$Configuration/$Lib/PacketCluster.xml"
    dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'build/New-MamlHelp.ps1') -ModulePath (Join-Path $ModuleDir 'PacketCluster.psd1') -XmlDocPath $xmlDoc -OutputPath (Join-Path $ModuleDir 'en-US/PacketCluster.dll-Help.xml')
}

function Invoke-Package {
    $manifest = Test-ModuleManifest (Join-Path $ModuleDir 'PacketCluster.psd1')
    $repo = Join-Path $Out 'repo'
    if (Test-Path $repo) { Remove-Item $repo -Recurse -Force }
    New-Item -ItemType Directory $repo | Out-Null
    # PSResourceGet keeps registered repositories in one user-wide file; two builds at once corrupted it. A child pwsh
    # whose data folder (XDG_DATA_HOME on Unix, LOCALAPPDATA on Windows) is private to this build registers the temporary
    # repository there, so the user's own store is never read or written.
    $store = Join-Path $Out "psresourceget-$PID"
    if (Test-Path $store) { Remove-Item $store -Recurse -Force }
    New-Item -ItemType Directory $store | Out-Null
    $publish = "`$ErrorActionPreference = 'Stop'; Register-PSResourceRepository -Name PacketClusterLocal -Uri '$repo' -Trusted; Publish-PSResource -Path '$ModuleDir' -Repository PacketClusterLocal"
    $saved = @{ XDG_DATA_HOME = $env:XDG_DATA_HOME; LOCALAPPDATA = $env:LOCALAPPDATA }
    try {
        $env:XDG_DATA_HOME = $store; $env:LOCALAPPDATA = $store
        dotnet pwsh -NoProfile -NonInteractive -Command $publish
        if ($LASTEXITCODE -ne 0) { throw "Publish-PSResource failed ($LASTEXITCODE)" }
    }
    finally {
        $env:XDG_DATA_HOME = $saved.XDG_DATA_HOME; $env:LOCALAPPDATA = $saved.LOCALAPPDATA
        Remove-Item $store -Recurse -Force -ErrorAction SilentlyContinue
    }
    $nupkg = Get-ChildItem $repo -Filter '*.nupkg' | Select-Object -First 1
    if (-not $nupkg) { throw 'Publish-PSResource produced no .nupkg' }
    "Package: $($nupkg.FullName) (PacketCluster $($manifest.Version))"
}

function Invoke-KubeBinaries {
    bash (Join-Path $Root 'build/kube-binaries.sh') | Out-Null
    "KubeBinaries: $env:PACKETCLUSTER_KUBE_CACHE"
}

function Invoke-UnitTest {
    $results = Join-Path $Out 'test-results/xunit'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    New-Item -ItemType Directory $results -Force | Out-Null
    $PSNativeCommandUseErrorActionPreference = $false
    # One run over the solution: every xunit project, one TRX file each.
    dotnet test (Join-Path $Root 'PacketCluster.sln') -c $Configuration --no-build -v q --nologo --results-directory $results --logger 'trx' --logger 'console;verbosity=normal' | Out-Host
    $exit = $LASTEXITCODE
    $PSNativeCommandUseErrorActionPreference = $true
    $passed = 0; $failed = 0; $total = 0
    foreach ($trx in Get-ChildItem $results -Filter *.trx) {
        $counters = ([xml](Get-Content -LiteralPath $trx.FullName -Raw)).TestRun.ResultSummary.Counters
        $passed += [int]$counters.passed; $failed += [int]$counters.failed + [int]$counters.error; $total += [int]$counters.total
    }
    if ($total -eq 0 -and $exit -ne 0) { $failed = [math]::Max($failed, 1) }
    "xunit: $passed passed, $failed failed"
    if ($exit -ne 0 -or $failed -gt 0 -or $total -eq 0) { $script:Failed += 'xunit' }
}

function Invoke-Pester {
    $PSNativeCommandUseErrorActionPreference = $false
    # A fresh process: binary modules cannot be unloaded, and the tests import the assembled folder.
    dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'tests/run-pester.ps1') -ModulePath $ModuleDir | Out-Host
    if ($LASTEXITCODE -ne 0) { $script:Failed += 'Pester' }
    $PSNativeCommandUseErrorActionPreference = $true
}

function Invoke-Demo {
    dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'build/Demo.ps1') -ModulePath $ModuleDir
}

function Invoke-Bench {
    dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'build/Bench.ps1') -ModulePath $ModuleDir -Configuration $Configuration
}

$order = @{
    Build = @('Build'); Assemble = @('Assemble'); Help = @('Help'); Package = @('Build', 'Assemble', 'Help', 'Package')
    KubeBinaries = @('KubeBinaries'); UnitTest = @('UnitTest'); Pester = @('Pester')
    Test = @('KubeBinaries', 'Build', 'Assemble', 'Help', 'Package', 'UnitTest', 'Pester'); Bench = @('Build', 'Assemble', 'Bench'); Demo = @('KubeBinaries', 'Build', 'Assemble', 'Demo')
}
$steps = [System.Collections.Generic.List[string]]::new()
foreach ($t in $Task) { foreach ($s in $order[$t]) { if (-not $steps.Contains($s)) { $steps.Add($s) } } }
foreach ($step in $steps) {
    Write-Host "==> $step" -ForegroundColor Cyan
    & "Invoke-$step"
}
if ($script:Failed.Count -gt 0) {
    Write-Host "FAILED: $($script:Failed -join ', ')"
    exit 1
}
