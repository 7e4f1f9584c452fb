# Dot-sourced by every test file: the module under test is the assembled folder (build.ps1 Assemble/Package).
$script:ModuleDir = $env:PACKETCLUSTER_TEST_MODULE
if (-not $ModuleDir) { $script:ModuleDir = Join-Path $PSScriptRoot '../../out/PacketCluster' }
$script:ModuleManifest = Join-Path $ModuleDir 'PacketCluster.psd1'
$script:SeedDir = Join-Path $PSScriptRoot '../PacketCluster.Engine.Tests/testdata/seed'
# Runs a script in a fresh pwsh (binary modules cannot be unloaded) and returns its output lines.
function Invoke-FreshPwsh([string] $Script) {
    & (Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')) -NoProfile -NonInteractive -Command $Script 2>&1
}
# A fresh temporary folder for one test file's state and simulator config.
function New-TestWorkDirectory([string] $Prefix) {
    (New-Item -ItemType Directory (Join-Path ([IO.Path]::GetTempPath()) "$Prefix-$([Guid]::NewGuid())")).FullName
}
# Starts a simulator on loopback from the body of a SimulatorConfig (timings:, faults:), kept in $WorkDirectory.
# Devices do not boot Kubernetes unless the body says `boot:` itself: only the end-to-end tests need real control planes.
function Start-TestSimulator([string] $WorkDirectory, [string] $Config, [int] $Seed) {
    $path = Join-Path $WorkDirectory 'simulator.yaml'
    if ($Config -notmatch '(?m)^boot:') { $Config += "`nboot: {enabled: false}" }
    "apiVersion: packetcluster.io/v1alpha1`nkind: SimulatorConfig`n$Config" | Set-Content $path
    Start-PacketSimulator -ConfigFile $path -Seed $Seed
}
# Polls until the script block is true (exceptions count as false); fails with the description after the bound.
function Wait-Until([scriptblock] $Condition, [string] $What, [int] $Seconds = 120, [int] $IntervalMilliseconds = 500) {
    $deadline = [DateTime]::UtcNow.AddSeconds($Seconds)
    while (-not $(try { & $Condition } catch { $false })) {
        if ([DateTime]::UtcNow -gt $deadline) { throw "not within $Seconds s: $What" }
        Start-Sleep -Milliseconds $IntervalMilliseconds
    }
}
# The simulator's devices of one cluster (by the seed's name tag) that are not being deprovisioned.
function Get-SimClusterDevices($Simulator, [string] $ClusterName) {
    $headers = @{ 'X-Auth-Token' = [System.Net.NetworkCredential]::new('', $Simulator.ApiKey).Password }
    @((Invoke-RestMethod -Uri ([Uri]::new($Simulator.Endpoint, "projects/$($Simulator.ProjectId)/devices?per_page=1000")) -Headers $headers).devices |
        Where-Object { $_.tags -contains "cluster-api-provider-packet:cluster-id:$ClusterName" -and $_.state -ne 'deprovisioning' })
}
# Start-PacketClusterManager in a background pwsh, as the in-cluster Deployment would run: credentials from the
# environment (the implicit connection), its log in $LogPath. Returns the process; the caller kills it.
function Start-TestManager($Simulator, [string] $Manifest, [string] $Kubeconfig, [string] $LogPath) {
    $start = [Diagnostics.ProcessStartInfo]::new((Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')))
    foreach ($a in '-NoProfile', '-NonInteractive', '-Command', "Import-Module '$Manifest'; Start-PacketClusterManager -Kubeconfig '$Kubeconfig' -PollIntervalSeconds 0.5 -ResyncSeconds 2 -Verbose *> '$LogPath'") { $start.ArgumentList.Add($a) }
    $start.Environment['PACKET_API_KEY'] = [System.Net.NetworkCredential]::new('', $Simulator.ApiKey).Password
    $start.Environment['PACKET_PROJECT_ID'] = $Simulator.ProjectId
    $start.Environment['PACKET_API_URL'] = $Simulator.Endpoint.ToString()
    [Diagnostics.Process]::Start($start)
}
# Credentials in the environment for offline tests (config generation, userdata). The endpoint is a loopback port
# nothing listens on, so no test reaches the real API; an explicit connection left by an earlier test file (the
# module's session state outlives Import-Module -Force) is dropped so the environment applies.
function Set-OfflinePacketEnvironment {
    Disconnect-PacketApi -Confirm:$false -WarningAction SilentlyContinue
    $env:PACKET_API_KEY = 'pester-secret-api-key-7f3a9c'
    $env:PACKET_PROJECT_ID = '6a1b2c3d-0000-4000-8000-000000000001'
    $env:PACKET_API_URL = 'http://127.0.0.1:9/metal/v1/'
}
function Clear-OfflinePacketEnvironment { Remove-Item Env:PACKET_API_KEY, Env:PACKET_PROJECT_ID, Env:PACKET_API_URL -ErrorAction Ignore }
