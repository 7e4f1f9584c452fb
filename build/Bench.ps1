<#
.SYNOPSIS
    Benchmarks measured in one run, printed as ratios to their targets (PRODUCT.md §10). Not a test: it prints.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string] $Configuration = 'Release',
    [int] $Runs = 9
)
$ErrorActionPreference = 'Stop'
$exe = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
$prefix = @()
$manifest = Join-Path $ModulePath 'PacketCluster.psd1'

function Get-Median([double[]] $Values) { ($Values | Sort-Object)[[int][math]::Floor($Values.Count / 2)] }

# Warm the disk cache once so neither side pays for it.
& $exe @prefix -NoProfile -NonInteractive -Command "Import-Module '$manifest'" | Out-Null
# Interleaved pairs, so background load hits both sides alike.
$bareRuns = [System.Collections.Generic.List[double]]::new()
$moduleRuns = [System.Collections.Generic.List[double]]::new()
foreach ($i in 1..$Runs) {
    $bareRuns.Add((Measure-Command { & $exe @prefix -NoProfile -NonInteractive -Command 'exit 0' | Out-Null }).TotalMilliseconds)
    $moduleRuns.Add((Measure-Command { & $exe @prefix -NoProfile -NonInteractive -Command "Import-Module '$manifest'; exit 0" | Out-Null }).TotalMilliseconds)
}
$bare = Get-Median $bareRuns
$import = [math]::Max(0, (Get-Median $moduleRuns) - $bare)
'Bench: Import-Module PacketCluster adds {0:N0} ms to a bare pwsh start ({1:N0} ms); target 300 ms; ratio {2:N2}' -f $import, $bare, ($import / 300)

$bench = Join-Path $PSScriptRoot "../tools/PacketCluster.Bench/bin/$Configuration/net10.0/PacketCluster.Bench.dll"
# The framework-dependent build: the bench measures the cluster flow, not how the simulator process is packaged.
& dotnet $bench (Join-Path $PSScriptRoot "../src/PacketCluster.Simulator/bin/$Configuration/net10.0/PacketCluster.Simulator.dll")

# Highly available control planes with booting on (real etcd and kube-apiserver): 3 vs 1 control planes to Ready, failover window.
& $exe @prefix -NoProfile -NonInteractive -File (Join-Path $PSScriptRoot 'HaBench.ps1') -ModulePath $ModulePath
if ($LASTEXITCODE -ne 0) { throw "HaBench failed ($LASTEXITCODE)" }
