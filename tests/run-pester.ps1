<#
.SYNOPSIS
    Runs the Pester tests against the assembled module folder and prints `Pester: N passed, N failed, N skipped`.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [string[]] $TestPath = (Join-Path $PSScriptRoot 'pester'),
    # Files left out of this run (the build runs the booting files in processes of their own beside the others). Several
    # paths come as one argument joined by the path separator (':'), since `pwsh -File` binds a second one to -TestPath.
    [string[]] $ExcludePath = @(),
    [string] $ResultPath = (Join-Path $PSScriptRoot '../out/test-results/pester.xml')
)
$ErrorActionPreference = 'Stop'
$pester = Get-ChildItem (Join-Path $PSScriptRoot '../.tools/nuget/pester') -Directory | Sort-Object Name -Descending | Select-Object -First 1
Import-Module (Join-Path $pester.FullName 'tools/Pester.psd1') -Force
$env:PACKETCLUSTER_TEST_MODULE = (Resolve-Path $ModulePath).Path

$c = New-PesterConfiguration
$c.Run.Path = $TestPath
$c.Run.ExcludePath = @($ExcludePath | ForEach-Object { $_ -split [IO.Path]::PathSeparator } | Where-Object { $_ })
$c.Run.PassThru = $true
$c.Output.Verbosity = 'Normal'
$c.TestResult.Enabled = $true
$c.TestResult.OutputFormat = 'JUnitXml'
$c.TestResult.OutputPath = $ResultPath
New-Item -ItemType Directory (Split-Path $c.TestResult.OutputPath.Value) -Force | Out-Null
$r = Invoke-Pester -Configuration $c
if (-not $r) { 'Pester: 0 passed, 1 failed, 0 skipped'; exit 1 }
'Pester: {0} passed, {1} failed, {2} skipped' -f $r.PassedCount, $r.FailedCount, $r.SkippedCount
exit ([int]($r.TotalCount -eq 0 -or $r.FailedCount -gt 0 -or $r.Result -ne 'Passed'))
