<#
.SYNOPSIS
    Benchmarks measured in one run (not a test: it prints and writes out/bench). Every figure is a ratio to its target
    (PRODUCT.md §10, README "Benchmarks"): results.md (one table), results.json (a list of {figure, value, unit,
    target, ratio, runs, min, max, note}; ratio = value / target, <= 1 meets it) and time-to-ready.svg.
.PARAMETER Quick
    1+10 only (booting on, with the 2019-flow baseline) plus Import-Module and Get-PacketKubeconfig: a check after a
    change, in under 10 minutes. Without it: 1+1, 1+10, 1+50, 1+100 and 3+100, the HA figures and the manager at 5000
    machines.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $Configuration = 'Release',
    [switch] $Quick,
    # Runs per size where a run is short (up to 1+10); larger sizes run once.
    [int] $Runs = 3,
    # The manager bench's scale (the target's: 50 clusters of 1 control plane + 99 workers).
    [int] $ManagerClusters = 50,
    [int] $ManagerWorkers = 99
)
$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
$out = Join-Path $PSScriptRoot '../out/bench'
$parts = Join-Path $out 'parts'
Remove-Item $out -Recurse -Force -ErrorAction Ignore
New-Item -ItemType Directory $parts -Force | Out-Null
$out = (Resolve-Path $out).Path
$parts = (Resolve-Path $parts).Path
$benchDll = Join-Path $PSScriptRoot "../tools/PacketCluster.Bench/bin/$Configuration/net10.0/PacketCluster.Bench.dll"
. (Join-Path $PSScriptRoot 'BenchFigures.ps1')
$started = Get-Date

# Import-Module overhead: interleaved pairs of a bare pwsh start and one that imports the module (so background load
# hits both alike), after one warm-up import for the disk cache.
$exe = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
$manifest = Join-Path $ModulePath 'PacketCluster.psd1'
& $exe -NoProfile -NonInteractive -Command "Import-Module '$manifest'" | Out-Null
$pairs = $Quick ? 5 : 9
$bare = [Collections.Generic.List[double]]::new()
$module = [Collections.Generic.List[double]]::new()
foreach ($i in 1..$pairs) {
    $bare.Add((Measure-Command { & $exe -NoProfile -NonInteractive -Command 'exit 0' | Out-Null }).TotalMilliseconds)
    $module.Add((Measure-Command { & $exe -NoProfile -NonInteractive -Command "Import-Module '$manifest'; exit 0" | Out-Null }).TotalMilliseconds)
}
$overheads = for ($i = 0; $i -lt $pairs; $i++) { [math]::Max(0, $module[$i] - $bare[$i]) }
Add-BenchFigure 'Import-Module overhead' $overheads 'ms' 250 ("added to a bare pwsh start (median {0:N0} ms), {1} interleaved pairs" -f (Get-Median $bare), $pairs)

# Time to Ready and requests per machine, ours through New-PacketCluster beside the 2019 flow's model (one simulator).
& (Join-Path $PSScriptRoot 'ClusterBench.ps1') -ModulePath $ModulePath -BenchDll $benchDll -OutDirectory $out `
    -Sizes ($Quick ? @('1+10') : @('1+1', '1+10', '1+50', '1+100', '3+100')) -Runs $Runs

if (-not $Quick) {
    # Highly available control planes (3+1 beside 1+1, the elastic-IP failover window).
    & $exe -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'HaBench.ps1') -ModulePath $ModulePath
    if ($LASTEXITCODE -ne 0) { Write-Warning "HaBench failed ($LASTEXITCODE): its figures are missing from the table" }
    # The manager at scale, as its Deployment runs it (the framework-dependent simulator: the figures are the manager's).
    & dotnet $benchDll manager (Join-Path $PSScriptRoot "../src/PacketCluster.Simulator/bin/$Configuration/net10.0/PacketCluster.Simulator.dll") `
        (Join-Path $parts 'manager.json') $ManagerClusters $ManagerWorkers
    if ($LASTEXITCODE -ne 0) { Write-Warning "the manager bench failed ($LASTEXITCODE): its figures are missing from the table" }
}

Write-BenchResults -Directory $out -Started $started -Quick:$Quick
& dotnet $benchDll chart $out
if ($LASTEXITCODE -ne 0) { Write-Warning "drawing $out/time-to-ready.svg failed ($LASTEXITCODE)" }
Get-Content (Join-Path $out 'results.md') | Out-Host
