<#
.SYNOPSIS
    Builds, tests, documents, packages and benchmarks PacketCluster.
.DESCRIPTION
    Run through ./build.sh on a fresh machine (it installs prerequisites and the pinned pwsh), or directly
    with `dotnet pwsh -NoProfile -Command "& ./build.ps1 -Task Build,Package"`.
    Tasks: Build, Assemble, Help, Docs, Package, KubeBinaries, Image, Platforms, UnitTest, Pester, Test (all of it),
    Bench, BenchQuick, Demo, Publish. Each task runs the tasks it needs first. Help writes the MAML into the module and the markdown
    pages to out/docs/cmdlets; Docs copies those into docs/cmdlets (a Pester test fails while they differ).
.PARAMETER Runtime
    Platforms whose self-contained simulator goes into the module (linux-x64, linux-arm64, osx-x64, osx-arm64,
    win-x64), or 'all'. Default: this machine's platform. Publish always takes all five.
.PARAMETER Repository
    Publish: the PSResourceGet repository to push to: a registered name (PSGallery), a feed URI, or a folder.
.PARAMETER ApiKey
    Publish: the gallery's API key. Prefer the PACKETCLUSTER_GALLERY_API_KEY environment variable: a command line is
    visible to other processes. Never printed.
.EXAMPLE
    ./build.sh Package -Runtime all
.EXAMPLE
    PACKETCLUSTER_GALLERY_API_KEY=... ./build.sh Publish -Repository PSGallery -WhatIf
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [ValidateSet('Build', 'Assemble', 'Help', 'Docs', 'Package', 'KubeBinaries', 'Image', 'Platforms', 'UnitTest', 'Pester', 'Test', 'Bench', 'BenchQuick', 'Demo', 'Publish')]
    [string[]] $Task = @('Build'),
    [string] $Configuration = 'Release',
    [ValidateSet('all', 'linux-x64', 'linux-arm64', 'osx-x64', 'osx-arm64', 'win-x64')]
    [string[]] $Runtime,
    [string] $Repository,
    [string] $ApiKey,
    # Bench: the manager part's scale (the target's is 50 clusters of 1 control plane + 99 workers).
    [ValidateRange(1, 100)] [int] $ManagerClusters = 50,
    [ValidateRange(0, 199)] [int] $ManagerWorkers = 99
)

$ErrorActionPreference = 'Stop'
# -WhatIf is for Publish alone: the build steps before it run for real, so what it would push exists.
$script:PublishWhatIf = [bool]$WhatIfPreference
$WhatIfPreference = $false
$PSNativeCommandUseErrorActionPreference = $true
Set-StrictMode -Version 3.0

$Root = $PSScriptRoot
$Out = Join-Path $Root 'out'
$ModuleDir = Join-Path $Out 'PacketCluster'
$Lib = 'net8.0'
$env:PACKETCLUSTER_KUBE_CACHE = if ($env:PACKETCLUSTER_KUBE_CACHE) { $env:PACKETCLUSTER_KUBE_CACHE } else { Join-Path $HOME '.cache/packetcluster/kube-1.20.2' }
$script:Failed = @()
$AllRuntimes = 'linux-x64', 'linux-arm64', 'osx-x64', 'osx-arm64', 'win-x64'
$HostRuntime = '{0}-{1}' -f $(if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } else { 'linux' }), ([System.Runtime.InteropServices.RuntimeInformation]::ProcessArchitecture.ToString().ToLowerInvariant())
$Runtimes = if ($Task -contains 'Publish' -or $Runtime -contains 'all') { $AllRuntimes } elseif ($Runtime) { $Runtime } else { @($HostRuntime) }
$Version = ([xml](Get-Content (Join-Path $Root 'Directory.Build.props') -Raw)).Project.PropertyGroup.Version | Where-Object { $_ } | Select-Object -First 1
# Counts of every test runner that ran, summed into the run's one closing line.
$script:Counts = [ordered]@{}

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
    Copy-Item (Join-Path $Root 'PacketCluster.psd1'), (Join-Path $Root 'src/PacketCluster/PacketCluster.format.ps1xml'), (Join-Path $Root 'LICENSE'), (Join-Path $Root 'CHANGELOG.md') $ModuleDir
    # The Gallery shows ReleaseNotes: the CHANGELOG.md section of this version, written into the assembled manifest.
    $notes = Get-ReleaseNotes $Version
    $manifest = Join-Path $ModuleDir 'PacketCluster.psd1'
    $text = (Get-Content $manifest -Raw) -replace "(?m)^(\s*ReleaseNotes\s*=\s*)'[^']*'", ('$1' + "'" + ($notes -replace "'", "''") + "'")
    Set-Content -LiteralPath $manifest -Value $text -NoNewline
    Copy-Item (Join-Path $Root 'en-US/*') (Join-Path $ModuleDir 'en-US')
    # The simulator runs as its own process (it needs ASP.NET Core, which pwsh does not load), self-contained per
    # platform so that no .NET runtime has to be installed: Simulator/<rid>/PacketCluster.Simulator[.exe].
    foreach ($rid in $Runtimes) {
        $published = Publish-SelfContained 'PacketCluster.Simulator' $rid
        $target = New-Item -ItemType Directory -Path (Join-Path $ModuleDir "Simulator/$rid") -Force
        Copy-Item (Join-Path $published ('PacketCluster.Simulator' + $(if ($rid -like 'win-*') { '.exe' }))) $target
    }
}

