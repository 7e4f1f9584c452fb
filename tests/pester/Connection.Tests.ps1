# Issue 15: the implicit connection follows the environment, Get-PacketConnection / Disconnect-PacketApi,
# New-PacketClusterConfig uses the session's connection and checks its codes, Get-PacketSimulator and a
# Stop-PacketSimulator that stops only its own simulator.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    $script:Work = New-TestWorkDirectory 'pc-connection'
    $script:SavedEnv = @{}
    foreach ($name in 'PACKET_API_KEY', 'METAL_AUTH_TOKEN', 'PACKET_PROJECT_ID', 'PACKET_API_URL', 'PACKETCLUSTER_HOME') {
        $script:SavedEnv[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $null)
    }
    # The simulator registry lives under the state root: this file's own, so other runs' simulators do not show.
    $env:PACKETCLUSTER_HOME = Join-Path $Work 'home'
    $script:Sim = Start-TestSimulator $Work '' 0
    $script:Key = [System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password
    function Clear-Connection {
        Disconnect-PacketApi -WarningAction SilentlyContinue -Confirm:$false
        foreach ($name in 'PACKET_API_KEY', 'METAL_AUTH_TOKEN', 'PACKET_PROJECT_ID', 'PACKET_API_URL') { [Environment]::SetEnvironmentVariable($name, $null) }
    }
    function Set-SimulatorEnvironment([string] $Key = $script:Key, [string] $ProjectId = $Sim.ProjectId) {
        $env:PACKET_API_URL = $Sim.Endpoint.ToString()
        $env:PACKET_API_KEY = $Key
        $env:PACKET_PROJECT_ID = $ProjectId
    }
}
AfterAll {
    Disconnect-PacketApi -WarningAction SilentlyContinue -Confirm:$false
    if ($script:Sim) { $script:Sim | Stop-PacketSimulator -Confirm:$false }
    foreach ($name in $script:SavedEnv.Keys) { [Environment]::SetEnvironmentVariable($name, $script:SavedEnv[$name]) }
}

Describe 'The implicit connection' {
    BeforeEach { Clear-Connection }

    It 'follows the environment: a wrong key fixed in the environment works at once, without Connect-PacketApi' {
        Set-SimulatorEnvironment -Key 'wrong-key-for-this-test'
        { Get-PacketProject } | Should -Throw -ErrorId 'PacketApiUnauthorized,PacketCluster.Commands.GetPacketProjectCommand'
        $env:PACKET_API_KEY = $Key
        (Get-PacketProject).Id | Should -Be $Sim.ProjectId
        $env:PACKET_PROJECT_ID = 'another-project-id'
        (Get-PacketConnection).ProjectId | Should -Be 'another-project-id'
    }

    It 'Get-PacketConnection shows endpoint, project and where the key came from, never the key' {
        Set-SimulatorEnvironment
        $c = Get-PacketConnection
        $c | Should -BeOfType ([PacketCluster.Models.Metal.PacketConnectionInfo])
        $c.Endpoint | Should -Be $Sim.Endpoint
        $c.ProjectId | Should -Be $Sim.ProjectId
        $c.ApiKeySource | Should -Be 'Environment (PACKET_API_KEY)'
        $c.IsExplicit | Should -BeFalse
        $explicit = $Sim | Connect-PacketApi
        $e = Get-PacketConnection
        $e.IsExplicit | Should -BeTrue
        $e.ApiKeySource | Should -Be 'Connect-PacketApi -ApiKey'
        $e.ProjectName | Should -Not -BeNullOrEmpty
        foreach ($o in $c, $e, $explicit) {
            $text = ($o | ConvertTo-Json -Depth 10) + ($o | Format-List * | Out-String) + ($o | Format-Table | Out-String) + ($o | ConvertTo-Csv | Out-String)
            $text | Should -Not -Match ([regex]::Escape($Key))
        }
        ($e | Format-Table | Out-String -Width 400) | Should -Match 'IsExplicit'
    }

    It 'says nothing (no object) when there is no connection at all' {
        Get-PacketConnection | Should -BeNullOrEmpty
    }
}

