# Highly available control planes end to end, booting on: three real kube-apiserver + stacked etcd members, the
# elastic IP moved by the manager when its holder dies, the lost control plane replaced, and a removal that would lose
# etcd quorum refused. One cluster for the whole file; each step builds on the previous one.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    $script:Work = New-TestWorkDirectory 'pc-ha'
    $script:Sim = Start-TestSimulator $Work @"
timings:
  queued: {duration: 200ms}
  provisioning: {duration: 2s}
  deprovisioning: {duration: 300ms}
  powerOff: {duration: 300ms}
  powerOn: {duration: 300ms}
boot: {enabled: true}
"@ 23
    $script:Sim | Connect-PacketApi | Out-Null
    $script:State = Join-Path $Work 'state'
    $script:Kubeconfig = Join-Path $Work 'ha.kubeconfig'
    $script:Key = [System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password
    $script:Headers = @{ 'X-Auth-Token' = $Key }
    $script:Manager = $null

    function Invoke-Packet([string] $Method, [string] $Path, $Body) {
        $arguments = @{ Method = $Method; Uri = [Uri]::new($Sim.Endpoint, $Path); Headers = $Headers }
        if ($Body) { $arguments.Body = ($Body | ConvertTo-Json); $arguments.ContentType = 'application/json' }
        Invoke-RestMethod @arguments
    }
    function Get-ClusterDevices { Get-SimClusterDevices $Sim ha }
    function Get-ControlPlaneDevices { @(Get-ClusterDevices | Where-Object { $_.hostname -like '*control-plane*' }) }
    # Not $d.ip_addresses.address: arrays have an Address() method, which member enumeration finds first.
    function Get-Addresses($Device) { @($Device.ip_addresses | ForEach-Object { $_.address }) }
    function Get-PublicIp($Device) { ($Device.ip_addresses | Where-Object { $_.public -and $_.address_family -eq 4 -and $_.management } | Select-Object -First 1).address }
    function Invoke-Kubectl { $out = & kubectl --kubeconfig $Kubeconfig --request-timeout=10s @args 2>&1; if ($LASTEXITCODE -ne 0) { throw "kubectl $args failed: $out" }; $out }
    function Get-ReadyNodes {
        (Invoke-Kubectl get nodes -o json | ConvertFrom-Json).items |
            Where-Object { ($_.status.conditions | Where-Object type -eq 'Ready').status -eq 'True' }
    }
    # etcdctl (Debian's etcd-client) with a client certificate minted by openssl from the cluster's etcd CA Secret.
    function Initialize-EtcdClient {
        $secret = Invoke-Kubectl get secret ha-etcd -o json | ConvertFrom-Json
        $dir = Join-Path $Work 'etcdctl'
        New-Item -ItemType Directory $dir -Force | Out-Null
        [IO.File]::WriteAllBytes("$dir/ca.crt", [Convert]::FromBase64String($secret.data.'tls.crt'))
        [IO.File]::WriteAllBytes("$dir/ca.key", [Convert]::FromBase64String($secret.data.'tls.key'))
        & openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/client.key" -subj '/CN=ha-test-etcdctl/O=system:masters' -out "$dir/client.csr" 2>&1 | Out-Null
        Set-Content "$dir/ext" 'extendedKeyUsage=clientAuth'
        & openssl x509 -req -in "$dir/client.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 1 -extfile "$dir/ext" -out "$dir/client.crt" 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 0
        $script:EtcdDir = $dir
    }
    function Invoke-Etcdctl([string[]] $Endpoints) {
        $env:ETCDCTL_API = '3'
        $out = & etcdctl --endpoints ($Endpoints -join ',') --cacert "$EtcdDir/ca.crt" --cert "$EtcdDir/client.crt" --key "$EtcdDir/client.key" --dial-timeout 3s --command-timeout 5s @args 2>&1
        if ($LASTEXITCODE -ne 0) { throw "etcdctl $args failed: $out" }
        $out
    }
    function Get-EtcdMembers { (Invoke-Etcdctl (Get-ControlPlaneDevices | ForEach-Object { "https://$(Get-PublicIp $_):2379" }) member list -w json | ConvertFrom-Json).members }
    function Get-HealthyMemberCount {
        $endpoints = @(Get-EtcdMembers | Where-Object name | ForEach-Object { $_.clientURLs[0] })
        $health = & etcdctl --endpoints ($endpoints -join ',') --cacert "$EtcdDir/ca.crt" --cert "$EtcdDir/client.crt" --key "$EtcdDir/client.key" --dial-timeout 3s --command-timeout 5s endpoint health -w json 2>$null | ConvertFrom-Json
        @($health | Where-Object health).Count
    }
}
AfterAll {
    if ($script:Probe) { $script:Probe | Stop-Job -PassThru | Remove-Job -Force }
    if ($script:Manager -and -not $script:Manager.HasExited) { $script:Manager.Kill($true); $script:Manager.WaitForExit(10000) | Out-Null }
    if ($env:PACKETCLUSTER_KEEP_TEST_FILES -and $script:Sim) {
        foreach ($device in @(Get-ClusterDevices)) {
            try { Invoke-Packet Get "/_simulator/devices/$($device.id)/console" | Set-Content (Join-Path $Work "console-$($device.hostname)-$($device.id).txt") } catch { }
        }
    }
    if ($script:Sim) { $script:Sim | Stop-PacketSimulator -Confirm:$false }
    if (-not $env:PACKETCLUSTER_KEEP_TEST_FILES) { Remove-Item $script:Work -Recurse -Force -ErrorAction Ignore }
}