function Get-ReleaseNotes([string] $ForVersion) {
    $lines = Get-Content (Join-Path $Root 'CHANGELOG.md')
    $start = [array]::IndexOf($lines, "## $ForVersion")
    if ($start -lt 0) { throw "CHANGELOG.md has no '## $ForVersion' section: add the release notes of the version being built." }
    $section = $lines[($start + 1)..($lines.Count - 1)]
    $end = [array]::FindIndex([string[]]$section, [Predicate[string]] { param($l) $l.StartsWith('## ') })
    if ($end -ge 0) { $section = $section[0..($end - 1)] }
    ($section -join "`n").Trim()
}

# A self-contained publish of an app for one platform into out/publish/<app>/<rid> (the projects hold the settings).
function Publish-SelfContained([string] $App, [string] $Rid) {
    $target = Join-Path $Out "publish/$App/$Rid"
    dotnet publish (Join-Path $Root "src/$App/$App.csproj") -c $Configuration -r $Rid -o $target -v q -nologo | Out-Host
    $target
}

function Invoke-Platforms {
    # Every released platform of both programs, with their sizes (README, "Platforms").
    $rows = foreach ($app in 'PacketCluster.Manager', 'PacketCluster.Simulator') {
        foreach ($rid in $AllRuntimes) {
            $dir = Publish-SelfContained $app $rid
            $exe = Get-Item (Join-Path $dir ($app + $(if ($rid -like 'win-*') { '.exe' })))
            [pscustomobject]@{ App = $app; Runtime = $rid; MB = [math]::Round($exe.Length / 1MB, 1) }
        }
    }
    $rows | Format-Table -AutoSize | Out-Host
}

function Invoke-Image {
    # linux/amd64 and linux/arm64 images of the manager, as OCI archives (build/manager-image.sh says how and why).
    $revision = (git -C $Root rev-parse HEAD 2>$null) ?? 'unknown'
    foreach ($arch in 'amd64', 'arm64') {
        $rid = if ($arch -eq 'amd64') { 'linux-x64' } else { 'linux-arm64' }
        $published = Publish-SelfContained 'PacketCluster.Manager' $rid
        bash (Join-Path $Root 'build/manager-image.sh') $Version $arch $published (Join-Path $Out "image/manager-$Version-$arch.tar") $revision
    }
}

