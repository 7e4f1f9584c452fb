BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    $script:Work = New-TestWorkDirectory 'pc-nodepools'
    # The demo's fast timings, booting off: one cluster (1 control plane + 1 worker), provisioned only, not pivoted.
    $script:Sim = Start-TestSimulator $Work ((Get-Content -Raw (Join-Path $PSScriptRoot '../../build/simulator-fast.yaml')) -replace '(?s)^.*?kind: SimulatorConfig\s*', '') 15
    $script:Sim | Connect-PacketApi | Out-Null
    $script:State = Join-Path $Work 'state'
    $script:Headers = @{ 'X-Auth-Token' = [System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password }
    $script:Fast = @{ StatePath = $State; PollIntervalSeconds = 0.2; TimeoutSeconds = 120 }
    function Get-Live { Get-SimClusterDevices $Sim np }
    function Get-Userdata($Device) { (Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "devices/$($Device.id)/userdata")) -Headers $Headers).userdata }
    New-PacketCluster -Name np -Metro sv -WorkerCount 1 -Plan c3.small.x86 -KubernetesVersion 1.35.0 -OperatingSystem ubuntu_22_04 @Fast -ProvisionOnly | Out-Null
}
AfterAll {
    if ($script:Sim) { $script:Sim | Stop-PacketSimulator -Confirm:$false }
    Remove-Item $script:Work -Recurse -Force -ErrorAction Ignore
}

