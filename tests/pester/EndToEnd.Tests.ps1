# The whole flow against the simulator with booting on: real kube-apiserver/etcd/kube-controller-manager per control
# plane, simulated kubelets joining with our tokens, the pivot, and the manager (Start-PacketClusterManager in a
# background process, as the in-cluster Deployment would run) keeping the cluster. One cluster for the whole file:
# each step builds on the previous one, as a user's session would.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    $script:Work = New-TestWorkDirectory 'pc-e2e'
    $script:Sim = Start-TestSimulator $Work @"
timings:
  queued: {duration: 200ms}
  provisioning: {duration: 2s}
  deprovisioning: {duration: 300ms}
boot: {enabled: true}
"@ 21
    $script:Sim | Connect-PacketApi | Out-Null
    $script:State = Join-Path $Work 'state'
    $script:Kubeconfig = Join-Path $Work 'e2e.kubeconfig'
    $script:Key = [System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password
    $script:Headers = @{ 'X-Auth-Token' = $Key }
    $script:Manager = $null

    function Get-ClusterDevices { Get-SimClusterDevices $Sim e2e }
    function Invoke-Kubectl { $out = & kubectl --kubeconfig $Kubeconfig @args 2>&1; if ($LASTEXITCODE -ne 0) { throw "kubectl $args failed: $out" }; $out }
    function Get-ReadyNodes {
        (Invoke-Kubectl get nodes -o json | ConvertFrom-Json).items |
            Where-Object { ($_.status.conditions | Where-Object type -eq 'Ready').status -eq 'True' }
    }
}
AfterAll {
    if ($script:Manager -and -not $script:Manager.HasExited) { $script:Manager.Kill($true); $script:Manager.WaitForExit(10000) | Out-Null }
    if ($script:Sim) { $script:Sim | Stop-PacketSimulator -Confirm:$false }
    if (-not $env:PACKETCLUSTER_KEEP_TEST_FILES) { Remove-Item $script:Work -Recurse -Force -ErrorAction Ignore }
}

