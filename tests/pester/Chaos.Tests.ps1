BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    $script:Work = New-TestWorkDirectory 'pc-chaos'
    # About 20 % of API requests fail: 429, 500, 503 and dropped connections, deterministic under the seed; and answers of
    # requests that took effect are lost.
    $script:Sim = Start-TestSimulator $Work -Seed 3 -Config @"
timings:
  queued: {duration: 200ms}
  provisioning: {duration: 1500ms, jitter: 1s}
  deprovisioning: {duration: 300ms}
faults:
  requests:
  # The failure that made the 2019 provider duplicate devices: the request takes effect, its answer is lost. First in
  # the list, so they win over the rules below: the first two creates and the first reservation and assignment always.
  - {name: lost-create, path: "/projects/*/devices", methods: [POST], times: 2, handled: true, status: 502}
  - {name: lost-create-drop, path: "/projects/*/devices", methods: [POST], rate: 0.15, handled: true, drop: true}
  - {name: lost-reservation, path: "/projects/*/ips", methods: [POST], times: 1, handled: true, status: 504}
  - {name: lost-assignment, path: "/devices/*/ips", methods: [POST], times: 1, handled: true, drop: true}
  - {name: throttle, path: "/**", rate: 0.06, status: 429}
  - {name: oops, path: "/**", rate: 0.05, status: 500}
  - {name: unavailable, path: "/**", rate: 0.06, status: 503}
  - {name: drop, path: "/**", rate: 0.04, drop: true}
"@
    $script:State = Join-Path $Work 'state'
    $script:Key = [System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password
    $script:Pwsh = Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')
    $script:Create = "Import-Module '$ModuleManifest'; New-PacketCluster -Name chaos -Metro sv -WorkerCount 2 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath '$State' -PollIntervalSeconds 0.2 -TimeoutSeconds 90 -ProvisionOnly | Out-Null"
    function Start-Engine {
        # The engine runs in its own process, connected through the environment, so the test can kill it outright.
        $psi = [System.Diagnostics.ProcessStartInfo]::new($Pwsh)
        foreach ($a in '-NoProfile', '-NonInteractive', '-Command', $Create) { $psi.ArgumentList.Add($a) }
        $psi.Environment['PACKET_API_URL'] = "$($Sim.Endpoint)"
        $psi.Environment['PACKET_API_KEY'] = $Key
        $psi.Environment['PACKET_PROJECT_ID'] = $Sim.ProjectId
        $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true; $psi.UseShellExecute = $false
        [System.Diagnostics.Process]::Start($psi)
    }
    function Get-ChaosDevices {
        # The injected faults hit this test's own reads too: retry them here.
        foreach ($try in 1..20) {
            try {
                $r = Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "projects/$($Sim.ProjectId)/devices?per_page=1000&tag=cluster-api-provider-packet:cluster-id:chaos")) -Headers @{ 'X-Auth-Token' = $Key }
                return @($r.devices | Where-Object state -ne 'deprovisioning')
            } catch { Start-Sleep -Milliseconds 100 }
        }
        throw 'could not list devices'
    }
}
AfterAll {
    if ($script:Sim) { $script:Sim | Stop-PacketSimulator -Confirm:$false }
    Remove-Item $script:Work -Recurse -Force -ErrorAction Ignore
}

Describe 'Create under faults and repeated kills of the engine' {
    It 'converges with exactly one device per machine and no orphans' {
        $random = [Random]::new(3)
        $killedMidCreate = 0
        foreach ($kill in 1..3) {
            $engine = Start-Engine
            if ($kill -eq 2) {
                # The second kill waits for the first device (bounded), so at least one lands mid-create however
                # slow the machine is; a run an injected fault ended before that is started again, within the same bound.
                $deadline = [DateTime]::UtcNow.AddSeconds(90)
                while (@(Get-ChaosDevices).Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) {
                    if ($engine.HasExited) { $engine = Start-Engine }
                    Start-Sleep -Milliseconds 100
                }
                Start-Sleep -Milliseconds $random.Next(0, 300)
            }
            else {
                Start-Sleep -Milliseconds $random.Next(1500 * $kill, 2500 * $kill)
            }
            if (-not $engine.HasExited) {
                $engine.Kill($true)
                if (@(Get-ChaosDevices).Count -gt 0) { $killedMidCreate++ }
            }
            $engine.WaitForExit()
        }
        $killedMidCreate | Should -BeGreaterThan 0 -Because 'the test must interrupt a create that has already made devices'
        # A user re-runs until it succeeds; an unretried 500 may end a run early, never corrupt it.
        $succeeded = $false
        foreach ($run in 1..6) {
            $engine = Start-Engine
            $null = $engine.WaitForExit(150000)
            if (-not $engine.HasExited) { $engine.Kill($true); throw 'the engine did not finish within its own timeout' }
            if ($engine.ExitCode -eq 0) { $succeeded = $true; Write-Host "converged on re-run $run after 3 kills"; break }
            # Say why a run ended early, so a CI log shows which fault the engine did not absorb.
            $why = ($engine.StandardError.ReadToEnd() -split "`n" | Where-Object { $_.Trim() } | Select-Object -Last 3) -join ' | '
            Write-Host "re-run $run ended with exit code $($engine.ExitCode): $why"
        }
        $succeeded | Should -BeTrue -Because 'a re-run resumes and completes'

        $machines = @(Get-PacketMachine chaos -StatePath $State)
        $machines | Should -HaveCount 3
        $devices = Get-ChaosDevices
        $devices | Should -HaveCount 3 -Because 'zero duplicates'
        ($devices.id | Sort-Object) | Should -Be ($machines.Spec.ProviderID -replace '^packet://' | Sort-Object) -Because 'zero orphans: every tagged device belongs to a Machine'
        ($devices.hostname | Sort-Object -Unique) | Should -HaveCount 3

        # Zero orphaned reservations: the one elastic IP the cluster records, however many reservation answers were lost.
        $ips = $null
        foreach ($try in 1..20) {
            try { $ips = @((Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "projects/$($Sim.ProjectId)/ips")) -Headers @{ 'X-Auth-Token' = $Key }).ip_addresses | Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:chaos' }); break }
            catch { Start-Sleep -Milliseconds 100 }
        }
        $ips | Should -HaveCount 1 -Because 'zero orphaned reservations'
        $ips[0].address | Should -Be (Get-PacketCluster chaos -StatePath $State).Status.ApiEndpoints[0].Host
        # The lost-answer faults really happened (the admin API is not subject to faults).
        $applied = Invoke-RestMethod -Uri ([Uri]::new($Sim.AdminEndpoint, 'faults/applied')) -Headers @{ 'X-Auth-Token' = $Key }
        Write-Host "lost answers: $($applied | ConvertTo-Json -Compress)"
        $applied.'lost-create' | Should -Be 2 -Because 'two device creates took effect and their answers were lost'
        $applied.'lost-reservation' | Should -Be 1 -Because 'an IP reservation took effect and its answer was lost'
    }
}
