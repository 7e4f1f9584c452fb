BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    $script:Work = New-TestWorkDirectory 'pc-ctrlc'
    # Provisioning takes 15 s, so the create is still waiting when the user presses Ctrl+C and the devices are still
    # provisioning when the re-run adopts them.
    $script:Sim = Start-TestSimulator $Work -Seed 5 -Config @"
timings:
  queued: {duration: 200ms}
  provisioning: {duration: 15s}
  deprovisioning: {duration: 300ms}
"@
    $script:Sim | Connect-PacketApi | Out-Null
    $script:State = Join-Path $Work 'state'
    $script:Key = [System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password
    $script:Headers = @{ 'X-Auth-Token' = $Key }
    $script:Create = "New-PacketCluster -Name ctrlc -Metro sv -WorkerCount 2 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath '$State' -PollIntervalSeconds 0.2 -ProvisionOnly"

    # An interactive pwsh on a real pseudo-terminal, typed at through tests/pester/pty-driver.py.
    $python = (Get-Command python3 -CommandType Application -ErrorAction Stop | Select-Object -First 1).Source
    $psi = [System.Diagnostics.ProcessStartInfo]::new($python)
    foreach ($a in (Join-Path $PSScriptRoot 'pty-driver.py'), (Join-Path $PSHOME ($IsWindows ? 'pwsh.exe' : 'pwsh')), '-NoProfile', '-NoLogo') { $psi.ArgumentList.Add($a) }
    $psi.Environment['PACKET_API_URL'] = "$($Sim.Endpoint)"
    $psi.Environment['PACKET_API_KEY'] = $Key
    $psi.Environment['PACKET_PROJECT_ID'] = $Sim.ProjectId
    $psi.Environment['TERM'] = 'xterm-256color'
    $null = $psi.Environment.Remove('NO_COLOR')   # a user's terminal: colours and the progress bar on
    $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.UseShellExecute = $false
    $script:Terminal = [System.Diagnostics.Process]::Start($psi)

    function Invoke-Terminal([hashtable] $Command) {
        $Terminal.StandardInput.WriteLine(($Command | ConvertTo-Json -Compress))
        $Terminal.StandardInput.Flush()
        $reply = $Terminal.StandardOutput.ReadLineAsync()
        if (-not $reply.Wait([TimeSpan]::FromSeconds(10 + ($Command.timeout ?? 0)))) { throw "the pty driver did not answer $($Command.op)" }
        if ($null -eq $reply.Result) { throw 'the pty driver exited' }
        $reply.Result | ConvertFrom-Json
    }
    function Send-Line([string] $Line) { Invoke-Terminal @{ op = 'send'; text = "$Line`r" } | Out-Null }
    function Wait-Output([string] $Pattern, [double] $TimeoutSeconds) {
        Invoke-Terminal @{ op = 'expect'; pattern = $Pattern; timeout = $TimeoutSeconds }
    }
    function Get-ClusterDevices {
        $r = Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "projects/$($Sim.ProjectId)/devices?per_page=1000&tag=cluster-api-provider-packet:cluster-id:ctrlc")) -Headers $Headers
        @($r.devices | Where-Object state -ne 'deprovisioning')
    }
    # Requests the simulator has served; its admin API does not count itself.
    function Get-RequestTotal { (Invoke-RestMethod -Uri ([Uri]::new($Sim.AdminEndpoint, 'requests')) -Headers $Headers).total }
}
AfterAll {
    try {
        if ($script:Terminal) {
            # Closing the driver's stdin makes it kill the shell's process group; the kill by pid is the fallback.
            $script:Terminal.StandardInput.Close()
            if (-not $script:Terminal.WaitForExit(10000)) { $script:Terminal.Kill($true) }
        }
    } finally {
        if ($script:Sim) { $script:Sim | Stop-PacketSimulator -Confirm:$false }
        Remove-Item $script:Work -Recurse -Force -ErrorAction Ignore
    }
}

