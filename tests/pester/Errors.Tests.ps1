# Issue 15, "Errors, help and completion" (first item): every error the module writes says what to do in
# ErrorDetails.RecommendedAction; quick-form mistakes name the parameter the user typed (not a machines.yaml they never
# wrote) and are reported once; a bad -Name is explained in words, not with a regex.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    $script:Work = New-TestWorkDirectory 'pc-errors'
    $script:Sim = Start-TestSimulator -WorkDirectory $Work -Config ''
    $Sim | Connect-PacketApi | Out-Null
    $script:SavedEnv = @{}
    foreach ($name in 'PACKET_API_KEY', 'PACKET_PROJECT_ID') { $SavedEnv[$name] = [Environment]::GetEnvironmentVariable($name) }
    # New-PacketClusterConfig reads the project and key from the environment.
    $env:PACKET_API_KEY = [System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password
    $env:PACKET_PROJECT_ID = $Sim.ProjectId

    # Runs a probe and returns every error record it wrote (terminating or not), in order.
    function Get-ProbeErrors([scriptblock] $Probe) {
        $global:Error.Clear()
        $ErrorActionPreference = 'Stop'
        try { & $Probe | Out-Null } catch { }
        $records = @($global:Error | ForEach-Object { $_ })
        [array]::Reverse($records)
        , $records
    }
    function Get-ProbeError([scriptblock] $Probe) {
        $records = Get-ProbeErrors $Probe
        $records.Count | Should -BeGreaterThan 0 -Because 'the probe must fail'
        $records[0]
    }
}
AfterAll {
    if ($Sim) { $Sim | Stop-PacketSimulator }
    foreach ($name in $SavedEnv.Keys) { [Environment]::SetEnvironmentVariable($name, $SavedEnv[$name]) }
    Remove-Item $Work -Recurse -Force -ErrorAction Ignore
}

Describe 'ErrorDetails.RecommendedAction on every error' {
    It '<Case>: <Id> says what to do' -ForEach @(
        @{ Case = 'unknown cluster'; Id = 'ClusterNotFound,PacketCluster.Commands.GetPacketClusterCommand'
           Probe = { Get-PacketCluster -Name nope -StatePath $Work } }
        @{ Case = 'remove an unknown cluster'; Id = 'ClusterNotFound,PacketCluster.Commands.RemovePacketClusterCommand'
           Probe = { Remove-PacketCluster -Name nope -StatePath $Work -Force } }
        @{ Case = 'machine of an unknown cluster'; Id = 'ClusterNotFound,PacketCluster.Commands.RemovePacketMachineCommand'
           Probe = { Remove-PacketMachine -ClusterName nope -Name nope-worker-0 -StatePath $Work -Force } }
        @{ Case = 'kubeconfig of an unknown cluster'; Id = 'ClusterNotFound,PacketCluster.Commands.GetPacketKubeconfigCommand'
           Probe = { Get-PacketKubeconfig -Name nope -StatePath $Work } }
        @{ Case = 'bad cluster name'; Id = 'InvalidClusterName,PacketCluster.Commands.NewPacketClusterCommand'
           Probe = { New-PacketCluster -Name Bad_Name -StatePath $Work -WhatIf } }
        @{ Case = 'bad plan in the quick form'; Id = 'UnknownPlan,PacketCluster.Commands.NewPacketClusterCommand'
           Probe = { New-PacketCluster -Name errs1 -Plan c9.huge -StatePath $Work -WhatIf } }
        @{ Case = 'bad metro in the quick form'; Id = 'UnknownLocation,PacketCluster.Commands.NewPacketClusterCommand'
           Probe = { New-PacketCluster -Name errs1 -Metro zz -StatePath $Work -WhatIf } }
        @{ Case = 'bad metro to Get-PacketPlan'; Id = 'UnknownLocation,PacketCluster.Commands.GetPacketPlanCommand'
           Probe = { Get-PacketPlan -Metro zz } }
        @{ Case = 'missing definition files'; Id = 'ClusterConfigNotFound,PacketCluster.Commands.NewPacketClusterCommand'
           Probe = { New-PacketCluster -ClusterFile (Join-Path $Work 'none/cluster.yaml') -MachinesFile (Join-Path $Work 'none/machines.yaml') -StatePath $Work -WhatIf } }
        @{ Case = 'invalid YAML'; Id = 'InvalidYaml,PacketCluster.Commands.ImportPacketClusterConfigCommand'
           Probe = {
               $d = Join-Path $Work 'badyaml'; New-Item -ItemType Directory $d -Force | Out-Null
               "apiVersion: cluster.k8s.io/v1alpha1`nkind: Cluster`nmetadata: {name: [x" | Set-Content (Join-Path $d 'cluster.yaml')
               "kind: MachineList`nitems: []" | Set-Content (Join-Path $d 'machines.yaml')
               Import-PacketClusterConfig -Path $d } }
        @{ Case = 'missing SSH public key file'; Id = 'PathNotFound,PacketCluster.Commands.NewPacketClusterCommand'
           Probe = { New-PacketCluster -Name errs2 -SshPublicKeyPath (Join-Path $Work 'none.pub') -StatePath $Work -WhatIf } }
        @{ Case = 'nothing to change'; Id = 'NothingToChange,PacketCluster.Commands.SetPacketControlPlaneCommand'
           Probe = { Set-PacketControlPlane -ClusterName nope -StatePath $Work } }
        @{ Case = 'no machine config (non-terminating)'; Id = 'MachineConfigNotFound,PacketCluster.Commands.GetPacketMachineConfigCommand'
           Probe = { Get-PacketMachineConfig -Image nosuch_os } }
        @{ Case = 'wrong API key'; Id = 'PacketApiUnauthorized,PacketCluster.Commands.ConnectPacketApiCommand'
           Probe = { Connect-PacketApi -ApiKey (ConvertTo-SecureString 'not-the-key' -AsPlainText -Force) -ProjectId $Sim.ProjectId -Endpoint $Sim.Endpoint } }
        @{ Case = 'existing files without -Force'; Id = 'ClusterConfigExists,PacketCluster.Commands.NewPacketClusterConfigCommand'
           Probe = {
               $d = Join-Path $Work 'exists'
               New-PacketClusterConfig -OutputDirectory $d -Name errs3 -WarningAction SilentlyContinue | Out-Null
               New-PacketClusterConfig -OutputDirectory $d -Name errs3 -WarningAction SilentlyContinue } }
    ) {
        $err = Get-ProbeError $Probe
        $Sim | Connect-PacketApi | Out-Null   # the wrong-key probe must not leave the others unconnected
        $err.FullyQualifiedErrorId | Should -Be $Id
        $err.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        $err.ErrorDetails.RecommendedAction | Should -Not -Match 'pester|not-the-key'
        # ErrorDetails keeps the message the user sees.
        $err.ErrorDetails.Message | Should -Be $err.Exception.Message
    }

    It 'not connected: <Id> says how to connect' -ForEach @(@{ Id = 'PacketApiNotConnected,PacketCluster.Commands.GetPacketDeviceCommand' }) {
        # A fresh process with no connection and no credentials in the environment.
        $out = Invoke-FreshPwsh @"
Remove-Item Env:PACKET_API_KEY, Env:PACKET_PROJECT_ID, Env:METAL_AUTH_TOKEN, Env:PACKET_API_URL -ErrorAction Ignore
Import-Module '$ModuleManifest'
try { Get-PacketDevice -ErrorAction Stop } catch { 'ID=' + `$_.FullyQualifiedErrorId; 'ADVICE=' + `$_.ErrorDetails.RecommendedAction }
"@
        $out | Should -Contain "ID=$Id"
        ($out | Where-Object { $_ -like 'ADVICE=*' }) | Should -Match 'ADVICE=.*Connect-PacketApi'
    }
}