Describe 'Node pools (New-, Get-, Remove-PacketMachineDeployment)' {
    It '-WhatIf shows the pool with its price and creates nothing; bad labels and taints are refused before anything is written' {
        # -WhatIf writes to the host: read it from a fresh pwsh connected through the environment.
        $key = [System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password
        $out = Invoke-FreshPwsh "Import-Module '$ModuleManifest'; `$env:PACKET_API_KEY = '$key'; `$env:PACKET_API_URL = '$($Sim.Endpoint)'; `$env:PACKET_PROJECT_ID = '$($Sim.ProjectId)'; New-PacketMachineDeployment -ClusterName np -Name big -Plan m3.small.x86 -Replicas 2 -StatePath '$State' -WhatIf" | Out-String
        $out | Should -Match 'np-big'
        $out | Should -Match 'USD/hour'
        $out | Should -Match 'm3\.small\.x86'
        @(Get-PacketMachineDeployment np -StatePath $State).Name | Should -Be @('np-worker')
        { New-PacketMachineDeployment np bad -Label @{ 'node-role.kubernetes.io/gpu' = '' } @Fast -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidNodeRegistration,PacketCluster.Commands.NewPacketMachineDeploymentCommand'
        { New-PacketMachineDeployment np bad -Taint 'dedicated=x:Sometimes' @Fast -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidTaint,PacketCluster.Commands.NewPacketMachineDeploymentCommand'
        try { New-PacketMachineDeployment np Bad_Name @Fast -ErrorAction Stop } catch { $e = $_ }
        $e.FullyQualifiedErrorId | Should -Be 'InvalidMachineDeploymentName,PacketCluster.Commands.NewPacketMachineDeploymentCommand'
        $e.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        { New-PacketMachineDeployment np big -Plan x9.huge.x86 @Fast -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownPlan,PacketCluster.Commands.NewPacketMachineDeploymentCommand'
        @(Get-Live) | Should -HaveCount 2
    }

    It 'creates a second pool with another plan whose devices get the labels and taints in their userdata' {
        $pool = New-PacketMachineDeployment -ClusterName np -Name big -Plan m3.small.x86 -Replicas 2 `
            -Label @{ 'example.com/size' = 'big'; 'node.kubernetes.io/pool-class' = 'batch' } -Taint 'dedicated=big:NoSchedule', 'example.com/spot:PreferNoSchedule' @Fast
        $pool | Should -BeOfType ([PacketCluster.Models.ClusterApi.MachineDeployment])
        $pool.Name | Should -Be 'np-big'
        $pool.Plan | Should -Be 'm3.small.x86'

        $pools = Get-PacketMachineDeployment -ClusterName np -StatePath $State
        $pools.Name | Should -Be @('np-big', 'np-worker')
        $big = $pools | Where-Object Name -eq 'np-big'
        $big.ClusterName | Should -Be 'np'
        $big.Replicas | Should -Be 2
        $big.OperatingSystem | Should -Be 'ubuntu_22_04'
        $big.Version | Should -Be '1.35.0'
        $big.NodeLabels | Should -Be @('example.com/size=big', 'node.kubernetes.io/pool-class=batch')
        @($pools | Where-Object NodeLabels -contains 'example.com/size=big').Name | Should -Be 'np-big'
        $big.NodeTaints | Should -Be @('dedicated=big:NoSchedule', 'example.com/spot:PreferNoSchedule')
        ($pools | Where-Object Name -eq 'np-worker').Plan | Should -Be 'c3.small.x86'
        # The table view shows the labels and taints; wildcards and the short name select.
        ($pools | Format-Table | Out-String -Width 400) | Should -Match 'example.com/size=big'
        (Get-PacketMachineDeployment np 'b*' -StatePath $State).Name | Should -Be 'np-big'

        $machines = @(Get-PacketMachine np -StatePath $State | Where-Object { $_.Metadata.Labels['packetcluster.io/machine-deployment'] -eq 'np-big' })
        $machines | Should -HaveCount 2
        $machines | ForEach-Object { $_.Status.Phase | Should -BeIn 'Provisioned', 'Running'; $_.Spec.ProviderSpec.Value.MachineType | Should -Be 'm3.small.x86' }
        $devices = @(Get-Live | Where-Object { $machines.Spec.ProviderID -contains "packet://$($_.id)" })
        $devices | Should -HaveCount 2
        foreach ($device in $devices) {
            $device.plan.slug | Should -Be 'm3.small.x86'
            $userdata = Get-Userdata $device
            $userdata | Should -Match 'node-labels'
            $userdata | Should -Match 'example\.com/size=big'
            $userdata | Should -Match 'packetcluster\.io/machine-deployment=np-big'
            $userdata | Should -Match '(?s)taints:.*key: dedicated.*value: big.*effect: NoSchedule'
            $userdata | Should -Match 'effect: PreferNoSchedule'
        }
        # The first pool's worker has neither.
        $worker = Get-PacketMachine np -StatePath $State | Where-Object { -not $_.IsControlPlane -and $_.Metadata.Labels['packetcluster.io/machine-deployment'] -ne 'np-big' }
        $worker | Should -HaveCount 1
        Get-Userdata (Get-Live | Where-Object { "packet://$($_.id)" -eq $worker.Spec.ProviderID }) | Should -Not -Match 'example\.com/size'
    }

    It 'Get-PacketUserData shows the labels and taints of a definition''s MachineDeployment' {
        $config = New-PacketClusterConfig -OutputDirectory (Join-Path $Work 'def') -Name def -Metro sv -WorkerCount 1 -KubernetesVersion 1.35.0 -OperatingSystem ubuntu_22_04 -WarningAction SilentlyContinue
        $template = $config.MachineDeployments[0].Spec.Template.Spec
        $labels = [Collections.Generic.Dictionary[string, string]]::new(); $labels['example.com/tier'] = 'web'
        $template.Metadata = [PacketCluster.Models.ClusterApi.ObjectMeta]@{ Labels = $labels }
        $template.Taints = [Collections.Generic.List[PacketCluster.Models.ClusterApi.Taint]]@([PacketCluster.Models.ClusterApi.Taint]@{ Key = 'tier'; Value = 'web'; Effect = 'NoExecute' })
        $content = ($config | Get-PacketUserData -MachineName def-worker-0 -WarningAction SilentlyContinue).Content
        $content | Should -Match 'example\.com/tier=web'
        $content | Should -Match '(?s)taints:.*key: tier.*effect: NoExecute'
    }

    It 'refuses a name that is taken' {
        { New-PacketMachineDeployment -ClusterName np -Name big @Fast -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineDeploymentExists,PacketCluster.Commands.NewPacketMachineDeploymentCommand'
        { New-PacketMachineDeployment -ClusterName np -Name np-worker @Fast -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineDeploymentExists,PacketCluster.Commands.NewPacketMachineDeploymentCommand'
        @(Get-PacketMachineDeployment np -StatePath $State) | Should -HaveCount 2
    }

    It 'completes pool names for -Name and -DeploymentName' {
        $line = "Get-PacketMachineDeployment -StatePath '$State' -ClusterName np -Name "
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('np-big', 'np-worker')
        $line = "Remove-PacketMachineDeployment -StatePath '$State' -ClusterName np -Name np-b"
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('np-big')
        $line = "Set-PacketMachineDeployment -StatePath '$State' -ClusterName np -DeploymentName "
        $found = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
        $found.CompletionText | Should -Be @('np-big', 'np-worker')
        ($found | Where-Object CompletionText -eq 'np-big').ToolTip | Should -Match 'm3\.small\.x86'
    }

    It 'Set-PacketMachineDeployment scales one pool while another exists (by short name, or piped)' {
        { Set-PacketMachineDeployment -ClusterName np -Replicas 2 @Fast -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineDeploymentAmbiguous,PacketCluster.Commands.SetPacketMachineDeploymentCommand'
        Get-PacketMachineDeployment np worker -StatePath $State | Set-PacketMachineDeployment -Replicas 2 @Fast | Out-Null
        (Get-PacketMachineDeployment np worker -StatePath $State).Replicas | Should -Be 2
        @(Get-Live) | Should -HaveCount 5
    }

    It 'Remove-PacketMachineDeployment deletes the pool''s machines and devices and leaves the other pool alone' {
        $before = @(Get-PacketMachine np -StatePath $State | Where-Object { $_.Metadata.Labels['packetcluster.io/machine-deployment'] -ne 'np-big' }).Name
        $bigDevices = @(Get-PacketMachine np -StatePath $State | Where-Object { $_.Metadata.Labels['packetcluster.io/machine-deployment'] -eq 'np-big' }).Spec.ProviderID
        $bigDevices | Should -HaveCount 2
        Remove-PacketMachineDeployment np big -WhatIf -StatePath $State
        @(Get-PacketMachineDeployment np -StatePath $State) | Should -HaveCount 2

        Get-PacketMachineDeployment np big -StatePath $State | Remove-PacketMachineDeployment -Force @Fast
        (Get-PacketMachineDeployment np -StatePath $State).Name | Should -Be @('np-worker')
        $live = @(Get-Live)
        $live | Where-Object { $bigDevices -contains "packet://$($_.id)" } | Should -BeNullOrEmpty
        $live | Should -HaveCount 3
        @(Get-PacketMachine np -StatePath $State).Name | Should -Be $before

        # The last pool is refused, with what to do instead.
        try { Remove-PacketMachineDeployment np worker -Force @Fast -ErrorAction Stop } catch { $e = $_ }
        $e.FullyQualifiedErrorId | Should -Be 'LastMachineDeployment,PacketCluster.Commands.RemovePacketMachineDeploymentCommand'
        $e.ErrorDetails.RecommendedAction | Should -Match 'Replicas 0'
        { Remove-PacketMachineDeployment np nope -Force @Fast -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineDeploymentNotFound,PacketCluster.Commands.RemovePacketMachineDeploymentCommand'
        @(Get-Live) | Should -HaveCount 3
    }
}

Describe 'Machine health checks (Get-, New-, Set-, Remove-PacketMachineHealthCheck)' {
    It 'New-PacketCluster recorded the default health check for the workers; -NoHealthCheck records none' {
        $check = Get-PacketMachineHealthCheck np -StatePath $State
        $check | Should -BeOfType ([PacketCluster.Models.ClusterApi.MachineHealthCheck])
        ($check.Name, $check.ClusterName, $check.Selector) | Should -Be @('np-workers', 'np', 'cluster.k8s.io/cluster-name=np,set=node')
        ($check.UnhealthyConditions, $check.NodeStartupTimeout, $check.MaxUnhealthy) | Should -Be @('Ready=Unknown 5m, Ready=False 5m', '10m', '40%')
        (Get-PacketMachineHealthCheck -StatePath $State -Name 'np-w*').Name | Should -Be 'np-workers'
        ($check | Format-Table | Out-String -Width 300) | Should -Match 'MaxUnhealthy\s+Remediation'
        (Get-PacketMachineHealthCheck np workers -StatePath $State | ConvertTo-Json -WarningVariable deep -WarningAction SilentlyContinue) | Should -Match '"MaxUnhealthy": "40%"'
        $deep | Should -BeNullOrEmpty -Because 'ConvertTo-Json at its default depth needs no warning'

        New-PacketCluster -Name nohc -Metro sv -WorkerCount 1 -Plan c3.small.x86 -KubernetesVersion 1.35.0 -OperatingSystem ubuntu_22_04 @Fast -ProvisionOnly -NoHealthCheck | Out-Null
        @(Get-PacketMachineHealthCheck nohc -StatePath $State) | Should -HaveCount 0
        Remove-PacketCluster nohc -Force @Fast | Out-Null
    }

    It 'refuses bad input before anything is written, with what to do' {
        { New-PacketMachineHealthCheck np gpu -UnhealthyTimeout '5 minutes' -StatePath $State -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidDuration,PacketCluster.Commands.NewPacketMachineHealthCheckCommand'
        { New-PacketMachineHealthCheck np gpu -UnhealthyCondition 'Ready=Maybe' -StatePath $State -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidUnhealthyCondition,PacketCluster.Commands.NewPacketMachineHealthCheckCommand'
        try { New-PacketMachineHealthCheck np gpu -MaxUnhealthy '150%' -StatePath $State -ErrorAction Stop } catch { $e = $_ }
        $e.FullyQualifiedErrorId | Should -Be 'InvalidMachineHealthCheck,PacketCluster.Commands.NewPacketMachineHealthCheckCommand'
        $e.ErrorDetails.RecommendedAction | Should -Match 'percentage'
        { New-PacketMachineHealthCheck np -StatePath $State -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineHealthCheckExists,PacketCluster.Commands.NewPacketMachineHealthCheckCommand'
        { New-PacketMachineHealthCheck np -DeploymentName nope -StatePath $State -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineDeploymentNotFound,PacketCluster.Commands.NewPacketMachineHealthCheckCommand'
        { New-PacketMachineHealthCheck nosuch -StatePath $State -ErrorAction Stop } |
            Should -Throw -ErrorId 'ClusterNotFound,PacketCluster.Commands.NewPacketMachineHealthCheckCommand'
        { Set-PacketMachineHealthCheck np workers -StatePath $State -ErrorAction Stop } |
            Should -Throw -ErrorId 'NothingToChange,PacketCluster.Commands.SetPacketMachineHealthCheckCommand'
        { Set-PacketMachineHealthCheck np nope -MaxUnhealthy 1 -StatePath $State -ErrorAction Stop } |
            Should -Throw -ErrorId 'MachineHealthCheckNotFound,PacketCluster.Commands.SetPacketMachineHealthCheckCommand'
        New-PacketMachineHealthCheck np pool -DeploymentName worker -StatePath $State -WhatIf | Should -BeNullOrEmpty
        (Get-PacketMachineHealthCheck np -StatePath $State).Name | Should -Be 'np-workers'
    }

    It 'creates one for a node pool, changes only what is given, and removes it without touching a machine' {
        $machines = @(Get-PacketMachine np -StatePath $State).Name
        $pool = New-PacketMachineHealthCheck np pool -DeploymentName worker -UnhealthyCondition 'Ready=Unknown', 'memorypressure=true' -UnhealthyTimeout 90s -MaxUnhealthy 1 -StatePath $State
        $pool.Name | Should -Be 'np-pool'
        $pool.Selector | Should -Be 'cluster.k8s.io/cluster-name=np,set=node' -Because 'the first pool selects by cluster and set'
        $pool.UnhealthyConditions | Should -Be 'Ready=Unknown 1m30s, memorypressure=True 1m30s'
        ($pool.NodeStartupTimeout, $pool.MaxUnhealthy) | Should -Be @('10m', '1')

        $set = Set-PacketMachineHealthCheck np pool -MaxUnhealthy 50% -StatePath $State
        ($set.MaxUnhealthy, $set.UnhealthyConditions, $set.NodeStartupTimeout) | Should -Be @('50%', 'Ready=Unknown 1m30s, memorypressure=True 1m30s', '10m')
        Get-PacketMachineHealthCheck np -StatePath $State | Set-PacketMachineHealthCheck -NodeStartupTimeout 00:20:00 -StatePath $State | Out-Null
        (Get-PacketMachineHealthCheck np -StatePath $State).NodeStartupTimeout | Should -Be @('20m', '20m')
        (Set-PacketMachineHealthCheck np pool -UnhealthyTimeout 2m -StatePath $State).UnhealthyConditions | Should -Be 'Ready=Unknown 2m, memorypressure=True 2m'

        Get-PacketMachineHealthCheck np pool -StatePath $State | Remove-PacketMachineHealthCheck -Confirm:$false -StatePath $State
        (Get-PacketMachineHealthCheck np -StatePath $State).Name | Should -Be 'np-workers'
        @(Get-PacketMachine np -StatePath $State).Name | Should -Be $machines
        Set-PacketMachineHealthCheck np workers -NodeStartupTimeout 10m -StatePath $State | Out-Null
    }
}