function Invoke-Help {
    $xmlDoc = Join-Path $Root "src/PacketCluster/bin/$Configuration/$Lib/PacketCluster.xml"
    dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'build/New-MamlHelp.ps1') -ModulePath (Join-Path $ModuleDir 'PacketCluster.psd1') -XmlDocPath $xmlDoc -OutputPath (Join-Path $ModuleDir 'en-US/PacketCluster.dll-Help.xml') `
        -MarkdownPath (Join-Path $Out 'docs/cmdlets')
    if ($LASTEXITCODE -ne 0) { throw "Help generation failed ($LASTEXITCODE)." }
}

# The online help (every cmdlet's HelpUri) is the committed docs/cmdlets: refresh it from what Help generated.
function Invoke-Docs {
    $target = Join-Path $Root 'docs/cmdlets'
    if (Test-Path $target) { Remove-Item $target -Recurse -Force }
    New-Item -ItemType Directory (Split-Path $target) -Force | Out-Null
    Copy-Item (Join-Path $Out 'docs/cmdlets') $target -Recurse
    "Docs: $target"
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

function Invoke-Publish {
    $key = if ($ApiKey) { $ApiKey } else { $env:PACKETCLUSTER_GALLERY_API_KEY }
    if (-not $Repository) { throw 'Publish needs -Repository (a registered PSResourceGet repository name such as PSGallery, a feed URI, or a folder).' }
    if (-not $key -and -not $PublishWhatIf) { throw 'Publish needs -ApiKey or PACKETCLUSTER_GALLERY_API_KEY.' }
    $nupkg = Get-ChildItem (Join-Path $Out 'repo') -Filter '*.nupkg' | Select-Object -First 1
    $missing = $AllRuntimes | Where-Object { -not (Test-Path (Join-Path $ModuleDir "Simulator/$_")) }
    if ($missing) { throw "The package lacks the simulator for $($missing -join ', '); Publish builds all platforms, so this is a build bug." }
    $what = "$($nupkg.Name) ($([math]::Round($nupkg.Length / 1MB)) MB; simulator for $($AllRuntimes -join ', '))"
    if ($PublishWhatIf) { "What if: Publish $what to $Repository"; return }
    if (-not $PSCmdlet.ShouldProcess($what, "Publish to $Repository")) { return }
    # The key goes to the child through its environment, never through a command line or the log.
    # A gallery URI or a folder feed is registered in a throw-away PSResourceGet store; a name is the user's own.
    $isLocation = $Repository -match '^https?://' -or (Test-Path -LiteralPath $Repository -PathType Container)
    $push = '$ErrorActionPreference = ''Stop''; $r = $env:PACKETCLUSTER_PUBLISH_REPOSITORY; ' +
        'if ($env:PACKETCLUSTER_PUBLISH_REGISTER) { Register-PSResourceRepository -Name PacketClusterTarget -Uri $r -Trusted; $r = ''PacketClusterTarget'' }; ' +
        'Publish-PSResource -Path $env:PACKETCLUSTER_PUBLISH_PATH -Repository $r -ApiKey $env:PACKETCLUSTER_PUBLISH_KEY'
    $store = Join-Path $Out "psresourceget-publish-$PID"
    New-Item -ItemType Directory $store -Force | Out-Null
    $saved = @{ XDG_DATA_HOME = $env:XDG_DATA_HOME; LOCALAPPDATA = $env:LOCALAPPDATA }
    try {
        if ($isLocation) { $env:XDG_DATA_HOME = $store; $env:LOCALAPPDATA = $store; $env:PACKETCLUSTER_PUBLISH_REGISTER = '1' }
        $env:PACKETCLUSTER_PUBLISH_REPOSITORY = $(if (Test-Path -LiteralPath $Repository -PathType Container) { (Resolve-Path $Repository).Path } else { $Repository }); $env:PACKETCLUSTER_PUBLISH_PATH = $ModuleDir; $env:PACKETCLUSTER_PUBLISH_KEY = $key
        dotnet pwsh -NoProfile -NonInteractive -Command $push
        if ($LASTEXITCODE -ne 0) { throw "Publish-PSResource to $Repository failed ($LASTEXITCODE)" }
        "Published: PacketCluster $Version to $Repository"
    }
    finally {
        Remove-Item Env:PACKETCLUSTER_PUBLISH_KEY, Env:PACKETCLUSTER_PUBLISH_REPOSITORY, Env:PACKETCLUSTER_PUBLISH_PATH, Env:PACKETCLUSTER_PUBLISH_REGISTER -ErrorAction SilentlyContinue
        $env:XDG_DATA_HOME = $saved.XDG_DATA_HOME; $env:LOCALAPPDATA = $saved.LOCALAPPDATA
        Remove-Item $store -Recurse -Force -ErrorAction SilentlyContinue
    }
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
    $passed = 0; $failed = 0; $skipped = 0; $total = 0
    foreach ($trx in Get-ChildItem $results -Filter *.trx) {
        $counters = ([xml](Get-Content -LiteralPath $trx.FullName -Raw)).TestRun.ResultSummary.Counters
        $passed += [int]$counters.passed; $failed += [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        $skipped += [int]$counters.notExecuted; $total += [int]$counters.total
    }
    # A run that crashed, or wrote no result at all, never reads as green.
    if ($exit -ne 0 -or $total -eq 0) { $failed = [math]::Max($failed, 1) }
    "xunit: $passed passed, $failed failed" + $(if ($skipped) { ", $skipped skipped" })
    $script:Counts['xunit'] = @($passed, $failed, $skipped)
    if ($exit -ne 0 -or $failed -gt 0 -or $total -eq 0) { $script:Failed += 'xunit' }
}

# The simulator runs the manager's image (ghcr.io/packetcluster/manager) as this built program: set for the tasks that
# boot clusters through the module, so a pivoted cluster's manager pods run for real (README, "What runs for real").
function Use-ManagerImage {
    $env:PACKETCLUSTER_MANAGER_PATH = Join-Path $Root "src/PacketCluster.Manager/bin/$Configuration/net10.0/PacketCluster.Manager$(if ($IsWindows) { '.exe' })"
}

function Invoke-Pester {
    Use-ManagerImage
    $PSNativeCommandUseErrorActionPreference = $false
    # Fresh processes: binary modules cannot be unloaded, and the tests import the assembled folder.
    # The two booting files (EndToEnd and HighAvailability, 7-8 minutes each, mostly waiting on real controllers' grace
    # periods and on joins) each run in a process of their own beside the others, which keeps ./build.sh Test within 30
    # minutes cold on 2 cores; each process prints its own Pester line, and the counts are summed from the JUnit files.
    $results = Join-Path $Out 'test-results'
    New-Item -ItemType Directory $results -Force | Out-Null
    $runner = Join-Path $Root 'tests/run-pester.ps1'
    $apart = @('EndToEnd', 'HighAvailability') | ForEach-Object { Join-Path $Root "tests/pester/$_.Tests.ps1" }
    $junits = @(Join-Path $results 'pester.xml')
    $background = foreach ($file in $apart) {
        $name = [IO.Path]::GetFileNameWithoutExtension([IO.Path]::GetFileNameWithoutExtension($file)).ToLowerInvariant()
        $junit = Join-Path $results "pester-$name.xml"
        $log = Join-Path $results "pester-$name.log"
        Remove-Item $junit, $log, "$log.err" -ErrorAction SilentlyContinue
        $junits += $junit
        [pscustomobject]@{
            File = $file; Log = $log
            Process = Start-Process dotnet -WorkingDirectory $Root -NoNewWindow -PassThru -RedirectStandardOutput $log -RedirectStandardError "$log.err" `
                -ArgumentList @('pwsh', '-NoProfile', '-NonInteractive', '-File', $runner, '-ModulePath', $ModuleDir, '-TestPath', $file, '-ResultPath', $junit)
        }
    }
    Remove-Item $junits[0] -ErrorAction SilentlyContinue
    dotnet pwsh -NoProfile -NonInteractive -File $runner -ModulePath $ModuleDir -ExcludePath ($apart -join [IO.Path]::PathSeparator) -ResultPath $junits[0] | Out-Host
    $exit = $LASTEXITCODE
    foreach ($run in $background) {
        # Bounded: the files' own waits end long before this; a hung run is killed and counts as failed.
        if (-not $run.Process.WaitForExit([TimeSpan]::FromMinutes(40))) { $run.Process.Kill($true); $run.Process.WaitForExit() }
        Write-Host "==> Pester ($([IO.Path]::GetFileName($run.File)), run beside the others)" -ForegroundColor Cyan
        Get-Content $run.Log, "$($run.Log).err" -ErrorAction SilentlyContinue | Out-Host
        if ($run.Process.ExitCode -ne 0) { $exit = [math]::Max($exit, 1) }
    }
    $passed = 0; $failed = 0; $skipped = 0
    $reported = [Collections.Generic.HashSet[string]]::new()
    foreach ($junit in $junits) {
        if (-not (Test-Path $junit)) { $failed++; continue }
        $suites = ([xml](Get-Content -LiteralPath $junit -Raw)).testsuites
        $f = [int]$suites.failures + [int]$suites.errors; $s = [int]$suites.disabled
        $failed += $f; $skipped += $s; $passed += [int]$suites.tests - $f - $s
        foreach ($suite in @($suites.testsuite)) { [void]$reported.Add([IO.Path]::GetFileName([string]$suite.name)) }
    }
    # Every test file must have run in one of the processes: a file left out never reads as green.
    $unreported = @(Get-ChildItem (Join-Path $Root 'tests/pester') -Filter *.Tests.ps1 | Where-Object { -not $reported.Contains($_.Name) })
    if ($unreported.Count -gt 0) {
        Write-Host "Pester: no results from $($unreported.Name -join ', ')"
        $failed += $unreported.Count
        $exit = [math]::Max($exit, 1)
    }
    if ($exit -ne 0 -or $passed + $failed -eq 0) { $failed = [math]::Max($failed, 1) }
    "Pester: $passed passed, $failed failed, $skipped skipped (all processes)"
    $script:Counts['Pester'] = @($passed, $failed, $skipped)
    if ($exit -ne 0) { $script:Failed += 'Pester' }
    $PSNativeCommandUseErrorActionPreference = $true
}