Describe 'Ctrl+C in an interactive shell' {
    It 'stops a waiting New-PacketCluster promptly, keeps the shell and leaves nothing running' {
        $started = Wait-Output 'PS .*> ' 30
        $started.ok | Should -BeTrue -Because "the interactive shell starts: $($started.tail)"
        Send-Line "function prompt { 'PC-PROMPT-' + (++`$global:PcPrompt) + '> ' }; Import-Module '$ModuleManifest'; Connect-PacketApi | Out-Null"
        $ready = Wait-Output 'PC-PROMPT-1> ' 30
        $ready.ok | Should -BeTrue -Because "the module imports and connects: $($ready.tail)"
        Write-Host "shell started in $($started.seconds) s, module imported in $($ready.seconds) s"

        Send-Line "$Create -TimeoutSeconds 600"
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (@(Get-ClusterDevices).Count -lt 3 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 200 }
        $before = @(Get-ClusterDevices)
        Write-Host "devices requested after $(60 - [int]($deadline - [DateTime]::UtcNow).TotalSeconds) s"
        $before | Should -HaveCount 3 -Because "the create requests every device before it waits: $((Invoke-Terminal @{ op = 'tail' }).tail)"
        ($before.state | Where-Object { $_ -eq 'active' }) | Should -BeNullOrEmpty -Because 'the create is still waiting for provisioning'

        Invoke-Terminal @{ op = 'send'; text = [string][char]3 } | Out-Null
        $stopped = Wait-Output 'PC-PROMPT-2> ' 5
        Write-Host "Ctrl+C to the next prompt: $($stopped.seconds) s"
        if (-not $stopped.ok) {
            # Say how late it was, for the CI log; the assertion below still fails.
            $late = Wait-Output 'PC-PROMPT-2> ' 30
            Write-Host "the prompt came back after $($late.seconds) s more ($($late.ok)); output after Ctrl+C: $((Invoke-Terminal @{ op = 'tail'; chars = 3000 }).tail -replace '\s+', ' ')"
        }
        $stopped.ok | Should -BeTrue -Because "Ctrl+C ends the command within 5 s: $($stopped.tail)"

        # Nothing of the stopped command may go on: no API request, no device, and the shell keeps working.
        $requests = Get-RequestTotal
        Start-Sleep -Seconds 2
        Send-Line "'still-' + 'here-' + (6 * 7)"
        (Wait-Output 'still-here-42' 10).ok | Should -BeTrue -Because 'the shell still runs commands after Ctrl+C'
        (Invoke-Terminal @{ op = 'alive' }).alive | Should -BeTrue -Because 'Ctrl+C stops the command, not the shell'
        Get-RequestTotal | Should -Be $requests -Because 'the stopped engine makes no further API request'
        ((Get-ClusterDevices).id | Sort-Object) | Should -Be ($before.id | Sort-Object) -Because 'no device is created after Ctrl+C'
        (Invoke-Terminal @{ op = 'tail'; chars = 100000 }).tail | Should -Not -Match 'Unhandled exception|PSInvalidOperationException|PipelineStoppedException'
    }

    It 'a re-run in the same shell resumes: one device per machine, no duplicates, no orphans' {
        Send-Line "$Create -NoWait | Out-Null; 'rerun-' + `$?"
        $rerun = Wait-Output 'rerun-(True|False)' 60
        $rerun.match | Should -Be 'rerun-True' -Because "the re-run succeeds: $($rerun.tail)"

        $machines = @(Get-PacketMachine ctrlc -StatePath $State)
        $machines | Should -HaveCount 3
        $devices = Get-ClusterDevices
        $devices | Should -HaveCount 3 -Because 'zero duplicates'
        ($devices.id | Sort-Object) | Should -Be ($machines.Spec.ProviderID -replace '^packet://' | Sort-Object) -Because 'zero orphans: every tagged device belongs to a Machine'
    }

    It 'Remove-PacketCluster -Force after the interrupted create waits out provisioning and leaves nothing' {
        @(Get-ClusterDevices | Where-Object state -in 'queued', 'provisioning') | Should -Not -BeNullOrEmpty -Because 'the devices are still provisioning, which the API refuses to delete'
        Remove-PacketCluster ctrlc -StatePath $State -Force -PollIntervalSeconds 0.2 -TimeoutSeconds 60 -ErrorAction Stop
        @(Get-ClusterDevices) | Should -HaveCount 0
        $ips = (Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "projects/$($Sim.ProjectId)/ips")) -Headers $Headers).ip_addresses
        @($ips | Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:ctrlc' }) | Should -HaveCount 0
        Join-Path $State ctrlc | Should -Not -Exist
    }
}