Describe 'End to end: create, pivot, manage, delete' {
    It 'New-PacketCluster brings up 3 Ready nodes with our providerIDs and pivots the objects into the cluster' {
        $cluster = New-PacketCluster -Name e2e -Metro sv -WorkerCount 2 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath $State `
            -KubeconfigPath $Kubeconfig -PollIntervalSeconds 0.5 -TimeoutSeconds 300
        $cluster.Name | Should -Be 'e2e'
        (Get-Item $Kubeconfig).UnixMode | Should -Be '-rw-------'

        $devices = Get-ClusterDevices
        $devices | Should -HaveCount 3
        $nodes = @(Get-ReadyNodes)
        $nodes | Should -HaveCount 3
        @($nodes.spec.providerID | Sort-Object) | Should -Be @($devices | ForEach-Object { "packet://$($_.id)" } | Sort-Object)

        # After the pivot the objects and Secrets live in the workload cluster; the folder keeps only its kubeconfig.
        (Invoke-Kubectl get clusters.cluster.k8s.io -o name) | Should -Be 'cluster.cluster.k8s.io/e2e'
        @(Invoke-Kubectl get machines.cluster.k8s.io -o name) | Should -HaveCount 3
        Invoke-Kubectl get secret e2e-ca -o name | Should -Be 'secret/e2e-ca'
        Test-Path (Join-Path $State 'e2e/management.kubeconfig') | Should -BeTrue
        @(Get-ChildItem (Join-Path $State 'e2e') -Recurse -File -Filter *.yaml) | Should -HaveCount 0
        # The add-ons were applied.
        Invoke-Kubectl -n kube-system get deployment cloud-provider-equinix-metal -o name | Should -Be 'deployment.apps/cloud-provider-equinix-metal'
        Invoke-Kubectl -n kube-system get daemonset csi-packet-node -o name | Should -Be 'daemonset.apps/csi-packet-node'
        # The cmdlets find the cluster through the pivot.
        @(Get-PacketMachine e2e -StatePath $State | Where-Object { $_.Status.Phase -eq 'Running' }) | Should -HaveCount 3
    }

    It 'with the manager running, Set-PacketMachineDeployment scales to 3 and a kubectl edit back to 1' {
        $script:Manager = Start-TestManager $Sim $ModuleManifest $Kubeconfig "$Work/manager.log"
        Wait-Until { Invoke-Kubectl -n cluster-api-provider-packet-system get lease packetcluster-manager -o jsonpath='{.spec.holderIdentity}' } 'the manager takes the Lease' 60

        Set-PacketMachineDeployment -ClusterName e2e -Replicas 3 -StatePath $State -PollIntervalSeconds 0.5 -TimeoutSeconds 180 | Out-Null
        Wait-Until { @(Get-ReadyNodes).Count -eq 4 } '4 Ready nodes'
        @(Get-ClusterDevices) | Should -HaveCount 4

        $deployment = (Invoke-Kubectl get machinedeployments.cluster.k8s.io -o name)
        Invoke-Kubectl patch $deployment --type merge -p '{"spec":{"replicas":1}}' | Out-Null
        Wait-Until { @(Get-ClusterDevices).Count -eq 2 -and @(Get-ReadyNodes).Count -eq 2 -and @(Invoke-Kubectl get nodes -o name).Count -eq 2 } 'back to 1 worker: 2 devices, 2 nodes'
    }

    It 'replaces a worker whose device is deleted behind our back, and the replacement joins' {
        $worker = (Invoke-Kubectl get machines.cluster.k8s.io -o json | ConvertFrom-Json).items | Where-Object { $_.metadata.name -notlike '*control-plane*' }
        $lost = $worker.spec.providerID -replace '^packet://', ''
        Invoke-RestMethod -Method Delete -Uri ([Uri]::new($Sim.Endpoint, "devices/$lost")) -Headers $Headers | Out-Null
        Wait-Until {
            $nodes = @(Get-ReadyNodes)
            $devices = @(Get-ClusterDevices)
            $devices.Count -eq 2 -and $devices.id -notcontains $lost -and $nodes.Count -eq 2 -and
                @($nodes.spec.providerID | Sort-Object) -join ',' -eq (@($devices | ForEach-Object { "packet://$($_.id)" } | Sort-Object) -join ',')
        } 'a replacement device joined as a Ready node' 180
    }

    It 'a worker given a wrong CA pin never joins: its console shows kubeadm refusing and its Machine says why' {
        $known = @(Get-ClusterDevices).id
        $deployment = (Invoke-Kubectl get machinedeployments.cluster.k8s.io -o name)
        Invoke-Kubectl patch $deployment --type merge -p '{"spec":{"replicas":2}}' | Out-Null
        Wait-Until { $script:NewDevice = @(Get-ClusterDevices | Where-Object id -notin $known)[0]; $null -ne $script:NewDevice } 'the new worker device' 60
        $new = $script:NewDevice
        # Its userdata is rewritten to pin another CA before it boots (it boots when active; provisioning takes 2 s here).
        $userdata = (Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "devices/$($new.id)/userdata")) -Headers $Headers).userdata
        $wrongPin = 'sha256:' + ('0' * 64)
        $body = @{ userdata = ($userdata -replace 'sha256:[0-9a-f]{64}', $wrongPin) } | ConvertTo-Json
        $updated = Invoke-RestMethod -Method Put -Uri ([Uri]::new($Sim.Endpoint, "devices/$($new.id)")) -Headers $Headers -Body $body -ContentType 'application/json'
        $updated.state | Should -Not -Be 'active' -Because 'the userdata must change before the device boots'

        Wait-Until {
            $script:PinnedMachine = Get-PacketMachine e2e -StatePath $State | Where-Object { $_.Spec.ProviderID -eq "packet://$($new.id)" }
            ($script:PinnedMachine.Status.Conditions | Where-Object Type -eq 'NodeReady').Reason -eq 'CaPinMismatch'
        } 'the Machine says CaPinMismatch' 120
        $machine = $script:PinnedMachine
        $condition = $machine.Status.Conditions | Where-Object Type -eq 'NodeReady'
        $condition.Message | Should -Match ([regex]::Escape($wrongPin))
        $machine.Status.Phase | Should -Be 'Provisioned'
        # The engine reads the pin from the userdata as soon as the device is active; the device's own boot reaches
        # kubeadm's refusal a little later (seen: the condition first, the console still empty).
        Wait-Until {
            $script:PinnedConsole = Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "/_simulator/devices/$($new.id)/console")) -Headers $Headers
            $script:PinnedConsole -match 'none of the public keys'
        } 'the console shows kubeadm refusing the CA' 60
        $console = $script:PinnedConsole
        $token = [regex]::Match($userdata, 'token: "?([a-z0-9]{6}\.[a-z0-9]{16})').Groups[1].Value
        $token | Should -Not -BeNullOrEmpty
        $console | Should -Not -Match ([regex]::Escape($token)) -Because 'the console never shows the token secret'
        $condition.Message | Should -Not -Match ([regex]::Escape($token))
        @(Invoke-Kubectl get nodes -o name) | Should -HaveCount 2 -Because 'it never joined'

        Invoke-Kubectl patch $deployment --type merge -p '{"spec":{"replicas":1}}' | Out-Null
        Wait-Until { @(Get-ClusterDevices).Count -eq 2 } 'back to 1 worker' 60
    }

    It 'New-PacketCluster -BootstrapKubeconfig keeps a second cluster in this one, whose manager builds it; Remove-PacketCluster cleans both places' {
        # The manager started above leads in this cluster, so the command records the objects here and waits for it.
        $out = New-PacketCluster -Name e2eb -Metro sv -WorkerCount 0 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -StatePath $State `
            -BootstrapKubeconfig $Kubeconfig -NoPivot -NoKubeconfig -PollIntervalSeconds 0.5 -TimeoutSeconds 240 -Verbose 4>&1
        @($out | Where-Object { $_ -is [PacketCluster.Models.ClusterApi.Cluster] }).Name | Should -Be 'e2eb'
        @($out | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'holds .*packetcluster-manager: it reconciles, this command waits' }) |
            Should -HaveCount 1 -Because 'the manager already leading in the bootstrap cluster does the work'
        @(Invoke-Kubectl get clusters.cluster.k8s.io -o name | Sort-Object) | Should -Be @('cluster.cluster.k8s.io/e2e', 'cluster.cluster.k8s.io/e2eb')
        (Get-Content (Join-Path $State 'e2eb/management.kubeconfig') -Raw) | Should -Be (Get-Content $Kubeconfig -Raw)
        (Get-PacketMachine e2eb -StatePath $State).Status.Phase | Should -Be 'Running'

        Remove-PacketCluster e2eb -StatePath $State -Force -PollIntervalSeconds 0.5
        Invoke-Kubectl get clusters.cluster.k8s.io -o name | Should -Be 'cluster.cluster.k8s.io/e2e'
        Invoke-Kubectl get secrets -o name | Should -Not -Match 'e2eb-'
        @((Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "projects/$($Sim.ProjectId)/devices?per_page=1000")) -Headers $Headers).devices |
            Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:e2eb' -and $_.state -ne 'deprovisioning' }) | Should -HaveCount 0
        Test-Path (Join-Path $State 'e2eb') | Should -BeFalse
    }

    It 'Remove-PacketCluster from the pivoted state releases every device, the elastic IP and every simulator process' {
        $script:Manager.Kill($true); $script:Manager.WaitForExit(10000) | Out-Null
        Remove-PacketCluster e2e -StatePath $State -Force -PollIntervalSeconds 0.5
        Wait-Until { @(Get-ClusterDevices).Count -eq 0 } 'no device left' 60
        @((Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "projects/$($Sim.ProjectId)/ips")) -Headers $Headers).ip_addresses |
            Where-Object { $_.tags -contains 'cluster-api-provider-packet:cluster-id:e2e' }) | Should -HaveCount 0
        Test-Path (Join-Path $State 'e2e') | Should -BeFalse
        # The booted machines' etcd, kube-apiserver and kube-controller-manager were children of the simulator.
        Wait-Until { -not (& pgrep -P $Sim.ProcessId) } 'no process of a booted machine left' 60
    }
}
