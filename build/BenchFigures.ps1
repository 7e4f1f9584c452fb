# The bench's figures: each one a value (the median of its runs), its unit, its target and value/target (<= 1 meets it).
# Parts written by PowerShell go to out/bench/parts/figures.jsonl, one JSON object per line; the .NET bench writes
# parts/*.json (an array of the same objects). Write-BenchResults makes results.json and results.md of all of them.

function Get-Median([double[]] $Values) {
    $sorted = @($Values | Sort-Object)
    if ($sorted.Count -eq 0) { return [double]::NaN }
    $mid = [int][math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2) { $sorted[$mid] } else { ($sorted[$mid - 1] + $sorted[$mid]) / 2 }
}

function Add-BenchFigure {
    param(
        [Parameter(Mandatory)] [string] $Figure,
        [Parameter(Mandatory)] [double[]] $Samples,
        [Parameter(Mandatory)] [string] $Unit,
        [Parameter(Mandatory)] [double] $Target,
        [string] $Note = '',
        [string] $PartsDirectory = (Join-Path $PSScriptRoot '../out/bench/parts')
    )
    $value = Get-Median $Samples
    $entry = [ordered]@{
        figure = $Figure; value = [math]::Round($value, 3); unit = $Unit; target = [math]::Round($Target, 3)
        ratio = [math]::Round($value / $Target, 3); runs = $Samples.Count
        min = [math]::Round(($Samples | Measure-Object -Minimum).Minimum, 3); max = [math]::Round(($Samples | Measure-Object -Maximum).Maximum, 3)
        note = $Note
    }
    New-Item -ItemType Directory $PartsDirectory -Force | Out-Null
    Add-Content -LiteralPath (Join-Path $PartsDirectory 'figures.jsonl') -Value ($entry | ConvertTo-Json -Compress)
    'Bench: {0}: {1:N2} {2} (median of {3}, {4:N2}–{5:N2}); target {6:N2} {2}; ratio {7:N2}{8}' -f $Figure, $value, $Unit, $Samples.Count,
        $entry.min, $entry.max, $Target, $entry.ratio, $(if ($Note) { " — $Note" }) | Out-Host
}

# Three significant digits or whole numbers: 31.8 s, 5.09 requests, 157 ms, 5000 devices.
function Format-BenchNumber([double] $Value) {
    $abs = [math]::Abs($Value)
    if ($abs -ge 100 -or $Value -eq [math]::Round($Value)) { '{0:N0}' -f $Value } elseif ($abs -ge 10) { '{0:N1}' -f $Value } else { '{0:N2}' -f $Value }
}

function Get-BenchMachine {
    $cores = [Environment]::ProcessorCount
    $memory = if (Test-Path /proc/meminfo) { '{0:N0} GiB' -f ((Select-String -Path /proc/meminfo -Pattern '^MemTotal:\s+(\d+)').Matches[0].Groups[1].Value / 1MB) } else { 'memory unknown' }
    $cpu = if (Test-Path /proc/cpuinfo) { ((Select-String -Path /proc/cpuinfo -Pattern '^model name\s*:\s*(.+)$' | Select-Object -First 1).Matches[0].Groups[1].Value).Trim() } else { 'cpu unknown' }
    "$cores cores ($cpu), $memory, $([Runtime.InteropServices.RuntimeInformation]::OSDescription)"
}

function Write-BenchResults {
    param([Parameter(Mandatory)] [string] $Directory, [Parameter(Mandatory)] [datetime] $Started, [switch] $Quick)
    $parts = Join-Path $Directory 'parts'
    $figures = [Collections.Generic.List[object]]::new()
    $lines = Join-Path $parts 'figures.jsonl'
    if (Test-Path $lines) { foreach ($line in Get-Content $lines) { if ($line) { $figures.Add(($line | ConvertFrom-Json)) } } }
    foreach ($file in Get-ChildItem $parts -Filter *.json -ErrorAction Ignore) {
        foreach ($f in @(Get-Content $file.FullName -Raw | ConvertFrom-Json)) { if ($f.figure) { $figures.Add($f) } }
    }
    ConvertTo-Json -InputObject @($figures) -Depth 4 | Set-Content (Join-Path $Directory 'results.json')
    $minutes = ((Get-Date) - $Started).TotalMinutes
    $md = [Text.StringBuilder]::new()
    [void]$md.AppendLine("# PacketCluster benchmarks ($(if ($Quick) { 'BenchQuick' } else { 'Bench' }))").AppendLine()
    [void]$md.AppendLine("$($Started.ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC, $(Get-BenchMachine); $([math]::Round($minutes, 1)) minutes.").AppendLine()
    [void]$md.AppendLine('Value = the median of its runs; ratio = value / target (<= 1 meets it); "2019" rows compare with a model of the 2019 flow run against the same simulator in the same run.').AppendLine()
    [void]$md.AppendLine('| figure | value | target | ratio | runs (min–max) | note |').AppendLine('|---|---|---|---|---|---|')
    foreach ($f in $figures) {
        $mark = if ($f.ratio -le 1) { '' } else { ' ✗' }
        $spread = if ($f.runs -gt 1) { "$($f.runs) ($(Format-BenchNumber $f.min)–$(Format-BenchNumber $f.max))" } else { '1' }
        [void]$md.AppendLine("| $($f.figure) | $(Format-BenchNumber $f.value) $($f.unit) | $(Format-BenchNumber $f.target) $($f.unit) | $('{0:N2}' -f $f.ratio)$mark | $spread | $($f.note -replace '\|', '/') |")
    }
    Set-Content (Join-Path $Directory 'results.md') $md.ToString()
}
