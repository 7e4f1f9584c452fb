<#
.SYNOPSIS
    The main job: against the Packet API simulator, create a cluster of 1 control plane + 2 workers, list clusters and
    machines, write the kubeconfig, delete the cluster, and show that the simulator's inventory is clean again.
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

    Write-Host '== New-PacketCluster -Name demo … (PKI, elastic IP endpoint, control plane and workers created at once)'
    $cluster = New-PacketCluster -Name demo -Metro sv -WorkerCount 2 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath $state -PollIntervalSeconds 0.5 -TimeoutSeconds 300
    Write-Host '== Get-PacketCluster; Get-PacketMachine; Get-PacketDevice -ClusterName demo'
    Show (Get-PacketCluster -StatePath $state)
    Show ($cluster | Get-PacketMachine -StatePath $state)
    Show (Get-PacketDevice -ClusterName demo)

    Write-Host '== Get-PacketKubeconfig demo -Path demo.kubeconfig   (admin kubeconfig minted from the cluster CA, mode 0600)'
    $kubeconfig = Join-Path $work 'demo.kubeconfig'
    Get-PacketKubeconfig demo -StatePath $state -Path $kubeconfig
    Get-Item $kubeconfig | Format-Table UnixMode, Length, Name | Out-String | Write-Host
    (Get-Content $kubeconfig | Select-String 'server:|current-context:').Line | Write-Host

    Write-Host '== Remove-PacketCluster demo -Force'
    $cluster | Remove-PacketCluster -StatePath $state -Force -PollIntervalSeconds 0.5
    $left = @(Get-PacketDevice -ClusterName demo | Where-Object State -ne 'deprovisioning')
    Write-Host "Devices of cluster demo left: $($left.Count); state folder left: $(Test-Path (Join-Path $state 'demo'))"
    if ($left.Count -ne 0) { throw 'the simulator inventory is not clean' }

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
