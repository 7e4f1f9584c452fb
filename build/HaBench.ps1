<#
.SYNOPSIS
    Highly available control planes, measured (not a test: it prints). Against the simulator with booting on (real
    etcd, kube-apiserver, kube-controller-manager): the time New-PacketCluster takes to a cluster whose every Node is
    Ready, 1 control plane + 1 worker beside 3 + 1, in the same run; then the elastic-IP failover window — from the
    delete of the device holding the elastic IP to the first /readyz answered through it — over several runs, each
    after the manager has replaced the lost control plane, as a ratio to the 30 s target.
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [int] $FailoverRuns = 3
)
$ErrorActionPreference = 'Stop'
$ModulePath = (Resolve-Path $ModulePath).Path
Import-Module (Join-Path $ModulePath 'PacketCluster.psd1')
$work = Join-Path ([IO.Path]::GetTempPath()) "packetcluster-habench-$PID"
New-Item -ItemType Directory $work -Force | Out-Null
$state = Join-Path $work 'state'
$sim = $null
$manager = $null
$succeeded = $false
# The demo's timings (seconds, booting on): the figures compare 1 and 3 control planes, not Packet's provisioning time.
$config = Join-Path $PSScriptRoot 'simulator-fast.yaml'

# The end-to-end tests' helpers: Wait-Until, Get-SimClusterDevices, Start-TestManager.
. (Join-Path $PSScriptRoot '../tests/pester/Common.ps1')
. (Join-Path $PSScriptRoot 'BenchFigures.ps1')

try {
    $sim = Start-PacketSimulator -ConfigFile $config
    $sim | Connect-PacketApi | Out-Null
    $key = [Net.NetworkCredential]::new('', $sim.ApiKey).Password
    $headers = @{ 'X-Auth-Token' = $key }
    function Get-ClusterDevices([string] $Name) { Get-SimClusterDevices $sim $Name }

    $created = @{}
    foreach ($shape in @(@{ Name = 'bench1'; ControlPlanes = 1 }, @{ Name = 'bench3'; ControlPlanes = 3 })) {
        $kubeconfig = Join-Path $work "$($shape.Name).kubeconfig"
        $elapsed = Measure-Command {
            New-PacketCluster -Name $shape.Name -Metro sv -ControlPlaneCount $shape.ControlPlanes -WorkerCount 1 -KubernetesVersion 1.20.2 `
                -OperatingSystem ubuntu_22_04 -StatePath $state -KubeconfigPath $kubeconfig -PollIntervalSeconds 0.5 -TimeoutSeconds 600 -NoPivot | Out-Null
        }
        $created[$shape.ControlPlanes] = $elapsed.TotalSeconds
        Write-Host ('HaBench: {0}+1 to every Node Ready (New-PacketCluster -NoPivot): {1:N1} s' -f $shape.ControlPlanes, $elapsed.TotalSeconds)
        if ($shape.ControlPlanes -eq 1) { Remove-PacketCluster $shape.Name -StatePath $state -Force | Out-Null }
    }

    # Failover needs a reconciler running: pivot and start the manager, as the in-cluster Deployment would run.
    $kubeconfig = Join-Path $work 'bench3.kubeconfig'
    Invoke-PacketPivot -ClusterName bench3 -StatePath $state -Confirm:$false | Out-Null
    $manager = Start-TestManager $sim (Join-Path $ModulePath 'PacketCluster.psd1') $kubeconfig "$work/manager.log"

    Wait-Until { & kubectl --kubeconfig $kubeconfig -n cluster-api-provider-packet-system get lease packetcluster-manager -o jsonpath='{.spec.holderIdentity}' 2>$null } 'the manager takes the Lease' 120
    $eip = ((Get-Content $kubeconfig -Raw) | Select-String 'server: https://([0-9.]+):6443').Matches[0].Groups[1].Value
    $windows = [Collections.Generic.List[double]]::new()
    foreach ($run in 1..$FailoverRuns) {
        Wait-Until { $d = @(Get-ClusterDevices bench3 | Where-Object { $_.hostname -like '*control-plane*' -and $_.state -eq 'active' }); $d.Count -eq 3 } 'three active control planes' 300
        Wait-Until { @(Get-PacketMachine bench3 -StatePath $state -Role ControlPlane | Where-Object { ($_.Status.Conditions | Where-Object Type -eq 'EtcdMemberHealthy').Status -eq 'True' }).Count -eq 3 } 'three healthy etcd members' 300
        & kubectl --kubeconfig $kubeconfig --request-timeout=3s get --raw /readyz 2>&1 | Out-Null
        if ($LASTEXITCODE -ne 0) { throw 'the endpoint does not answer before the failover' }
        $holder = Get-ClusterDevices bench3 | Where-Object { @($_.ip_addresses | ForEach-Object { $_.address }) -contains $eip }
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Invoke-RestMethod -Method Delete -Uri ([Uri]::new($sim.Endpoint, "devices/$($holder.id)")) -Headers $headers | Out-Null
        $holderIp = ($holder.ip_addresses | Where-Object { $_.public -and $_.address_family -eq 4 -and $_.management } | Select-Object -First 1).address
        Wait-Until { -not (Test-Connection -TargetName $holderIp -TcpPort 6443 -TimeoutSeconds 1 -Quiet) } 'the deleted holder stops answering' 60
        Wait-Until { & kubectl --kubeconfig $kubeconfig --request-timeout=2s get --raw /readyz 2>&1 | Out-Null; $LASTEXITCODE -eq 0 } 'the API through the elastic IP' 120 -IntervalMilliseconds 250
        $windows.Add($clock.Elapsed.TotalSeconds)
        Write-Host ('HaBench: failover run {0}: {1:N1} s' -f $run, $clock.Elapsed.TotalSeconds)
    }
    Add-BenchFigure 'elastic-IP failover window (holder deleted → first /readyz through the elastic IP)' $windows.ToArray() 's' 30 `
        ('3+1 to every Node Ready {0:N1} s beside 1+1 {1:N1} s (ratio {2:N2}; the demo timings, D about 2 s)' -f $created[3], $created[1], ($created[3] / $created[1]))
    $succeeded = $true
}
finally {
    if ($manager -and -not $manager.HasExited) { $manager.Kill($true); $manager.WaitForExit(10000) | Out-Null }
    if ($sim) {
        foreach ($name in 'bench1', 'bench3') { try { Remove-PacketCluster $name -StatePath $state -Force -ErrorAction Stop | Out-Null } catch { } }
        $sim | Stop-PacketSimulator -Confirm:$false
    }
    if ($succeeded) { Remove-Item $work -Recurse -Force -ErrorAction Ignore } else { Write-Host "HaBench: kept $work (manager.log) for a look" }
}