Describe 'Quick-form mistakes name the parameter, once' {
    It '<Case>' -ForEach @(
        @{ Case = 'New-PacketCluster -Plan c9.huge with several machines'; Parameter = '-Plan c9.huge'; Once = "c9.huge' does not exist"
           Probe = { New-PacketCluster -Name errs4 -Plan c9.huge -ControlPlaneCount 3 -WorkerCount 3 -StatePath $Work -WhatIf } }
        @{ Case = 'New-PacketCluster -Metro zz with several machines'; Parameter = '-Metro zz'; Once = 'zz does not exist'
           Probe = { New-PacketCluster -Name errs4 -Metro zz -ControlPlaneCount 3 -WorkerCount 2 -StatePath $Work -WhatIf } }
        @{ Case = 'New-PacketCluster -KubernetesVersion with no machine config'; Parameter = '-KubernetesVersion 1.9.9'; Once = 'No machine config'
           Probe = { New-PacketCluster -Name errs4 -KubernetesVersion 1.9.9 -ControlPlaneCount 3 -WorkerCount 2 -StatePath $Work -WhatIf } }
        @{ Case = 'New-PacketCluster -OperatingSystem not in the catalogue'; Parameter = '-OperatingSystem nosuch_os'; Once = 'no entry'
           Probe = { New-PacketCluster -Name errs4 -OperatingSystem nosuch_os -WorkerCount 2 -StatePath $Work -WhatIf } }
        @{ Case = 'New-PacketClusterConfig -KubernetesVersion with no machine config'; Parameter = '-KubernetesVersion 1.9.9'; Once = 'No machine config'
           Probe = { New-PacketClusterConfig -OutputDirectory (Join-Path $Work 'qf1') -ControlPlaneCount 3 -WorkerCount 4 -KubernetesVersion 1.9.9 } }
        @{ Case = 'New-PacketClusterConfig -PodCidr overlapping the services'; Parameter = '-PodCidr 172.25.0.0/24'; Once = 'overlaps'
           Probe = { New-PacketClusterConfig -OutputDirectory (Join-Path $Work 'qf2') -PodCidr 172.25.0.0/24 -WorkerCount 2 } }
    ) {
        $records = Get-ProbeErrors $Probe
        $records.Count | Should -Be 1 -Because 'one mistake is one error record'
        $message = $records[0].Exception.Message
        $message | Should -BeLike "*$Parameter*"
        $message | Should -Not -Match 'machines\.yaml|cluster\.yaml'
        $message | Should -Not -Match 'MachineDeployment/|Machine/'
        ([regex]::Matches($message, [regex]::Escape($Once))).Count | Should -Be 1 -Because "the problem is reported once: $message"
        $records[0].ErrorDetails.RecommendedAction | Should -Match ([regex]::Escape($Parameter.Split(' ')[0]))
    }

    It 'a definition read from files still names the file, object and field' {
        $d = Join-Path $Work 'files'
        New-PacketClusterConfig -OutputDirectory $d -Name errs5 -WorkerCount 2 -WarningAction SilentlyContinue | Out-Null
        $machines = Join-Path $d 'machines.yaml'
        (Get-Content $machines -Raw) -replace 'machineType: c3.small.x86', 'machineType: c9.huge' | Set-Content $machines
        $err = Get-ProbeError { New-PacketCluster -ClusterFile (Join-Path $d 'cluster.yaml') -MachinesFile $machines -StatePath $Work -WhatIf }
        $err.FullyQualifiedErrorId | Should -Be 'UnknownPlan,PacketCluster.Commands.NewPacketClusterCommand'
        $err.Exception.Message | Should -Match 'machines\.yaml: Machine/errs5-control-plane-0: providerSpec\.value\.machineType'
        $err.Exception.Message | Should -Not -Match '-Plan '
        $err.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
    }
}

