# Issue 15, "objects people can filter": what the tables show are properties, nested values read as text, and
# ConvertTo-Json at its default depth says something without warning. The live objects (machines, clusters,
# deployments of a running cluster) are checked in Cluster.Tests.ps1, which has one.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    Set-OfflinePacketEnvironment
    $script:Dir = Join-Path ([IO.Path]::GetTempPath()) ("pc-pester-" + [Guid]::NewGuid())
    $script:Config = New-PacketClusterConfig -OutputDirectory $Dir -Name objects -Metro sv -WorkerCount 2 -WarningAction SilentlyContinue
    [xml] $script:Format = Get-Content (Join-Path $ModuleDir 'PacketCluster.format.ps1xml') -Raw
    # Added by the cmdlet that outputs the object, not declared by its type.
    $script:NoteProperties = @{ 'PacketCluster.Models.ClusterApi.Cluster' = @('ManagedBy') }
}
AfterAll {
    Remove-Item $Dir -Recurse -Force -ErrorAction Ignore
    Clear-OfflinePacketEnvironment
}

Describe 'Every column of a default view is a property' {
    It 'no table column is computed by a script block' {
        $scripted = $Format.Configuration.ViewDefinitions.View | Where-Object { $_.TableControl } |
            ForEach-Object { $view = $_.Name; $_.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem | Where-Object ScriptBlock | ForEach-Object { $view } }
        $scripted | Should -BeNullOrEmpty -Because 'Where-Object, Sort-Object and Export-Csv cannot see a script-block column'
    }

    It 'every column of <_> names a property its type has, and the header is that name' -ForEach @(
        'PacketCluster.Models.ClusterApi.Cluster', 'PacketCluster.Models.ClusterApi.Machine', 'PacketCluster.Models.ClusterApi.MachineDeployment',
        'PacketCluster.Models.PacketClusterConfig', 'PacketCluster.Models.Metal.PacketDevice', 'PacketCluster.Models.PacketUserData') {
        $typeName = $_
        $type = $typeName -as [type]
        $type | Should -Not -BeNullOrEmpty
        $view = $Format.Configuration.ViewDefinitions.View | Where-Object { $_.ViewSelectedBy.TypeName -eq $typeName -and $_.TableControl } | Select-Object -First 1
        $view | Should -Not -BeNullOrEmpty -Because "$typeName has a table view"
        $headers = @($view.TableControl.TableHeaders.TableColumnHeader | ForEach-Object { $_.Label })
        $columns = @($view.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem | ForEach-Object { $_.PropertyName })
        $columns | Should -HaveCount $headers.Count
        for ($i = 0; $i -lt $columns.Count; $i++) {
            $columns[$i] | Should -Be $headers[$i] -Because 'the header is the name to filter by'
            if ($columns[$i] -notin $NoteProperties[$typeName]) {
                $type.GetProperty($columns[$i]) | Should -Not -BeNullOrEmpty -Because "$typeName shows a $($columns[$i]) column"
            }
        }
    }
}

Describe 'Objects read as text' {
    It 'Format-List of a machine and a cluster shows values, not type names' {
        $text = $Config.Machines[0], $Config.Cluster, $Config.MachineDeployments[0] | Format-List * | Out-String -Width 400
        $text | Should -Not -Match 'PacketCluster\.Models\.'
        $text | Should -Match 'Role\s+: ControlPlane'
        $text | Should -Match 'Spec\s+: c3\.small\.x86, ubuntu_24_04, sv, kubelet '
    }

    It 'ConvertTo-Json at its default depth gives the summary properties without a truncation warning' {
        foreach ($o in $Config.Machines[0], $Config.Cluster, $Config.MachineDeployments[0]) {
            $json = $o | ConvertTo-Json -WarningVariable truncated -WarningAction SilentlyContinue
            $truncated | Should -BeNullOrEmpty -Because "$($o.Kind) fits ConvertTo-Json's default depth"
            $json | Should -Not -Match 'PacketCluster\.Models\.'
        }
        ($Config.Machines[0] | ConvertTo-Json | ConvertFrom-Json).Role | Should -Be 'ControlPlane'
        ($Config.MachineDeployments[0] | ConvertTo-Json | ConvertFrom-Json).Plan | Should -Be 'c3.small.x86'
        ($Config.Cluster | ConvertTo-Json | ConvertFrom-Json).Location | Should -Be 'sv'
        # Hidden from JSON only: the full spec is still there as a property.
        $Config.Machines[0].Spec.ProviderSpec.Value.MachineType | Should -Be 'c3.small.x86'
    }
}

Describe 'One spelling of roles' {
    It 'ControlPlane and Worker everywhere: config, machine configs, userdata' {
        ($Config.Machines | ForEach-Object Role | Sort-Object -Unique) | Should -Be 'ControlPlane'
        $Config.MachineDeployments[0].Role | Should -Be 'Worker'
        (Get-PacketMachineConfig | ForEach-Object Role | Sort-Object -Unique) | Should -Be @('ControlPlane', 'Worker')
        @(Get-PacketMachineConfig -Role ControlPlane) | ForEach-Object { $_.Role | Should -Be 'ControlPlane' }
        (Get-PacketUserData -Path $Dir -WarningAction SilentlyContinue | ForEach-Object Role | Sort-Object -Unique) | Should -Be @('ControlPlane', 'Worker')
    }
}

Describe 'Version completion' {
    It 'offers only the versions the catalogue has for the chosen operating system, with a tooltip' {
        foreach ($os in Get-PacketMachineConfig | ForEach-Object Image | Sort-Object -Unique) {
            $line = "New-PacketCluster -Name x -OperatingSystem $os -KubernetesVersion "
            $offered = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
            $expected = Get-PacketMachineConfig -Image $os | ForEach-Object Kubelet | Sort-Object -Unique
            @($offered.CompletionText | Sort-Object) | Should -Be @($expected) -Because "the catalogue's versions for $os"
            $offered | ForEach-Object { $_.ToolTip | Should -Match "^Kubernetes $([regex]::Escape($_.CompletionText)) on .*$os" }
        }
    }
}
