<#
.SYNOPSIS
    Time to every Node Ready and Packet API requests per machine (create → Ready → delete), ours through New-PacketCluster
    with its default waiting (a pass every 5 s, forecasts sooner) beside a model of the 2019 flow
    (tools/PacketCluster.Bench/Seed2019FlowModel.cs), both against one simulator with booting on (build/simulator-bench.yaml:
    D = 8 s). Also Get-PacketKubeconfig, warm, through the cmdlet. Called by Bench.ps1; writes figures through Add-BenchFigure
    and out/bench/clusters.json (the chart's series).
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $BenchDll,
    [Parameter(Mandatory)] [string] $OutDirectory,
    [Parameter(Mandatory)] [string[]] $Sizes,
    [int] $Runs = 3
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'BenchFigures.ps1')
Import-Module (Join-Path $ModulePath 'PacketCluster.psd1')
$work = Join-Path ([IO.Path]::GetTempPath()) "packetcluster-bench-$PID"
New-Item -ItemType Directory $work -Force | Out-Null
$state = Join-Path $work 'state'
$D = 8 # queued 1 s + provisioning 7 s in simulator-bench.yaml
$slack = 15
$sim = $null
$series = [Collections.Generic.List[object]]::new()
$succeeded = $false

function Get-Requests {
    $counts = Invoke-RestMethod -Uri ([Uri]::new($sim.AdminEndpoint, 'requests')) -Headers $headers
    [pscustomobject]@{ Total = [int]$counts.total; Counts = $counts.requests }
}
function Clear-Requests { Invoke-RestMethod -Method Delete -Uri ([Uri]::new($sim.AdminEndpoint, 'requests')) -Headers $headers | Out-Null }

# "kubeadm init: control plane ready at https://…:6443 in 9.8 s" on the first control plane's console: its boot time.
function Get-ControlPlaneBoot([string] $ClusterName) {
    $devices = (Invoke-RestMethod -Uri ([Uri]::new($sim.Endpoint, "projects/$($sim.ProjectId)/devices?per_page=1000")) -Headers $headers).devices
    $cp = $devices | Where-Object { $_.hostname -eq "$ClusterName-control-plane-0" } | Select-Object -First 1
    if (-not $cp) { return [double]::NaN }
    $console = Invoke-RestMethod -Uri ([Uri]::new($sim.AdminEndpoint, "devices/$($cp.id)/console")) -Headers $headers
    $m = [regex]::Match($console, 'kubeadm init: control plane ready at \S+ in ([0-9.]+) s')
    if ($m.Success) { [double]::Parse($m.Groups[1].Value, [Globalization.CultureInfo]::InvariantCulture) } else { [double]::NaN }
}

