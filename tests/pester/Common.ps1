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