Describe 'A bad -Name explains the rule in words' {
    It '<Command> -Name <Name>: <Why>' -ForEach @(
        @{ Command = 'New-PacketCluster'; Name = 'Bad_Name'; Why = 'upper-case letters' }
        @{ Command = 'New-PacketCluster'; Name = 'ends-'; Why = "ends with '-'" }
        @{ Command = 'New-PacketClusterConfig'; Name = '-starts'; Why = "starts with '-'" }
        @{ Command = 'New-PacketClusterConfig'; Name = ('a' * 41); Why = 'more than 40' }
    ) {
        $err = if ($Command -eq 'New-PacketCluster') {
            Get-ProbeError { New-PacketCluster -Name $Name -StatePath $Work -WhatIf }
        } else {
            Get-ProbeError { New-PacketClusterConfig -OutputDirectory (Join-Path $Work 'names') -Name $Name }
        }
        $err.FullyQualifiedErrorId | Should -Be "InvalidClusterName,PacketCluster.Commands.$($Command -replace '-', '')Command"
        $message = $err.Exception.Message
        $message | Should -BeLike "*$Why*"
        $message | Should -BeLike '*lower-case letters, digits and*starting and ending with a letter or digit*'
        foreach ($regexBit in '^', '[a-z', '$', '\d', '(?') { $message.Contains($regexBit) | Should -BeFalse -Because "no regex in '$message'" }
        $err.ErrorDetails.RecommendedAction | Should -BeLike "*lower-case letters*"
    }
}

Describe 'A bad -KubernetesVersion explains the rule in words (PowerShell checks it before the cmdlet runs)' {
    It '<Command> -KubernetesVersion <Version>' -ForEach @(
        @{ Command = 'New-PacketCluster'; Version = 'v1.20.2' }
        @{ Command = 'New-PacketClusterConfig'; Version = '1.20' }
        @{ Command = 'Set-PacketMachineDeployment'; Version = 'latest' }
        @{ Command = 'Set-PacketControlPlane'; Version = '1.2.3.4' }
        @{ Command = 'New-PacketMachineDeployment'; Version = '1.x.0' }
    ) {
        $bound = @{ KubernetesVersion = $Version; ErrorAction = 'Stop' }
        if ($Command -ne 'New-PacketClusterConfig' -and $Command -ne 'New-PacketCluster') { $bound.ClusterName = 'nowhere' }
        if ($Command -eq 'New-PacketMachineDeployment') { $bound.Name = 'pool' }
        try { & $Command @bound; $err = $null } catch { $err = $_ }
        $err.FullyQualifiedErrorId | Should -BeLike 'ParameterArgumentValidationError,*'
        $err.Exception.Message | Should -BeLike "*'$Version' is not a Kubernetes version: write major.minor.patch without a v, such as 1.35.0*Get-PacketMachineConfig*"
        $err.Exception.Message.Contains('\d') | Should -BeFalse -Because 'no regex in the message'
    }
}