function Invoke-Demo {
    Use-ManagerImage
    dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'build/Demo.ps1') -ModulePath $ModuleDir
}

function Invoke-Bench {
    Use-ManagerImage
    dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'build/Bench.ps1') -ModulePath $ModuleDir -Configuration $Configuration `
        -ManagerClusters $ManagerClusters -ManagerWorkers $ManagerWorkers
    if ($LASTEXITCODE -ne 0) { $script:Failed += 'Bench' }
}

# 1+10 only, with the 2019-flow baseline, Import-Module and Get-PacketKubeconfig: the same two files in under 10 minutes.
function Invoke-BenchQuick {
    Use-ManagerImage
    dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $Root 'build/Bench.ps1') -ModulePath $ModuleDir -Configuration $Configuration -Quick
    if ($LASTEXITCODE -ne 0) { $script:Failed += 'BenchQuick' }
}

# Every task brings what it needs (a fresh clone can start with any of them).
$order = @{
    Build = @('Build'); Assemble = @('Build', 'Assemble'); Help = @('Build', 'Assemble', 'Help'); Docs = @('Build', 'Assemble', 'Help', 'Docs'); Package = @('Build', 'Assemble', 'Help', 'Package')
    KubeBinaries = @('KubeBinaries'); Image = @('Image'); Platforms = @('Platforms')
    UnitTest = @('KubeBinaries', 'Build', 'Assemble', 'Image', 'UnitTest'); Pester = @('KubeBinaries', 'Build', 'Assemble', 'Help', 'Package', 'Pester')
    Test = @('KubeBinaries', 'Build', 'Assemble', 'Help', 'Package', 'Image', 'UnitTest', 'Pester'); Bench = @('KubeBinaries', 'Build', 'Assemble', 'Bench'); BenchQuick = @('KubeBinaries', 'Build', 'Assemble', 'BenchQuick')
    Demo = @('KubeBinaries', 'Build', 'Assemble', 'Demo'); Publish = @('Build', 'Assemble', 'Help', 'Package', 'Publish')
}
$steps = [System.Collections.Generic.List[string]]::new()
foreach ($t in $Task) { foreach ($s in $order[$t]) { if (-not $steps.Contains($s)) { $steps.Add($s) } } }
foreach ($step in $steps) {
    Write-Host "==> $step" -ForegroundColor Cyan
    & "Invoke-$step"
}
if ($script:Counts.Count -gt 0) {
    # The run's last counting line is the total, so a red runner can never end on another runner's "0 failed".
    $sum = 0, 0, 0
    foreach ($c in $script:Counts.Values) { for ($i = 0; $i -lt 3; $i++) { $sum[$i] += $c[$i] } }
    "$($sum[0]) passed, $($sum[1]) failed" + $(if ($sum[2]) { ", $($sum[2]) skipped" })
}
if ($script:Failed.Count -gt 0) {
    Write-Host "FAILED: $($script:Failed -join ', ')"
    exit 1
}
