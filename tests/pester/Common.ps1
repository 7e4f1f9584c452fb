# Dot-sourced by every test file: the module under test is the assembled folder (build.ps1 Assemble/Package).
$script:ModuleDir = $env:PACKETCLUSTER_TEST_MODULE
if (-not $ModuleDir) { $script:ModuleDir = Join-Path $PSScriptRoot '../../out/PacketCluster' }
$script:ModuleManifest = Join-Path $ModuleDir 'PacketCluster.psd1'
$script:SeedDir = Join-Path $PSScriptRoot '../PacketCluster.Engine.Tests/testdata/seed'
# Runs a script in a fresh pwsh (binary modules cannot be unloaded) and returns its output lines.
function Invoke-FreshPwsh([string] $Script) {
    & (Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')) -NoProfile -NonInteractive -Command $Script 2>&1
}