Describe 'Highly available control planes' {
    It 'New-PacketCluster -ControlPlaneCount 3 makes one etcd cluster of three started members and 5 Ready nodes' {
        $cluster = New-PacketCluster -Name ha -Metro sv -ControlPlaneCount 3 -WorkerCount 2 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 `
            -StatePath $State -KubeconfigPath $Kubeconfig -PollIntervalSeconds 0.5 -TimeoutSeconds 420
        $cluster.Name | Should -Be 'ha'
        @(Get-ControlPlaneDevices) | Should -HaveCount 3
        Wait-Until { @(Get-ReadyNodes).Count -eq 5 } '5 Ready nodes' 120

        Initialize-EtcdClient
        $members = @(Get-EtcdMembers)
        $members | Should -HaveCount 3
        @($members | Where-Object name) | Should -HaveCount 3 -Because 'every member has started'
        @($members.name | Sort-Object) | Should -Be @(Get-PacketMachine ha -StatePath $State -Role ControlPlane | ForEach-Object Name | Sort-Object)
        @(Get-PacketMachine ha -StatePath $State -Role Worker) | Should -HaveCount 2
    }

    It 'with the manager running, the elastic IP moves off a deleted holder, the data survives, and the lost control plane is replaced' {
        $script:Manager = Start-TestManager $Sim $ModuleManifest $Kubeconfig "$Work/manager.log"
        Wait-Until { Invoke-Kubectl -n cluster-api-provider-packet-system get lease packetcluster-manager -o jsonpath='{.spec.holderIdentity}' } 'the manager takes the Lease' 60
        Wait-Until { @(Get-PacketMachine ha -StatePath $State -Role ControlPlane | Where-Object { ($_.Status.Conditions | Where-Object Type -eq 'EtcdMemberHealthy').Status -eq 'True' }).Count -eq 3 } 'every control plane reports a healthy etcd member' 60

        $items = foreach ($i in 1..200) { @{ apiVersion = 'v1'; kind = 'ConfigMap'; metadata = @{ name = "ha-$i"; namespace = 'default' }; data = @{ i = "$i" } } }
        Set-Content (Join-Path $Work 'cms.json') (@{ apiVersion = 'v1'; kind = 'List'; items = @($items) } | ConvertTo-Json -Depth 5)
        Invoke-Kubectl apply -f (Join-Path $Work 'cms.json') | Out-Null
        @(Invoke-Kubectl get configmaps -o name | Where-Object { $_ -like 'configmap/ha-*' }) | Should -HaveCount 200

        # A background probe through the elastic IP: failed requests, the longest gap, workers ever seen NotReady.
        $workers = @(Get-PacketMachine ha -StatePath $State -Role Worker).Name
        $script:Probe = Start-ThreadJob -ArgumentList $Kubeconfig, $workers -ScriptBlock {
            param($kubeconfig, $workers)
            $failures = 0; $longest = [TimeSpan]::Zero; $lastOk = [DateTime]::UtcNow; $notReady = @{}
            $deadline = [DateTime]::UtcNow.AddMinutes(8)
            while ([DateTime]::UtcNow -lt $deadline) {
                $json = & kubectl --kubeconfig $kubeconfig --request-timeout=3s get nodes -o json 2>$null
                if ($LASTEXITCODE -eq 0) {
                    $gap = [DateTime]::UtcNow - $lastOk; if ($gap -gt $longest) { $longest = $gap }
                    $lastOk = [DateTime]::UtcNow
                    foreach ($node in ($json | ConvertFrom-Json).items) {
                        if ($node.metadata.name -in $workers -and ($node.status.conditions | Where-Object type -eq 'Ready').status -ne 'True') { $notReady[$node.metadata.name] = $true }
                    }
                } else { $failures++ }
                [pscustomobject]@{ At = [DateTime]::UtcNow; Failures = $failures; LongestGap = $longest; NotReady = @($notReady.Keys) }
                Start-Sleep -Milliseconds 500
            }
        }

        $eip = ((Get-Content $Kubeconfig -Raw) | Select-String 'server: https://([0-9.]+):6443').Matches[0].Groups[1].Value
        $holder = Get-ControlPlaneDevices | Where-Object { (Get-Addresses $_) -contains $eip }
        $holder | Should -HaveCount 1
        $holderIp = Get-PublicIp $holder
        $lostAt = [DateTime]::UtcNow
        Invoke-Packet Delete "devices/$($holder.id)" | Out-Null
        # The old holder's API server stops answering (its processes stop), then the endpoint answers again elsewhere.
        Wait-Until { -not (Test-Connection -TargetName $holderIp -TcpPort 6443 -TimeoutSeconds 1 -Quiet) } 'the deleted holder stops answering' 60
        Wait-Until { Invoke-Kubectl get --raw /readyz } 'the API answers through the elastic IP again' 90
        $window = ([DateTime]::UtcNow - $lostAt).TotalSeconds
        Write-Host "failover window: $([Math]::Round($window, 1)) s (target 30 s)"
        $newHolder = Get-ControlPlaneDevices | Where-Object { (Get-Addresses $_) -contains $eip }
        $newHolder | Should -HaveCount 1
        $newHolder.id | Should -Not -Be $holder.id
        @(Invoke-Kubectl get configmaps -o name | Where-Object { $_ -like 'configmap/ha-*' }) | Should -HaveCount 200
        $failover = (Invoke-Kubectl get clusters.cluster.k8s.io ha -o json | ConvertFrom-Json).status.conditions | Where-Object type -eq 'EndpointFailover'
        $failover.reason | Should -Be 'Moved'
        $failover.message | Should -Match ([regex]::Escape($newHolder.hostname))
        $events = (Invoke-Kubectl get events --field-selector 'reason=EndpointMoved,involvedObject.name=ha' -o json | ConvertFrom-Json).items
        @($events | Where-Object { $_.involvedObject.kind -eq 'Cluster' -and $_.message -match [regex]::Escape($newHolder.hostname) }) | Should -Not -BeNullOrEmpty -Because 'every move is an Event on the Cluster'

        # The manager replaces the lost control plane: a new device joins, etcd is back to three healthy members.
        Wait-Until { $d = @(Get-ControlPlaneDevices); $d.Count -eq 3 -and $d.id -notcontains $holder.id -and @($d | Where-Object state -eq 'active').Count -eq 3 } 'a replacement control-plane device' 120
        Wait-Until { $m = @(Get-EtcdMembers); $m.Count -eq 3 -and @($m | Where-Object name).Count -eq 3 -and (Get-HealthyMemberCount) -eq 3 } 'three healthy etcd members again' 240
        @(Get-EtcdMembers | ForEach-Object { $_.peerURLs[0] }) | Should -Not -Contain "https://${holderIp}:2380"
        Wait-Until { @(Get-ReadyNodes).Count -eq 5 } '5 Ready nodes again' 120

        $report = $script:Probe | Receive-Job -Keep | Select-Object -Last 1
        Write-Host "probe through the elastic IP: $($report.Failures) failed requests, longest gap $([Math]::Round($report.LongestGap.TotalSeconds, 1)) s"
        $report.NotReady | Should -BeNullOrEmpty -Because 'workers joined through the elastic IP and stay Ready through the failover'
    }

    It 'refuses a control-plane removal that would lose etcd quorum before anything happens, and removes one that does not' {
        $controlPlanes = @(Get-PacketMachine ha -StatePath $State -Role ControlPlane)
        $controlPlanes | Should -HaveCount 3
        $eip = ((Get-Content $Kubeconfig -Raw) | Select-String 'server: https://([0-9.]+):6443').Matches[0].Groups[1].Value
        $devices = Get-ControlPlaneDevices
        $notHolders = @($devices | Where-Object { (Get-Addresses $_) -notcontains $eip })
        $off = $notHolders[0]
        $victim = ($controlPlanes | Where-Object { $_.Spec.ProviderID -eq "packet://$($notHolders[1].id)" }).Name
        Invoke-Packet Post "devices/$($off.id)/actions" @{ type = 'power_off' } | Out-Null
        Wait-Until { (Get-HealthyMemberCount) -eq 2 } 'the powered-off member is unhealthy' 60

        $failure = { Remove-PacketMachine -ClusterName ha -Name $victim -StatePath $State -Confirm:$false -ErrorAction Stop } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -BeLike 'WouldLoseQuorum*'
        $failure.Exception.Message | Should -Match 'would lose etcd quorum'
        @(Get-PacketMachine ha -StatePath $State -Role ControlPlane | Where-Object { $_.Metadata.DeletionTimestamp }) | Should -BeNullOrEmpty -Because 'nothing changed'
        @(Get-EtcdMembers) | Should -HaveCount 3

        Invoke-Packet Post "devices/$($off.id)/actions" @{ type = 'power_on' } | Out-Null
        Wait-Until { (Get-HealthyMemberCount) -eq 3 } 'the member is back' 120
        { Remove-PacketMachine nope-control-plane-9 -StatePath $State -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'MachineNotFound,PacketCluster.Commands.RemovePacketMachineCommand'
        Remove-PacketMachine $victim -StatePath $State -Confirm:$false -PollIntervalSeconds 0.5 -TimeoutSeconds 180   # the cluster is found from the name
        Wait-Until { @(Get-EtcdMembers).Count -eq 2 -and @(Get-ControlPlaneDevices).Count -eq 2 } 'the removed control plane left etcd and its device went' 120
        (Get-HealthyMemberCount) | Should -Be 2
        Invoke-Kubectl get configmap ha-1 -o name | Should -Be 'configmap/ha-1'
    }

    It 'Set-PacketControlPlane grows to 5 (an even step warns), shrinks to 3, refuses what it cannot do, and rolls to another plan one at a time' {
        (Get-ControlPlaneDevices) | Should -HaveCount 2
        { Set-PacketControlPlane ha -Plan no.such.plan -StatePath $State -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownPlan,PacketCluster.Commands.SetPacketControlPlaneCommand'
        { Set-PacketControlPlane ha -OperatingSystem no_such_os -StatePath $State -Confirm:$false -ErrorAction Stop } | Should -Throw -ErrorId 'MachineConfigNotFound,PacketCluster.Commands.SetPacketControlPlaneCommand'
        Set-PacketControlPlane ha -Replicas 5 -StatePath $State -WhatIf
        (Get-ControlPlaneDevices) | Should -HaveCount 2 -Because 'refusals and -WhatIf change nothing'

        $four = Set-PacketControlPlane ha -Replicas 4 -StatePath $State -PollIntervalSeconds 0.5 -TimeoutSeconds 300 -WarningVariable even -WarningAction SilentlyContinue
        $four | Should -HaveCount 4
        "$even" | Should -Match 'even count'
        $five = Set-PacketControlPlane ha -Replicas 5 -StatePath $State -PollIntervalSeconds 0.5 -TimeoutSeconds 300
        $five | Should -HaveCount 5
        Wait-Until { (Get-HealthyMemberCount) -eq 5 } 'five healthy etcd members' 120

        $eip = ((Get-Content $Kubeconfig -Raw) | Select-String 'server: https://([0-9.]+):6443').Matches[0].Groups[1].Value
        $holderBefore = (Get-ControlPlaneDevices | Where-Object { (Get-Addresses $_) -contains $eip }).id
        $three = Set-PacketControlPlane ha -Replicas 3 -StatePath $State -PollIntervalSeconds 0.5 -TimeoutSeconds 300
        $three | Should -HaveCount 3
        Wait-Until { @(Get-EtcdMembers).Count -eq 3 -and (Get-HealthyMemberCount) -eq 3 } 'three healthy etcd members after the scale-down' 120
        (Get-ControlPlaneDevices | Where-Object { (Get-Addresses $_) -contains $eip }).id | Should -Be $holderBefore -Because 'a scale-down keeps the elastic IP holder'

        # The roll: a probe through the elastic IP counts what users would see.
        $probe = Start-ThreadJob -ArgumentList $Kubeconfig -ScriptBlock {
            param($kubeconfig)
            $failures = 0; $total = 0; $longest = [TimeSpan]::Zero; $lastOk = [DateTime]::UtcNow
            $deadline = [DateTime]::UtcNow.AddMinutes(10)
            while ([DateTime]::UtcNow -lt $deadline) {
                & kubectl --kubeconfig $kubeconfig --request-timeout=3s get --raw /readyz 2>$null | Out-Null
                $total++
                if ($LASTEXITCODE -ne 0) { $failures++ }
                else { $gap = [DateTime]::UtcNow - $lastOk; if ($gap -gt $longest) { $longest = $gap }; $lastOk = [DateTime]::UtcNow }
                [pscustomobject]@{ Total = $total; Failures = $failures; LongestGap = $longest }
                Start-Sleep -Milliseconds 500
            }
        }
        $rollStarted = [DateTime]::UtcNow
        try {
            $rolled = Get-PacketCluster ha -StatePath $State | Set-PacketControlPlane -Plan m3.small.x86 -StatePath $State -PollIntervalSeconds 0.5 -TimeoutSeconds 600
        } finally {
            $report = $probe | Stop-Job -PassThru | Receive-Job | Select-Object -Last 1
            $probe | Remove-Job -Force
        }
        Write-Host "rolling 3 control planes to m3.small.x86: $($report.Failures) of $($report.Total) /readyz probes through the elastic IP failed, longest gap $([Math]::Round($report.LongestGap.TotalSeconds, 1)) s"
        $rolled | Should -HaveCount 3
        @($rolled | Where-Object { $_.Spec.ProviderSpec.Value.MachineType -eq 'm3.small.x86' }) | Should -HaveCount 3
        @(Get-ControlPlaneDevices | Where-Object plan -ne $null | ForEach-Object { $_.plan.slug } | Sort-Object -Unique) | Should -Be @('m3.small.x86')
        Wait-Until { @(Get-EtcdMembers).Count -eq 3 -and (Get-HealthyMemberCount) -eq 3 } 'three healthy etcd members after the roll' 120
        Invoke-Kubectl get configmap ha-1 -o name | Should -Be 'configmap/ha-1'
        # The workers joined through the elastic IP and never noticed: Ready, and not a transition since the roll began.
        $workers = @(Get-PacketMachine ha -StatePath $State -Role Worker).Name
        $workers | Should -HaveCount 2
        foreach ($node in (Invoke-Kubectl get nodes -o json | ConvertFrom-Json).items | Where-Object { $_.metadata.name -in $workers }) {
            $ready = $node.status.conditions | Where-Object type -eq 'Ready'
            $ready.status | Should -Be 'True'
            ([DateTime]$ready.lastTransitionTime).ToUniversalTime() | Should -BeLessThan $rollStarted -Because "$($node.metadata.name) stayed Ready through the roll"
        }
        $report.Failures | Should -BeLessThan ([Math]::Max(10, $report.Total / 5)) -Because 'the endpoint moves in seconds, not minutes'
    }
    It 'a control plane powered off goes Unknown by the real node lifecycle controller, and a control-plane health check replaces it while etcd keeps quorum' {
        $check = New-PacketMachineHealthCheck ha -Role ControlPlane -UnhealthyTimeout 5s -MaxUnhealthy 1 -StatePath $State -WarningVariable said -WarningAction SilentlyContinue
        ($check.Name, $check.Selector) | Should -Be @('ha-control-plane', 'cluster.k8s.io/cluster-name=ha,set=master')
        Wait-Until { (Get-PacketMachineHealthCheck ha control-plane -StatePath $State).Healthy -eq 3 } 'three healthy control planes' 90
        $eip = ((Get-Content $Kubeconfig -Raw) | Select-String 'server: https://([0-9.]+):6443').Matches[0].Groups[1].Value
        $off = @(Get-ControlPlaneDevices | Where-Object { (Get-Addresses $_) -notcontains $eip })[0]
        $offNode = (Invoke-Kubectl get nodes -o json | ConvertFrom-Json).items | Where-Object { $_.spec.providerID -eq "packet://$($off.id)" }
        $offNode | Should -Not -BeNullOrEmpty
        Invoke-Packet Post "devices/$($off.id)/actions" @{ type = 'power_off' } | Out-Null

        Wait-Until {
            $node = Invoke-Kubectl get node $offNode.metadata.name -o json --ignore-not-found | ConvertFrom-Json
            $null -eq $node -or ($node.status.conditions | Where-Object type -eq 'Ready').status -eq 'Unknown'
        } 'the control plane''s Node goes Unknown' 150
        Wait-Until { @(Get-ControlPlaneDevices).id -notcontains $off.id } 'the unhealthy control plane is removed' 240
        Wait-Until { $d = @(Get-ControlPlaneDevices); $d.Count -eq 3 -and @($d | Where-Object state -eq 'active').Count -eq 3 } 'a replacement control-plane device' 180
        Wait-Until { $m = @(Get-EtcdMembers); $m.Count -eq 3 -and @($m | Where-Object name).Count -eq 3 -and (Get-HealthyMemberCount) -eq 3 } 'three healthy etcd members again' 300
        Wait-Until { @(Get-ReadyNodes).Count -eq 5 } '5 Ready nodes again' 180
        (Get-PacketMachineHealthCheck ha control-plane -StatePath $State).Remediations | Should -Be 1
        Invoke-Kubectl get configmap ha-1 -o name | Should -Be 'configmap/ha-1'
    }
}