Describe 'Disconnect-PacketApi' {
    BeforeEach { Clear-Connection }

    It 'keeps the explicit connection whatever the environment says, until Disconnect-PacketApi; then the environment applies again' {
        Set-SimulatorEnvironment -Key 'wrong-key-for-this-test' -ProjectId 'project-from-the-environment'
        $Sim | Connect-PacketApi | Out-Null
        (Get-PacketProject).Id | Should -Be $Sim.ProjectId -Because 'the explicit connection does not follow the environment'
        Disconnect-PacketApi -WhatIf
        (Get-PacketConnection).IsExplicit | Should -BeTrue -Because '-WhatIf changes nothing'

        $gone = Disconnect-PacketApi -PassThru -Confirm:$false
        $gone.IsExplicit | Should -BeTrue
        $gone.ProjectId | Should -Be $Sim.ProjectId
        ($gone | ConvertTo-Json) | Should -Not -Match ([regex]::Escape($Key))
        $now = Get-PacketConnection
        $now.IsExplicit | Should -BeFalse
        $now.ProjectId | Should -Be 'project-from-the-environment'
        { Get-PacketProject } | Should -Throw -ErrorId 'PacketApiUnauthorized,PacketCluster.Commands.GetPacketProjectCommand'
    }

    It 'warns when there is no explicit connection to end, and returns nothing' {
        $out = Disconnect-PacketApi -PassThru -WarningVariable w -WarningAction SilentlyContinue -Confirm:$false
        $out | Should -BeNullOrEmpty
        "$w" | Should -Match 'nothing was disconnected'
    }
}