try {
    $sim = Start-PacketSimulator -ConfigFile (Join-Path $PSScriptRoot 'simulator-bench.yaml')
    $sim | Connect-PacketApi | Out-Null
    $key = [Net.NetworkCredential]::new('', $sim.ApiKey).Password
    $headers = @{ 'X-Auth-Token' = $key }
    $kubeconfigMeasured = $false

    foreach ($size in $Sizes) {
        $cps, $workers = $size -split '\+' | ForEach-Object { [int]$_ }
        $machines = $cps + $workers
        $runsHere = if ($workers -le 10) { $Runs } else { 1 }
        $ours = [Collections.Generic.List[double]]::new(); $targets = [Collections.Generic.List[double]]::new()
        $perMachine = [Collections.Generic.List[double]]::new(); $boots = [Collections.Generic.List[double]]::new()
        $seedTimes = [Collections.Generic.List[double]]::new(); $seedPerMachine = [Collections.Generic.List[double]]::new()
        $timeRatios = [Collections.Generic.List[double]]::new(); $requestRatios = [Collections.Generic.List[double]]::new()
        foreach ($run in 1..$runsHere) {
            $name = "b$($cps)x$($workers)r$run"
            Clear-Requests
            # New-PacketCluster's defaults for waiting; -NoPivot because the pivot comes after every Node is Ready
            # (it does not change when they are), and the delete then runs from the state folder.
            $elapsed = Measure-Command {
                New-PacketCluster -Name $name -Metro sv -ControlPlaneCount $cps -WorkerCount $workers -KubernetesVersion 1.20.2 `
                    -OperatingSystem ubuntu_22_04 -StatePath $state -KubeconfigPath (Join-Path $work "$name.kubeconfig") -NoPivot | Out-Null
            }
            $boot = Get-ControlPlaneBoot $name
            $ours.Add($elapsed.TotalSeconds); $boots.Add($boot); $targets.Add($D + $boot + $slack)
            if (-not $kubeconfigMeasured) {
                # Warm: the module loaded and the cmdlet run a few times first; then each call reads the state, parses
                # the CA Secret and mints an admin certificate.
                foreach ($i in 1..5) { Get-PacketKubeconfig $name -StatePath $state -WarningAction SilentlyContinue | Out-Null }
                $samples = foreach ($i in 1..25) { (Measure-Command { Get-PacketKubeconfig $name -StatePath $state -WarningAction SilentlyContinue | Out-Null }).TotalMilliseconds }
                Add-BenchFigure 'Get-PacketKubeconfig, warm, through the cmdlet' $samples 'ms' 50 'state folder read, CA Secret parsed, admin certificate minted; 25 calls after 5'
                $kubeconfigMeasured = $true
            }
            Remove-PacketCluster $name -StatePath $state -Force | Out-Null
            $requests = Get-Requests
            $perMachine.Add($requests.Total / $machines)
            Write-Host ('ClusterBench: {0}+{1} run {2}: every Node Ready after {3:N1} s (control plane boot {4:N1} s), {5} Packet API requests create → delete' -f `
                $cps, $workers, $run, $elapsed.TotalSeconds, $boot, $requests.Total)

            if ($cps -eq 1) {
                # The same size through the 2019 flow's model, against the same simulator.
                $seedOut = Join-Path $work "$name-2019.json"
                $env:PACKET_API_KEY = $key
                try { & dotnet $BenchDll seed2019 $sim.Endpoint $sim.AdminEndpoint $sim.ProjectId "s$($workers)r$run" $workers $seedOut }
                finally { Remove-Item Env:PACKET_API_KEY -ErrorAction Ignore }
                if ($LASTEXITCODE -ne 0) { throw "the 2019 flow's model failed for 1+$workers ($LASTEXITCODE)" }
                $seed = Get-Content $seedOut -Raw | ConvertFrom-Json
                $seedTimes.Add($seed.seconds); $seedPerMachine.Add($seed.requests / $seed.machines)
                $timeRatios.Add($elapsed.TotalSeconds / $seed.seconds); $requestRatios.Add(($requests.Total / $machines) / ($seed.requests / $seed.machines))
                Write-Host ('ClusterBench: 2019 flow 1+{0} run {1}: every Node Ready after {2:N1} s, {3} Packet API requests create → delete' -f $workers, $run, $seed.seconds, $seed.requests)
            }
        }
        $label = "$cps+$workers"
        $target = Get-Median $targets
        Add-BenchFigure "time to every Node Ready, $label" $ours 's' $target ("target D + control-plane boot + 15 s = {0} + {1:N1} + {2} (boot median)" -f $D, (Get-Median $boots), $slack)
        Add-BenchFigure "Packet API requests per machine, $label, create → Ready → delete" $perMachine 'requests' 5
        if ($seedTimes.Count -gt 0) {
            Add-BenchFigure "time to every Node Ready, $label, ours ÷ 2019 flow" $timeRatios '×' 0.5 ("2019 flow: {0:N1} s median" -f (Get-Median $seedTimes))
            Add-BenchFigure "Packet API requests per machine, $label, ours ÷ 2019 flow" $requestRatios '×' 0.2 ("2019 flow: {0:N1} per machine median" -f (Get-Median $seedPerMachine))
        }
        $series.Add([ordered]@{ size = $label; controlPlanes = $cps; workers = $workers; ours = (Get-Median $ours); seed2019 = ($seedTimes.Count ? (Get-Median $seedTimes) : $null); target = $target })
    }
    ConvertTo-Json -InputObject @($series) -Depth 3 | Set-Content (Join-Path $OutDirectory 'clusters.json')
    $succeeded = $true
}
finally {
    if ($sim) {
        foreach ($cluster in @(Get-PacketCluster -StatePath $state -ErrorAction Ignore)) { try { Remove-PacketCluster $cluster.Name -StatePath $state -Force -ErrorAction Stop | Out-Null } catch { } }
        $sim | Stop-PacketSimulator -Confirm:$false
    }
    if ($succeeded) { Remove-Item $work -Recurse -Force -ErrorAction Ignore } else { Write-Host "ClusterBench: kept $work for a look" }
}
