<#
.SYNOPSIS
    The main job until New-PacketCluster lands: start the Packet API simulator, browse its catalogue, define a
    cluster, read it back, inspect machine configs and cloud-init-checked userdata.
#>
param([Parameter(Mandatory)] [string] $ModulePath)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $ModulePath 'PacketCluster.psd1')
$dir = Join-Path ([IO.Path]::GetTempPath()) "packetcluster-demo-$PID"
$sim = $null
try {
    Write-Host '== Start-PacketSimulator | Connect-PacketApi (loopback only; devices get 127.0.0.0/8 addresses)'
    $sim = Start-PacketSimulator
    $sim | Connect-PacketApi | Format-Table | Out-String | Write-Host
    Write-Host '== Get-PacketMetro; Get-PacketPlan -Metro sv; Get-PacketOperatingSystem -Name ubuntu_*'
    Get-PacketMetro | Format-Table | Out-String | Write-Host
    Get-PacketPlan -Metro sv | Format-Table | Out-String | Write-Host
    Get-PacketOperatingSystem -Name ubuntu_* | Format-Table | Out-String | Write-Host
    $env:PACKET_PROJECT_ID = $sim.ProjectId
    $key = $sim.ApiKey

    Write-Host "== New-PacketClusterConfig -OutputDirectory $dir -Metro sv -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -WorkerCount 2"
    $config = New-PacketClusterConfig -OutputDirectory $dir -ApiKey $key -Metro sv -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -WorkerCount 2
    $config | Format-Table | Out-String | Write-Host
    Get-ChildItem $dir | Format-Table UnixMode, Length, Name | Out-String | Write-Host

    Write-Host '== Import-PacketClusterConfig (validates names, CIDRs, kinds, machine-config matches)'
    Import-PacketClusterConfig $dir | Format-Table | Out-String | Write-Host

    Write-Host '== Get-PacketMachineConfig -KubernetesVersion 1.20.2'
    Get-PacketMachineConfig -KubernetesVersion 1.20.2 | Format-Table | Out-String | Write-Host

    Write-Host '== Get-PacketUserData, checked with cloud-init schema'
    foreach ($u in ($config | Get-PacketUserData -WarningAction SilentlyContinue)) {
        $file = Join-Path $dir "$($u.MachineName).userdata"
        Set-Content -Path $file -Value $u.Content -NoNewline
        $result = & cloud-init schema --config-file $file 2>&1
        Write-Host ("{0,-32} {1,-12} {2,6} bytes  cloud-init schema: {3}" -f $u.MachineName, $u.Role, $u.Content.Length, ($(if ($LASTEXITCODE -eq 0) { 'valid' } else { "INVALID: $result" })))
        if ($LASTEXITCODE -ne 0) { throw "userdata of $($u.MachineName) failed cloud-init schema" }
    }

    Write-Host '== A malformed definition is refused with a stable error id and nothing is written'
    (Get-Content (Join-Path $dir 'cluster.yaml') -Raw).Replace('172.26.0.0/16', '172.25.0.0/24') | Set-Content (Join-Path $dir 'cluster.yaml')
    try { Import-PacketClusterConfig $dir | Out-Null } catch { Write-Host "$($_.FullyQualifiedErrorId): $($_.Exception.Message)" }
    Write-Host 'Demo: done'
}
finally {
    Remove-Item $dir -Recurse -Force -ErrorAction Ignore
    if ($sim) { $sim | Stop-PacketSimulator -Confirm:$false }
}
