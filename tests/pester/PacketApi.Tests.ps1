BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    # One simulator for the file: starting one costs a dotnet process start.
    # Seed 1: its fault dice hit 2 of the first 5 device-list pages (the fault test needs at least one).
    $script:Sim = Start-PacketSimulator -Seed 1
    $script:Sim | Connect-PacketApi | Out-Null
}
AfterAll {
    if ($script:Sim) { $script:Sim | Stop-PacketSimulator -Confirm:$false }
}

Describe 'Start-PacketSimulator' {
    It 'returns a loopback endpoint, a SecureString key and the project' {
        $Sim | Should -BeOfType ([PacketCluster.Models.Metal.PacketSimulatorInfo])
        $Sim.Endpoint.Host | Should -Be '127.0.0.1'
        $Sim.ApiKey | Should -BeOfType ([securestring])
        $Sim.ProjectId | Should -Not -BeNullOrEmpty
        Get-Process -Id $Sim.ProcessId | Should -Not -BeNullOrEmpty
    }
}

Describe 'Connect-PacketApi and the catalogue cmdlets' {
    It 'leaves none of the caller''s streams to the simulator: pwsh … 2>&1 | cat ends while the simulator runs on' {
        # The script prints the pid and exits; the pipe closes only when no process holds it any more.
        $script = "Import-Module '$ModuleManifest'; (Start-PacketSimulator).ProcessId"
        $pwsh = Join-Path $PSHOME 'pwsh'
        $watch = [Diagnostics.Stopwatch]::StartNew()
        # cat ends when the pipe closes; if the simulator held it, timeout would end cat after 60 s with 124.
        $out = & bash -c "timeout 60 '$pwsh' -NoProfile -NonInteractive -Command `"`$1`" 2>&1 | timeout 60 cat; echo rc=`${PIPESTATUS[1]}" bash $script
        $watch.Stop()
        $simulatorPid = [int](@($out | Where-Object { $_ -match '^\d+$' })[0])
        try {
            "$out" | Should -Match 'rc=0' -Because 'a pipe the simulator kept open would have ended only by the timeout (rc=124)'
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 60
            Get-Process -Id $simulatorPid -ErrorAction SilentlyContinue | Should -Not -BeNullOrEmpty -Because 'the simulator runs on after its caller'
        }
        finally {
            if ($simulatorPid) { Stop-PacketSimulator -ProcessId $simulatorPid -Confirm:$false }
        }
    }

    It 'connects and reports the connection without the key' {
        $c = $Sim | Connect-PacketApi
        $c | Should -BeOfType ([PacketCluster.Models.Metal.PacketConnectionInfo])
        $c.ProjectId | Should -Be $Sim.ProjectId
        ($c | Format-List * | Out-String) | Should -Not -Match ([regex]::Escape([System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password))
    }

    It 'Get-PacketProject returns the project' {
        $p = Get-PacketProject
        $p | Should -BeOfType ([PacketCluster.Models.Metal.PacketProject])
        $p.Id | Should -Contain $Sim.ProjectId
    }

    It 'Get-PacketMetro and Get-PacketFacility return the seeded locations' {
        (Get-PacketMetro).Code | Should -Contain 'sv'
        (Get-PacketFacility).Code | Should -Contain 'ewr1'
        (Get-PacketFacility -Metro ny).Code | Should -Contain 'ewr1'
    }

    It 'Get-PacketPlan -Metro lists plans with hourly prices' {
        $plans = Get-PacketPlan -Metro sv
        $plans | Should -Not -BeNullOrEmpty
        $plans | Should -BeOfType ([PacketCluster.Models.Metal.PacketPlan])
        $plans | ForEach-Object { $_.PricePerHour | Should -BeGreaterThan 0 }
        $plans | ForEach-Object { $_.Metros | Should -Contain 'sv' }
        (Get-PacketPlan).Slug | Should -Contain 'c1.small.x86'
    }

    It 'a metro or facility that does not exist is UnknownLocation naming the nearest codes, not an empty list' {
        { Get-PacketPlan -Metro xx -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownLocation,PacketCluster.Commands.GetPacketPlanCommand'
        { Get-PacketPlan -Facility zz9 -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownLocation,PacketCluster.Commands.GetPacketPlanCommand'
        { Get-PacketFacility -Metro xx -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownLocation,PacketCluster.Commands.GetPacketFacilityCommand'
        $failure = try { Get-PacketPlan -Metro dx -ErrorAction Stop } catch { $_ }
        $failure.Exception.Message | Should -Match "There is no metro 'dx'\. Nearest: (\w+, ){0,2}da\b"
        $failure.Exception.Message | Should -Match 'Get-PacketMetro lists all'
        @(Get-PacketFacility -Metro da).Count | Should -BeGreaterThan 0
    }

    It 'Get-PacketOperatingSystem lists the Ubuntu LTS images' {
        (Get-PacketOperatingSystem).Slug | Should -Contain 'ubuntu_24_04'
        (Get-PacketOperatingSystem -Name ubuntu_1*).Slug | Should -Contain 'ubuntu_18_04'
    }

    It 'Get-PacketDevice returns nothing for a cluster that has no devices' {
        Get-PacketDevice -ClusterName no-such-cluster | Should -BeNullOrEmpty
    }

    It 'completes metro, facility, plan and OS from the live catalogue' {
        foreach ($case in @(
                @{ Line = 'Get-PacketPlan -Metro s'; Expect = 'sv' }
                @{ Line = 'Get-PacketPlan -Facility ew'; Expect = 'ewr1' }
                @{ Line = 'New-PacketClusterConfig -Plan c3.sm'; Expect = 'c3.small.x86' }
                @{ Line = 'Get-PacketOperatingSystem -Name ubuntu_2'; Expect = 'ubuntu_24_04' })) {
            $m = (TabExpansion2 -inputScript $case.Line -cursorColumn $case.Line.Length).CompletionMatches.CompletionText
            $m | Should -Contain $case.Expect -Because $case.Line
        }
    }

    It 'a wrong key gives a PacketApiUnauthorized error record' {
        $bad = ConvertTo-SecureString 'wrong-key' -AsPlainText -Force
        { Connect-PacketApi -Endpoint $Sim.Endpoint -ApiKey $bad -ProjectId $Sim.ProjectId -ErrorAction Stop } |
            Should -Throw -ErrorId 'PacketApiUnauthorized,PacketCluster.Commands.ConnectPacketApiCommand'
        $err = $null
        try { Connect-PacketApi -Endpoint $Sim.Endpoint -ApiKey $bad -ProjectId $Sim.ProjectId -ErrorAction Stop } catch { $err = $_ }
        $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
        $err.Exception.Message | Should -Not -Match 'wrong-key'
        # The failed attempt leaves the good connection in place.
        (Get-PacketMetro).Count | Should -BeGreaterThan 0
    }

    It 'no stream of a -Verbose -Debug run carries the API key' {
        $key = [System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password
        $all = & {
            $Sim | Connect-PacketApi -Verbose -Debug
            Get-PacketProject -Verbose -Debug; Get-PacketMetro -Verbose -Debug; Get-PacketFacility -Verbose -Debug
            Get-PacketPlan -Metro sv -Verbose -Debug; Get-PacketOperatingSystem -Verbose -Debug; Get-PacketDevice -Verbose -Debug
            $bad = ConvertTo-SecureString "$key-wrong" -AsPlainText -Force
            try { Connect-PacketApi -Endpoint $Sim.Endpoint -ApiKey $bad -ProjectId $Sim.ProjectId -Verbose -Debug -ErrorAction Stop } catch { $_ | Format-List * -Force | Out-String; $_.Exception.ToString() }
            $Sim | Connect-PacketApi
        } *>&1 | Out-String -Width 500
        $all | Should -Match 'Packet API: GET /projects/'
        $all | Should -Not -Match ([regex]::Escape($key))
    }
}

Describe 'Get-PacketDevice under injected faults' {
    BeforeAll {
        $script:Key = [System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password
        $script:Headers = @{ 'X-Auth-Token' = $Key }
        $devicesUrl = [Uri]::new($Sim.Endpoint, "projects/$($Sim.ProjectId)/devices")
        # 500 devices of cluster "load" (two metros: the seeded catalogue has 400 c3.small.x86 per metro).
        foreach ($i in 0..499) {
            $body = @{ hostname = ('load-{0:D3}' -f $i); plan = 'c3.small.x86'; operating_system = 'ubuntu_22_04'
                metro = @('sv', 'ny')[$i % 2]; billing_cycle = 'hourly'; tags = @('cluster-api-provider-packet:cluster-id:load') } | ConvertTo-Json
            Invoke-RestMethod -Method Post -Uri $devicesUrl -Headers $Headers -Body $body -ContentType 'application/json' | Out-Null
        }
        $faults = @{ requests = @(
                @{ name = 'throttle'; path = '/**/devices'; methods = @('GET'); rate = 0.15; status = 429 }
                @{ name = 'unavailable'; path = '/**/devices'; methods = @('GET'); rate = 0.18; status = 503 }) } | ConvertTo-Json -Depth 5
        Invoke-RestMethod -Method Put -Uri ([Uri]::new($Sim.AdminEndpoint, 'faults')) -Headers $Headers -Body $faults -ContentType 'application/json' | Out-Null
        # A short rate-limit window: injected 429s name a reset at most 2 s away, which the client honours.
        Invoke-RestMethod -Method Put -Uri ([Uri]::new($Sim.AdminEndpoint, 'rate-limit')) -Headers $Headers -Body "requests: 5000`nwindow: 2s`n" -ContentType 'application/yaml' | Out-Null
    }
    AfterAll {
        Invoke-RestMethod -Method Put -Uri ([Uri]::new($Sim.AdminEndpoint, 'faults')) -Headers $Headers -Body '{"requests":[]}' -ContentType 'application/json' | Out-Null
    }

    It 'lists all 500 devices of a cluster under ~30 % injected 429/503, with bounded retries shown by -Verbose' {
        $verbose = $null
        $devices = Get-PacketDevice -ClusterName load -Verbose 4>&1 | Tee-Object -Variable all | Where-Object { $_ -is [PacketCluster.Models.Metal.PacketDevice] }
        $verbose = $all | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message
        $devices | Should -HaveCount 500
        ($devices.Id | Sort-Object -Unique) | Should -HaveCount 500
        $devices | ForEach-Object { $_.ClusterName | Should -Be 'load' }
        $retries = @($verbose | Where-Object { $_ -match 'retry \d+ of \d+' })
        $retries.Count | Should -BeGreaterThan 0
        # 100 per page: 5 pages, at most (attempts - 1) retries each.
        $retries.Count | Should -BeLessOrEqual (5 * 5)
        ($verbose -join "`n") | Should -Not -Match ([regex]::Escape($Key))
    }
}