Describe 'New-PacketClusterConfig and the connection' {
    BeforeEach { Clear-Connection; $script:Out = Join-Path $Work ("config-" + [Guid]::NewGuid()) }

    It 'takes the project and key from $sim | Connect-PacketApi (help example 2)' {
        $Sim | Connect-PacketApi | Out-Null
        $c = New-PacketClusterConfig -Name conn1 -Metro sv -OutputDirectory $Out -WarningVariable w -WarningAction SilentlyContinue
        $c.ProjectId | Should -Be $Sim.ProjectId
        $c.Metro | Should -Be 'sv'
        Get-Content -Raw (Join-Path $Out 'provider-components.yaml') | Should -Match ([regex]::Escape([Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Key))) + '|' + [regex]::Escape($Key))
        "$w" | Should -Not -Match 'not checked'
    }

    It 'refuses a metro that does not exist with UnknownLocation naming the nearest codes, writing nothing' {
        $Sim | Connect-PacketApi | Out-Null
        $err = { New-PacketClusterConfig -Metro xx -OutputDirectory $Out -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'UnknownLocation,PacketCluster.Commands.NewPacketClusterConfigCommand' -PassThru
        $err.Exception.Message | Should -Match "There is no metro 'xx'\. Nearest: \w+"
        $err.ErrorDetails.RecommendedAction | Should -Match 'Get-PacketMetro'
        Join-Path $Out 'cluster.yaml' | Should -Not -Exist
    }

    It 'checks the facility, plan and operating system too, with the implicit connection' {
        Set-SimulatorEnvironment
        { New-PacketClusterConfig -Facility zz9 -OutputDirectory $Out -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'UnknownLocation,PacketCluster.Commands.NewPacketClusterConfigCommand'
        { New-PacketClusterConfig -Metro sv -Plan c3.smal.x86 -OutputDirectory $Out -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'UnknownPlan,PacketCluster.Commands.NewPacketClusterConfigCommand' -ExpectedMessage '*c3.small.x86*'
        { New-PacketClusterConfig -Metro sv -OperatingSystem ubuntu_99_04 -OutputDirectory $Out -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'UnknownOperatingSystem,PacketCluster.Commands.NewPacketClusterConfigCommand'
    }

    It 'warns that it could not check the codes when there is no connection' {
        $key = ConvertTo-SecureString 'some-key' -AsPlainText -Force
        $c = New-PacketClusterConfig -Metro xx -ProjectId 'p1' -ApiKey $key -OutputDirectory $Out -WarningVariable w -WarningAction SilentlyContinue
        $c.Metro | Should -Be 'xx'
        "$w" | Should -Match "metro 'xx'.*not checked against the catalogue"
    }

    It 'still says ProjectIdMissing, with advice, when neither a parameter nor the connection gives a project' {
        $env:PACKET_API_URL = $Sim.Endpoint.ToString(); $env:PACKET_API_KEY = $Key
        $err = { New-PacketClusterConfig -OutputDirectory $Out -WarningAction SilentlyContinue } |
            Should -Throw -ErrorId 'ProjectIdMissing,PacketCluster.Commands.NewPacketClusterConfigCommand' -PassThru
        $err.ErrorDetails.RecommendedAction | Should -Match 'Connect-PacketApi'
    }
}

Describe 'Get-PacketSimulator and Stop-PacketSimulator' {
    It 'Get-PacketSimulator finds a running simulator, as an object that pipes to Connect-PacketApi' {
        $found = @(Get-PacketSimulator | Where-Object ProcessId -eq $Sim.ProcessId)
        $found.Count | Should -Be 1
        $found[0] | Should -BeOfType ([PacketCluster.Models.Metal.PacketSimulatorInfo])
        $found[0].Endpoint | Should -Be $Sim.Endpoint
        $found[0].ProjectId | Should -Be $Sim.ProjectId
        $found[0].StartTime | Should -Be $Sim.StartTime
        (Get-PacketSimulator -ProcessId $Sim.ProcessId).ProcessId | Should -Be $Sim.ProcessId
        $found[0] | Connect-PacketApi | Out-Null
        (Get-PacketProject).Id | Should -Be $Sim.ProjectId
        Disconnect-PacketApi -Confirm:$false
    }

    It 'logs to a file under the state folder and keeps none of the caller''s standard streams' {
        $state = Join-Path $Work 'simstate'
        $other = Start-PacketSimulator -StateDirectory $state
        try {
            $other.LogFile | Should -Be (Join-Path $state 'simulator.log')
            $other.LogFile | Should -Exist
            $Sim.LogFile | Should -BeLike (Join-Path $env:PACKETCLUSTER_HOME '.simulators' '*' 'simulator.log')
            $Sim.LogFile | Should -Exist
            if ($IsLinux) {
                Wait-Until { (& readlink "/proc/$($other.ProcessId)/fd/1") -eq '/dev/null' } 'the simulator''s stdout is /dev/null' 10
                & readlink "/proc/$($other.ProcessId)/fd/0" | Should -Be '/dev/null'
                & readlink "/proc/$($other.ProcessId)/fd/2" | Should -Be $other.LogFile
            }
        }
        finally { $other | Stop-PacketSimulator -Confirm:$false }
    }

    It 'Stop-PacketSimulator -PassThru returns the stopped simulator, which Get-PacketSimulator no longer lists' {
        $other = Start-PacketSimulator
        (Get-PacketSimulator).ProcessId | Should -Contain $other.ProcessId
        $stopped = $other | Stop-PacketSimulator -PassThru -Confirm:$false
        $stopped | Should -BeOfType ([PacketCluster.Models.Metal.PacketSimulatorInfo])
        $stopped.ProcessId | Should -Be $other.ProcessId
        Get-Process -Id $other.ProcessId -ErrorAction SilentlyContinue | Should -BeNullOrEmpty
        (Get-PacketSimulator).ProcessId | Should -Not -Contain $other.ProcessId
        (Get-PacketSimulator).ProcessId | Should -Contain $Sim.ProcessId
    }

    It 'refuses a process that is not a simulator, by object or by id, and leaves it running' {
        $sleep = Start-Process -FilePath 'sleep' -ArgumentList 60 -PassThru
        try {
            $forged = [PacketCluster.Models.Metal.PacketSimulatorInfo]@{ ProcessId = $sleep.Id; StartTime = $sleep.StartTime.ToUniversalTime() }
            $err = { $forged | Stop-PacketSimulator -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'NotASimulator,PacketCluster.Commands.StopPacketSimulatorCommand' -PassThru
            $err.ErrorDetails.RecommendedAction | Should -Match 'Get-PacketSimulator'
            { Stop-PacketSimulator -ProcessId $sleep.Id -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'NotASimulator,PacketCluster.Commands.StopPacketSimulatorCommand'
            $sleep.Refresh()
            $sleep.HasExited | Should -BeFalse
        }
        finally { $sleep.Kill() }
    }

    It 'refuses a simulator''s process id when the start time is not the recorded one (a reused id)' {
        $forged = [PacketCluster.Models.Metal.PacketSimulatorInfo]@{ ProcessId = $Sim.ProcessId; StartTime = $Sim.StartTime.AddHours(-1) }
        { $forged | Stop-PacketSimulator -Confirm:$false -ErrorAction Stop } |
            Should -Throw -ErrorId 'NotASimulator,PacketCluster.Commands.StopPacketSimulatorCommand' -ExpectedMessage '*another process*'
        Get-Process -Id $Sim.ProcessId | Should -Not -BeNullOrEmpty
        (Get-PacketSimulator).ProcessId | Should -Contain $Sim.ProcessId
    }
}
