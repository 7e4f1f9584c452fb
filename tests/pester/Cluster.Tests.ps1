BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    $script:Work = New-TestWorkDirectory 'pc-cluster'
    # The demo's fast timings, without booting Kubernetes (the end-to-end test does that).
    $script:Sim = Start-TestSimulator $Work ((Get-Content -Raw (Join-Path $PSScriptRoot '../../build/simulator-fast.yaml')) -replace '(?s)^.*?kind: SimulatorConfig\s*', '') 11
    $script:Sim | Connect-PacketApi | Out-Null
    $script:State = Join-Path $Work 'state'
    $script:Key = [System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password
    $script:Headers = @{ 'X-Auth-Token' = $Key }
    function Get-SimDevices { (Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "projects/$($Sim.ProjectId)/devices?per_page=1000")) -Headers $Headers).devices }
    function Get-SimIps { @((Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "projects/$($Sim.ProjectId)/ips")) -Headers $Headers).ip_addresses | Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:demo' }) }
}
AfterAll {
    if ($script:Sim) { $script:Sim | Stop-PacketSimulator -Confirm:$false }
    Remove-Item $script:Work -Recurse -Force -ErrorAction Ignore
}

Describe 'Cluster lifecycle against the simulator' {
    It '-WhatIf prints the plan with prices and creates nothing' {
        $out = New-PacketCluster -Name demo -Metro sv -WorkerCount 2 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath $State -WhatIf 6>&1 | Out-String
        @(Get-SimDevices) | Should -HaveCount 0
        Join-Path $State demo | Should -Not -Exist
    }

    It 'rejects an unknown plan before creating anything' {
        { New-PacketCluster -Name bad -Metro sv -Plan x9.huge.x86 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath $State -ErrorAction Stop } |
            Should -Throw -ErrorId 'UnknownPlan,PacketCluster.Commands.NewPacketClusterCommand'
        @(Get-SimDevices) | Should -HaveCount 0
    }

    It 'rejects a bootstrap kubeconfig that is missing or whose cluster does not answer, before creating anything' {
        { New-PacketCluster -Name bad -Metro sv -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath $State -BootstrapKubeconfig (Join-Path $Work 'none') -ErrorAction Stop } |
            Should -Throw -ErrorId 'BootstrapKubeconfigNotFound,PacketCluster.Commands.NewPacketClusterCommand'
        # A cluster that is not there: a loopback port nobody listens on.
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
        $dead = Join-Path $Work 'dead.kubeconfig'
        Set-Content $dead @"
apiVersion: v1
kind: Config
clusters: [{name: dead, cluster: {server: 'https://127.0.0.1:$port', insecure-skip-tls-verify: true}}]
users: [{name: dead, user: {token: not-a-secret}}]
contexts: [{name: dead, context: {cluster: dead, user: dead}}]
current-context: dead
"@
        { New-PacketCluster -Name bad -Metro sv -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath $State -BootstrapKubeconfig $dead -ErrorAction Stop } |
            Should -Throw -ErrorId 'BootstrapClusterUnreachable,PacketCluster.Commands.NewPacketClusterCommand'
        @(Get-SimDevices) | Should -HaveCount 0
        Join-Path $State bad | Should -Not -Exist
    }

    It 'creates 1 control plane + 2 workers with an elastic IP endpoint' {
        $c = New-PacketCluster -Name demo -Metro sv -WorkerCount 2 -KubernetesVersion 1.35.0 -OperatingSystem ubuntu_22_04 -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 120 -ProvisionOnly
        $c | Should -BeOfType ([PacketCluster.Models.ClusterApi.Cluster])
        $c.Status.ApiEndpoints[0].Host | Should -Match '^127\.'
        $c.Status.ApiEndpoints[0].Port | Should -Be 6443
        $devices = @(Get-SimDevices | Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:demo' })
        $devices | Should -HaveCount 3
        $machines = Get-PacketCluster demo -StatePath $State | Get-PacketMachine -StatePath $State
        $machines | Should -HaveCount 3
        $machines | ForEach-Object { $_.Status.Phase | Should -BeIn 'Provisioned', 'Running'; $_.Spec.ProviderID | Should -Match '^packet://' }
        (Get-PacketCluster -StatePath $State).Name | Should -Contain 'demo'
    }

    It 'running it again resumes without a second device' {
        New-PacketCluster -Name demo -Metro sv -WorkerCount 2 -KubernetesVersion 1.35.0 -OperatingSystem ubuntu_22_04 -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 60 -ProvisionOnly | Out-Null
        @(Get-SimDevices | Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:demo' }) | Should -HaveCount 3
    }

    It 'running it again with another spec stops at once naming the differences and the cmdlets, and creates nothing' {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        $err = $null
        try { New-PacketCluster -Name demo -Metro da -WorkerCount 5 -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 60 -ProvisionOnly -Confirm:$false -ErrorAction Stop }
        catch { $err = $_ }
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 20
        $err.FullyQualifiedErrorId | Should -Be 'ClusterDefinitionDiffers,PacketCluster.Commands.NewPacketClusterCommand'
        $err.Exception.Message | Should -Match 'Metro: recorded sv, requested da'
        $err.Exception.Message | Should -Match 'WorkerCount: recorded 2, requested 5 - Set-PacketMachineDeployment demo -Replicas 5'
        # Only what was typed is compared: the quick form's defaults (plan, OS, version) say nothing about a cluster that exists.
        $err.Exception.Message | Should -Not -Match 'OperatingSystem|KubernetesVersion|Plan:'
        @(Get-SimDevices | Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:demo' }) | Should -HaveCount 3
        (Get-PacketCluster demo -StatePath $State).Spec.ProviderSpec.Value.Metro | Should -Be 'sv'
    }

    It 'running it again with only the name resumes what is recorded (2 workers), without waiting for the default 1' {
        # -WhatIf writes to the host: read it from a fresh pwsh connected through the environment.
        $out = Invoke-FreshPwsh "Import-Module '$ModuleManifest'; `$env:PACKET_API_KEY = '$Key'; `$env:PACKET_API_URL = '$($Sim.Endpoint)'; `$env:PACKET_PROJECT_ID = '$($Sim.ProjectId)'; New-PacketCluster -Name demo -StatePath '$State' -WhatIf" | Out-String
        $out | Should -Match 'Resume creating cluster demo'
        # The recorded definition (metro sv, 2 workers, ubuntu_22_04), not the quick form's defaults (facility ewr1, 1 worker, ubuntu_24_04).
        $out | Should -Match 'demo-worker-1 \(worker\) c3.small.x86 ubuntu_22_04 in metro sv'
        $out | Should -Not -Match 'ewr1|ubuntu_24_04'
        New-PacketCluster -Name demo -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 60 -ProvisionOnly | Out-Null
        @(Get-SimDevices | Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:demo' }) | Should -HaveCount 3
    }

    It 'writes and merges an admin kubeconfig for the endpoint' {
        $path = Join-Path $State 'demo.kubeconfig'
        Get-PacketKubeconfig demo -StatePath $State -Path $path
        (Get-Item $path).UnixFileMode | Should -Be ([IO.UnixFileMode]'UserRead, UserWrite')
        $yaml = Get-Content $path -Raw
        $yaml | Should -Match 'server: https://127\.[0-9.]+:6443'
        $yaml | Should -Match 'kubernetes-admin@demo'
        # An existing file is never replaced by accident; -Force replaces it.
        Set-Content $path 'mine'
        { Get-PacketKubeconfig demo -StatePath $State -Path $path -ErrorAction Stop } | Should -Throw -ErrorId 'KubeconfigFileExists,PacketCluster.Commands.GetPacketKubeconfigCommand'
        Get-Content $path -Raw | Should -Be "mine`n"
        Get-PacketKubeconfig demo -StatePath $State -Path $path -Force
        Get-Content $path -Raw | Should -Match 'kubernetes-admin@demo'
        # Returned as text, it comes with a warning: it holds the admin key.
        $text = Get-PacketKubeconfig demo -StatePath $State -WarningVariable warned -WarningAction SilentlyContinue
        $text | Should -Match 'client-key-data'
        "$warned" | Should -Match 'private key'
        $env:KUBECONFIG = Join-Path $State 'merged-config'
        try {
            Get-PacketCluster demo -StatePath $State | Get-PacketKubeconfig -StatePath $State -Merge
            (Get-Content $env:KUBECONFIG -Raw) | Should -Match 'current-context: kubernetes-admin@demo'
        } finally { Remove-Item Env:KUBECONFIG }
    }

    It 'Add-PacketMachine adds workers through the MachineDeployment' {
        $added = Get-PacketCluster demo -StatePath $State | Add-PacketMachine -Role Worker -Count 2 -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 120
        $added | Should -HaveCount 2
        $added | ForEach-Object { $_.Status.Phase | Should -BeIn 'Provisioned', 'Running' }
        @(Get-SimDevices | Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:demo' -and $_.state -ne 'deprovisioning' }) | Should -HaveCount 5
    }

    It 'Add-PacketMachine -Role ControlPlane adds a control plane that joins (and -WhatIf adds nothing)' {
        $live = { @(Get-SimDevices | Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:demo' -and $_.state -ne 'deprovisioning' }) }
        Add-PacketMachine -ClusterName demo -Role ControlPlane -StatePath $State -WhatIf
        @(Get-PacketMachine demo -StatePath $State) | Should -HaveCount 5
        (& $live) | Should -HaveCount 5
        { Add-PacketMachine -ClusterName demo -Role ControlPlane -DeploymentName demo-worker -StatePath $State -ErrorAction Stop } |
            Should -Throw -ErrorId 'DeploymentNameWithControlPlane,PacketCluster.Commands.AddPacketMachineCommand'

        $added = Get-PacketCluster demo -StatePath $State |
            Add-PacketMachine -Role ControlPlane -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 120 -WarningVariable w -WarningAction SilentlyContinue
        $added | Should -HaveCount 1
        $added | Should -BeOfType ([PacketCluster.Models.ClusterApi.Machine])
        $added.Name | Should -Be 'demo-control-plane-1'
        $added.IsControlPlane | Should -BeTrue
        $added.Status.Phase | Should -BeIn 'Provisioned', 'Running'
        ($w -join "`n") | Should -Match '2 control planes'
        (& $live) | Should -HaveCount 6
        $device = (& $live) | Where-Object { "packet://$($_.id)" -eq $added.Spec.ProviderID }
        $userdata = (Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "devices/$($device.id)/userdata")) -Headers $Headers).userdata
        $userdata | Should -Match 'kubeadm join --config'
        $userdata | Should -Not -Match 'kubeadm init'
        $userdata | Should -Match 'controlPlane:'
        $endpoint = (Get-PacketCluster demo -StatePath $State).Status.ApiEndpoints[0].Host
        @($device.ip_addresses.address) | Should -Not -Contain $endpoint

        # Removed again, so the rest of the lifecycle sees one control plane as before.
        $added | Remove-PacketMachine -StatePath $State -Force -PollIntervalSeconds 0.2 -TimeoutSeconds 120
        (& $live) | Should -HaveCount 5
        (Get-PacketMachine demo -StatePath $State).Name | Should -Not -Contain 'demo-control-plane-1'
    }

    It 'Remove-PacketMachine removes one worker for good and refuses the last control plane' {
        $victim = Get-PacketMachine demo -StatePath $State | Where-Object { -not $_.IsControlPlane } | Select-Object -First 1
        $victim | Remove-PacketMachine -StatePath $State -Force -PollIntervalSeconds 0.2 -TimeoutSeconds 120
        (Get-PacketMachine demo -StatePath $State).Name | Should -Not -Contain $victim.Name
        @(Get-PacketMachine demo -StatePath $State) | Should -HaveCount 4
        @(Get-SimDevices | Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:demo' -and $_.state -ne 'deprovisioning' }) | Should -HaveCount 4
        { Remove-PacketMachine -ClusterName demo -Name demo-control-plane-0 -StatePath $State -Force -ErrorAction Stop } | Should -Throw -ErrorId 'LastControlPlane,PacketCluster.Commands.RemovePacketMachineCommand'
    }

    It 'Set-PacketMachineDeployment scales back to 2 and rolls the workers to another version' {
        $md = Set-PacketMachineDeployment -ClusterName demo -Replicas 2 -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 120
        $md.Spec.Replicas | Should -Be 2
        @(Get-PacketMachine demo -StatePath $State | Where-Object { -not $_.IsControlPlane }) | Should -HaveCount 2
        { Set-PacketMachineDeployment -ClusterName demo -KubernetesVersion 1.35.9 -StatePath $State -ErrorAction Stop } | Should -Throw -ErrorId 'MachineConfigNotFound,PacketCluster.Commands.SetPacketMachineDeploymentCommand'
        { Set-PacketMachineDeployment -ClusterName demo -KubernetesVersion 1.36.0 -StatePath $State -ErrorAction Stop } | Should -Throw -ErrorId 'VersionSkew,PacketCluster.Commands.SetPacketMachineDeploymentCommand'
        $before = (Get-PacketMachine demo -StatePath $State | Where-Object { -not $_.IsControlPlane }).Name
        $script:Deployment = Get-PacketCluster demo -StatePath $State | Set-PacketMachineDeployment -KubernetesVersion 1.34.0 -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 180
        $workers = @(Get-PacketMachine demo -StatePath $State | Where-Object { -not $_.IsControlPlane })
        $workers | Should -HaveCount 2
        $workers | ForEach-Object { $_.Spec.Versions.Kubelet | Should -Be '1.34.0'; $_.Name | Should -Not -BeIn $before }
        @(Get-SimDevices | Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:demo' -and $_.state -ne 'deprovisioning' }) | Should -HaveCount 3
    }

    It 'machines, clusters and deployments filter, group, export and convert by what their tables show' {
        $machines = Get-PacketMachine demo -StatePath $State
        @($machines | Where-Object Role -eq Worker) | Should -HaveCount 2
        @($machines | Where-Object Role -eq ControlPlane) | Should -HaveCount 1
        ($machines | Group-Object Role | Sort-Object Name).Name | Should -Be @('ControlPlane', 'Worker')
        ($machines | Where-Object Role -eq Worker | Sort-Object Version -Unique).Version | Should -Be '1.34.0'
        foreach ($m in $machines) {
            $m.Phase | Should -BeIn 'Provisioned', 'Running'
            $m.Address | Should -Match '^127\.'
            $m.Plan | Should -Be 'c3.small.x86'
            $m.Location | Should -Be 'sv'
            $m.DeviceId | Should -Not -BeNullOrEmpty
        }
        @($machines | Where-Object EIP) | Should -HaveCount 1 -Because 'the one control plane holds the elastic IP'
        $csv = Join-Path $Work 'machines.csv'
        $machines | Export-Csv $csv
        (Import-Csv $csv | Where-Object Role -eq Worker | Sort-Object Name).Name | Should -Be ($machines | Where-Object Role -eq Worker | Sort-Object Name).Name
        $cluster = Get-PacketCluster demo -StatePath $State
        ($cluster.Phase, $cluster.Location, $cluster.Project) | Should -Be @('Provisioned', 'sv', $Sim.ProjectId)
        $cluster.Endpoint | Should -Match '^127\.[0-9.]+:6443$'
        $Deployment.Replicas, $Deployment.Version, $Deployment.Role | Should -Be @(2, '1.34.0', 'Worker')
        foreach ($o in $machines[0], $cluster, $Deployment) {
            $json = $o | ConvertTo-Json -WarningVariable truncated -WarningAction SilentlyContinue
            $truncated | Should -BeNullOrEmpty -Because "a $($o.Kind) fits ConvertTo-Json's default depth"
            $json | Should -Not -Match 'PacketCluster\.Models\.'
            ($o | Format-List * | Out-String -Width 400) | Should -Not -Match 'PacketCluster\.Models\.'
        }
        ($machines[0] | ConvertTo-Json | ConvertFrom-Json).Address | Should -Be $machines[0].Address
        ($cluster | ConvertTo-Json | ConvertFrom-Json).Endpoint | Should -Be $cluster.Endpoint
    }

    It 'names pipe to Get-PacketCluster by value, and a device to Get-PacketMachine gives its machine alone' {
        ('demo' | Get-PacketCluster -StatePath $State).Name | Should -Be 'demo'
        @('demo', 'demo' | Get-PacketCluster -StatePath $State) | Should -HaveCount 2
        $devices = @(Get-PacketDevice -ClusterName demo)
        ($devices.Role | Sort-Object -Unique) | Should -Be @('ControlPlane', 'Worker')
        $device = $devices | Where-Object { $_.Role -eq 'Worker' -and $_.State -eq 'active' } | Select-Object -First 1
        $machine = @($device | Get-PacketMachine -StatePath $State)
        $machine | Should -HaveCount 1
        $machine[0].Name | Should -Be $device.Hostname
        $machine[0].DeviceId | Should -Be $device.Id
    }

    It 'completes machine and cluster names from the state folder, with tooltips that say what they are' {
        $complete = { param($line) (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches }
        $workers = (Get-PacketMachine demo -StatePath $State -Role Worker).Name | Sort-Object
        $offered = & $complete "Get-PacketMachine -ClusterName demo -StatePath '$State' -MachineName demo-w"
        @($offered.CompletionText) | Should -Be @($workers)
        $offered[0].ToolTip | Should -Match '^Worker of demo: (Provisioned|Running), Kubernetes 1\.34\.0, c3\.small\.x86, sv, 127\.'
        @((& $complete "Remove-PacketMachine -ClusterName demo -StatePath '$State' -Name demo-c").CompletionText) | Should -Be 'demo-control-plane-0'
        (& $complete "Get-PacketCluster -StatePath '$State' -Name de").ToolTip | Should -Match '^cluster demo: Provisioned, in sv, endpoint 127\.'
        $saved = $env:PACKETCLUSTER_HOME
        try {
            $env:PACKETCLUSTER_HOME = $State
            @((& $complete 'Get-PacketDevice -ClusterName de').CompletionText) | Should -Be 'demo'
        } finally { $env:PACKETCLUSTER_HOME = $saved }
        # Catalogue values say what they are: a plan its price, a metro its city.
        (& $complete 'New-PacketCluster -Name x -Metro sv -Plan c3.sm').ToolTip | Should -Match 'c3\.small\.x86: [0-9.]+ USD/hour'
        (& $complete 'New-PacketCluster -Name x -Metro s' | Where-Object CompletionText -eq 'sv').ToolTip | Should -Match '^metro sv: \w'
    }

    It '-AsJob runs the create in a background job whose output is the cluster' {
        $job = New-PacketCluster -Name jobbed -Metro sv -WorkerCount 0 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 120 -ProvisionOnly -AsJob
        $job | Should -BeOfType ([System.Management.Automation.Job])
        $c = $job | Receive-Job -Wait -AutoRemoveJob
        $c.Name | Should -Be 'jobbed'
        $c.Status.Phase | Should -Be 'Provisioned'
        Remove-PacketCluster jobbed -StatePath $State -Force -PollIntervalSeconds 0.2
        Join-Path $State jobbed | Should -Not -Exist
    }

    It 'Wait-PacketCluster waits for a -NoWait create (Provisioned, a condition), says what is pending at its timeout, and runs as a job' {
        New-PacketCluster -Name waiter -Metro sv -WorkerCount 1 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath $State -NoWait -ProvisionOnly | Out-Null
        $c = Wait-PacketCluster waiter -Condition Provisioned -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 120
        $c | Should -BeOfType ([PacketCluster.Models.ClusterApi.Cluster])
        (Get-PacketMachine waiter -StatePath $State).Phase | ForEach-Object { $_ | Should -BeIn 'Provisioned', 'Running' }
        ('waiter' | Wait-PacketCluster -Condition EndpointReady -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 30).Endpoint | Should -Match '^127\.'
        # Booting is off: no API server ever answers, so Ready is never reached; the timeout says what is pending.
        $watch = [Diagnostics.Stopwatch]::StartNew()
        try { Wait-PacketCluster waiter -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 3 -ErrorAction Stop; $e = $null } catch { $e = $_ }
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 60
        $e.FullyQualifiedErrorId | Should -Be 'ClusterApiNotAnswering,PacketCluster.Commands.WaitPacketClusterCommand'
        $e.Exception.Message | Should -Match "API server of cluster 'waiter' did not answer"
        $e.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        { Wait-PacketCluster nope -StatePath $State -ErrorAction Stop } | Should -Throw -ErrorId 'ClusterNotFound,PacketCluster.Commands.WaitPacketClusterCommand'
        # One control plane: the elastic IP's health is never reported, so waiting for it is refused at once, not timed out.
        { Wait-PacketCluster waiter -Condition EndpointHealthy -StatePath $State -TimeoutSeconds 600 -ErrorAction Stop } | Should -Throw -ErrorId 'ConditionNotReported,PacketCluster.Commands.WaitPacketClusterCommand'

        # -AsJob on the long-running day-2 commands: the job's output is what the command returns.
        $job = Wait-PacketCluster waiter -Condition Provisioned -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 60 -AsJob
        $job | Should -BeOfType ([System.Management.Automation.Job])
        ($job | Receive-Job -Wait -AutoRemoveJob).Name | Should -Be 'waiter'
        $added = Add-PacketMachine -ClusterName waiter -Role Worker -Count 2 -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 120 -AsJob | Receive-Job -Wait -AutoRemoveJob
        @($added) | Should -HaveCount 2
        $added | ForEach-Object { $_ | Should -BeOfType ([PacketCluster.Models.ClusterApi.Machine]) }
        $job = Set-PacketMachineDeployment -ClusterName waiter -Replicas 1 -StatePath $State -PollIntervalSeconds 0.2 -TimeoutSeconds 120 -AsJob
        $job | Wait-Job -Timeout 150 | Out-Null
        $job.State | Should -Be 'Completed'
        ($job | Receive-Job -AutoRemoveJob -Wait).Replicas | Should -Be 1
        $victim = Get-PacketMachine waiter -StatePath $State -Role Worker
        $out = $victim | Remove-PacketMachine -StatePath $State -Force -PollIntervalSeconds 0.2 -TimeoutSeconds 120 -AsJob | Receive-Job -Wait -AutoRemoveJob
        $out | Should -BeNullOrEmpty
        @(Get-PacketMachine waiter -StatePath $State -Role Worker) | Should -HaveCount 0
        Remove-PacketCluster waiter -StatePath $State -Force -PollIntervalSeconds 0.2
    }

    It 'Remove-PacketCluster of a cluster that does not exist is ClusterNotFound, as Get-PacketCluster says, and deletes nothing' {
        $before = @(Get-SimDevices).Count
        Remove-PacketCluster nope -StatePath $State -Force -ErrorVariable failed -ErrorAction SilentlyContinue
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'ClusterNotFound,*'
        $failed[0].Exception.Message | Should -Match "No cluster 'nope'"
        $failed[0].ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        @(Get-SimDevices).Count | Should -Be $before
    }

    It 'Remove-PacketCluster waits until no device is left (deprovisioning included), removes the kubeconfig entries it matches by CA, and -PassThru reports it' {
        $kc = Join-Path $Work 'remove.kubeconfig'
        Get-PacketKubeconfig demo -StatePath $State -Path $kc -Force
        # Another cluster's entry in the same file (another CA): never ours to remove.
        $merged = (Get-Content $kc -Raw) -replace '(?m)^clusters:\r?\n', "clusters:`n- name: other`n  cluster: {server: 'https://127.0.0.9:6443', certificate-authority-data: T1RIRVI=}`n"
        Set-Content $kc $merged
        $report = Get-PacketCluster demo -StatePath $State | Remove-PacketCluster -StatePath $State -Force -PollIntervalSeconds 0.2 -TimeoutSeconds 120 -KubeconfigPath $kc -PassThru
        $report.ClusterName | Should -Be 'demo'
        $report.DevicesDeleted | Should -Be 3
        $report.KubeconfigEntriesRemoved | Should -Contain 'cluster demo'
        $left = Get-Content $kc -Raw
        $left | Should -Not -Match 'name: demo'
        $left | Should -Match 'name: other'
        $left | Should -Not -Match 'current-context: \S'
        @(Get-SimDevices | Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:demo' }) | Should -HaveCount 0
        @(Get-SimIps) | Should -HaveCount 0
        Join-Path $State demo | Should -Not -Exist
    }
}
