<#
.SYNOPSIS
    The main job: against the Packet API simulator (booting real control planes), create a cluster of 1 control plane +
    2 workers through the whole flow (nodes Ready, add-ons, pivot, kubeconfig, the cluster's own manager pod holding the
    Lease), show its nodes and pods with kubectl, scale it with no PowerShell manager running (the in-cluster manager
    does it), delete it, and show that the simulator's inventory is clean again.
#>
param([Parameter(Mandatory)] [string] $ModulePath)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $ModulePath 'PacketCluster.psd1')
$work = Join-Path ([IO.Path]::GetTempPath()) "packetcluster-demo-$PID"
$state = Join-Path $work 'state'
$sim = $null
function Show($value) { $value | Format-Table | Out-String -Width 160 | Write-Host }
try {
    Write-Host '== Start-PacketSimulator | Connect-PacketApi   (loopback only; devices get 127.0.0.0/8 addresses)'
    $sim = Start-PacketSimulator -ConfigFile (Join-Path $PSScriptRoot 'simulator-fast.yaml')
    Show ($sim | Connect-PacketApi)
    Write-Host '== Get-PacketPlan -Metro sv'
    Show (Get-PacketPlan -Metro sv)

    Write-Host '== New-PacketCluster -Name demo -Metro sv -WorkerCount 2 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -WhatIf'
    New-PacketCluster -Name demo -Metro sv -WorkerCount 2 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath $state -WhatIf

    Write-Host '== New-PacketCluster -Name demo …   (PKI, elastic IP, all machines at once; the simulator boots real kube-apiserver/etcd, kubelets join; add-ons; pivot)'
    $kubeconfig = Join-Path $work 'demo.kubeconfig'
    $cluster = New-PacketCluster -Name demo -Metro sv -WorkerCount 2 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath $state `
        -KubeconfigPath $kubeconfig -PollIntervalSeconds 0.5 -TimeoutSeconds 600
    Write-Host '== Get-PacketCluster; Get-PacketMachine; Get-PacketDevice -ClusterName demo   (read through the pivoted cluster)'
    Show (Get-PacketCluster -StatePath $state)
    Show ($cluster | Get-PacketMachine -StatePath $state)
    Show (Get-PacketDevice -ClusterName demo)
    Get-Item $kubeconfig | Format-Table UnixMode, Length, Name | Out-String | Write-Host

    Write-Host '== kubectl get nodes   (3 Ready nodes, providerID packet://<device id>)'
    & kubectl --kubeconfig $kubeconfig get nodes -o custom-columns='NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,PROVIDER-ID:.spec.providerID,ADDRESS:.status.addresses[0].address'
    if ($LASTEXITCODE -ne 0) { throw 'kubectl get nodes failed' }
    & kubectl --kubeconfig $kubeconfig get clusters.cluster.k8s.io,machines.cluster.k8s.io

    Write-Host '== kubectl get pods -A   (scheduled by the real kube-scheduler; the manager runs for real, the others are simulated: see CONTAINER-ID)'
    & kubectl --kubeconfig $kubeconfig get pods -A -o custom-columns='NAMESPACE:.metadata.namespace,NAME:.metadata.name,PHASE:.status.phase,NODE:.spec.nodeName,CONTAINER-ID:.status.containerStatuses[0].containerID'
    if ($LASTEXITCODE -ne 0) { throw 'kubectl get pods failed' }
    $holder = (& kubectl --kubeconfig $kubeconfig -n cluster-api-provider-packet-system get lease packetcluster-manager -o jsonpath='{.spec.holderIdentity}')
    Write-Host "The packetcluster-manager Lease is held by pod $holder; Get-PacketCluster says: ManagedBy = $($cluster.ManagedBy)"
    if (-not $holder -or $cluster.ManagedBy -notlike 'manager pod*') { throw 'the cluster does not manage itself' }

    Write-Host '== Set-PacketMachineDeployment -ClusterName demo -Replicas 3 -NoWait   (no PowerShell session manages it: the in-cluster manager pod scales)'
    Set-PacketMachineDeployment -ClusterName demo -Replicas 3 -StatePath $state -NoWait | Out-Null
    $deadline = [DateTime]::UtcNow.AddMinutes(3)
    do {
        Start-Sleep -Seconds 1
        $ready = @((& kubectl --kubeconfig $kubeconfig get nodes -o json | ConvertFrom-Json).items | Where-Object { ($_.status.conditions | Where-Object type -eq 'Ready').status -eq 'True' })
    } until ($ready.Count -eq 4 -or [DateTime]::UtcNow -gt $deadline)
    & kubectl --kubeconfig $kubeconfig get nodes
    if ($ready.Count -ne 4) { throw "expected 4 Ready nodes, found $($ready.Count)" }

    Write-Host '== Remove-PacketCluster demo -Force   (pauses the pivoted cluster, deletes every device and the elastic IP)'
    $cluster | Remove-PacketCluster -StatePath $state -Force -PollIntervalSeconds 0.5
    $left = @(Get-PacketDevice -ClusterName demo | Where-Object State -ne 'deprovisioning')
    $deadline = [DateTime]::UtcNow.AddSeconds(20)
    do { Start-Sleep -Milliseconds 500; $processes = @(& pgrep -P $sim.ProcessId) } until ($processes.Count -eq 0 -or [DateTime]::UtcNow -gt $deadline)
    Write-Host "Devices of cluster demo left: $($left.Count); state folder left: $(Test-Path (Join-Path $state 'demo')); booted-machine processes left: $($processes.Count)"
    if ($left.Count -ne 0 -or $processes.Count -ne 0) { throw 'the simulator inventory is not clean' }

    Write-Host '== The definition layer: New-PacketClusterConfig | Get-PacketUserData, checked with cloud-init schema'
    $config = New-PacketClusterConfig -OutputDirectory (Join-Path $work 'config') -ApiKey $sim.ApiKey -ProjectId $sim.ProjectId -Metro sv -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -WarningAction SilentlyContinue
    foreach ($u in ($config | Get-PacketUserData -WarningAction SilentlyContinue)) {
        $file = Join-Path $work "$($u.MachineName).userdata"
        Set-Content -Path $file -Value $u.Content -NoNewline
        $result = & cloud-init schema --config-file $file 2>&1
        Write-Host ("{0,-28} {1,-12} {2,6} bytes  cloud-init schema: {3}" -f $u.MachineName, $u.Role, $u.Content.Length, ($(if ($LASTEXITCODE -eq 0) { 'valid' } else { "INVALID: $result" })))
        if ($LASTEXITCODE -ne 0) { throw "userdata of $($u.MachineName) failed cloud-init schema" }
    }
    Write-Host 'Demo: done'
}
finally {
    if ($sim) { $sim | Stop-PacketSimulator -Confirm:$false }
    Remove-Item $work -Recurse -Force -ErrorAction Ignore
}
