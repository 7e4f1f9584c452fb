# What a careless or hostile user finds (issue 11): two clusters of one name, input bombs, malformed files and keys,
# and a simulator that must refuse what the real API refuses. Each case asserts the error id and that nothing was made.
BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    Import-Module $ModuleManifest -Force
    $script:Work = New-TestWorkDirectory 'pc-hostile'
    $script:Sim = Start-TestSimulator $Work -Seed 31 -Config @"
timings:
  queued: {duration: 50ms}
  provisioning: {duration: 400ms}
  deprovisioning: {duration: 100ms}
"@
    $script:Sim | Connect-PacketApi | Out-Null
    $script:StateA = Join-Path $Work 'state-a'
    $script:StateB = Join-Path $Work 'state-b'
    $script:Key = [System.Net.NetworkCredential]::new('', $Sim.ApiKey).Password
    $script:Headers = @{ 'X-Auth-Token' = $Key }
    $script:NameTag = 'cluster-api-provider-packet:cluster-id:dup'
    $script:Quick = @{ Name = 'dup'; Metro = 'sv'; WorkerCount = 1; KubernetesVersion = '1.20.2'; OperatingSystem = 'ubuntu_22_04'; PollIntervalSeconds = 0.2; TimeoutSeconds = 120 }
    function Invoke-Sim([string] $Method, [string] $Path, $Body, [string] $ContentType = 'application/json', [switch] $Admin) {
        $base = $Admin ? $Sim.AdminEndpoint : $Sim.Endpoint
        $payload = $Body -is [string] -or $null -eq $Body ? $Body : ($Body | ConvertTo-Json -Depth 5)
        Invoke-WebRequest -Uri ([Uri]::new($base, $Path)) -Method $Method -Headers $Headers -Body $payload -ContentType $ContentType -SkipHttpErrorCheck
    }
    function Get-Named([string] $Kind) {
        if ($Kind -eq 'devices') {
            @((Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "projects/$($Sim.ProjectId)/devices?per_page=1000&tag=$NameTag")) -Headers $Headers).devices |
                Where-Object state -ne 'deprovisioning')
        } else {
            @((Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "projects/$($Sim.ProjectId)/ips")) -Headers $Headers).ip_addresses | Where-Object { $_.tags -contains $NameTag })
        }
    }
    function Get-AllDeviceCount { @((Invoke-RestMethod -Uri ([Uri]::new($Sim.Endpoint, "projects/$($Sim.ProjectId)/devices?per_page=1000")) -Headers $Headers).devices | Where-Object state -ne 'deprovisioning').Count }
    # A folder holding a valid definition, whose cluster.yaml the test replaces.
    function New-Definition([string] $Name) {
        $dir = Join-Path $Work $Name
        New-PacketClusterConfig -OutputDirectory $dir -Name $Name -ProjectId $Sim.ProjectId -ApiKey $Sim.ApiKey -Metro sv -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04 -WarningAction SilentlyContinue | Out-Null
        $dir
    }
}
AfterAll {
    if ($script:Sim) { $script:Sim | Stop-PacketSimulator -Confirm:$false }
    Remove-Item $script:Work -Recurse -Force -ErrorAction Ignore
}

Describe 'Two clusters of one name in one project' {
    It 'refuses a second cluster of the same name from another state folder, with -WhatIf too, before anything is made' {
        $a = New-PacketCluster @Quick -StatePath $StateA -ProvisionOnly
        $uid = $a.Metadata.Annotations['cluster.k8s.io/cluster-uid']
        $uid | Should -Match '^[0-9a-f-]{36}$'
        (Get-Named devices) | Should -HaveCount 2
        (Get-Named devices).tags | Should -Contain "cluster-api-provider-packet:cluster-uid:$uid"
        (Get-Named ips).tags | Should -Contain "cluster-api-provider-packet:cluster-uid:$uid"
        $before = Get-AllDeviceCount

        { New-PacketCluster @Quick -StatePath $StateB -ProvisionOnly -WhatIf -ErrorAction Stop } | Should -Throw -ErrorId 'ClusterNameInUse,PacketCluster.Commands.NewPacketClusterCommand'
        $err = { New-PacketCluster @Quick -StatePath $StateB -ProvisionOnly -ErrorAction Stop } | Should -Throw -ErrorId 'ClusterNameInUse,PacketCluster.Commands.NewPacketClusterCommand' -PassThru
        $err.Exception.Message | Should -Match $uid
        $err.Exception.Message | Should -Match 'Choose another -Name'
        Get-AllDeviceCount | Should -Be $before
        (Get-Named ips) | Should -HaveCount 1
        Get-PacketCluster -StatePath $StateB | Should -BeNullOrEmpty

        # Re-running the first one resumes: its own devices carry its identity.
        (New-PacketCluster @Quick -StatePath $StateA -ProvisionOnly).Status.Phase | Should -Be 'Provisioned'
        Get-AllDeviceCount | Should -Be $before
    }

    It 'Remove-PacketCluster deletes only its own: another cluster''s and hand-made resources stay; -IncludeUntagged takes the hand-made ones' {
        # Another cluster named dup (another tool run, another colleague) and a device made by hand with the name tag only.
        $foreignTags = @($NameTag, 'cluster-api-provider-packet:cluster-uid:7d0c0b8e-9a41-4d8e-8f0e-2c8f1d3b6a77')
        $foreign = (Invoke-Sim POST "projects/$($Sim.ProjectId)/devices" @{ hostname = 'dup-control-plane-0'; plan = 'c3.small.x86'; operating_system = 'ubuntu_22_04'; metro = 'sv'; tags = $foreignTags }).Content | ConvertFrom-Json
        $foreignIp = (Invoke-Sim POST "projects/$($Sim.ProjectId)/ips" @{ type = 'public_ipv4'; quantity = 1; metro = 'sv'; tags = $foreignTags }).Content | ConvertFrom-Json
        $byHand = (Invoke-Sim POST "projects/$($Sim.ProjectId)/devices" @{ hostname = 'dup-by-hand'; plan = 'c3.small.x86'; operating_system = 'ubuntu_22_04'; metro = 'sv'; tags = @($NameTag) }).Content | ConvertFrom-Json
        $foreign.id | Should -Not -BeNullOrEmpty
        $foreignIp.id | Should -Not -BeNullOrEmpty

        Remove-PacketCluster dup -StatePath $StateA -Force -PollIntervalSeconds 0.2 -WarningVariable warned -WarningAction SilentlyContinue
        (Get-Named devices).id | Sort-Object | Should -Be (@($foreign.id, $byHand.id) | Sort-Object)
        (Get-Named ips).id | Should -Be $foreignIp.id
        "$warned" | Should -Match $foreign.id
        "$warned" | Should -Match 'IncludeUntagged'
        # Get-PacketDevice tells them apart.
        $listed = @(Get-PacketDevice -ClusterName dup)
        ($listed | Where-Object Id -eq $foreign.id).ClusterUid | Should -Be '7d0c0b8e-9a41-4d8e-8f0e-2c8f1d3b6a77'
        ($listed | Where-Object Id -eq $byHand.id).ClusterUid | Should -BeNullOrEmpty
        ($listed | Format-Table | Out-String -Width 250) | Should -Match 'dup \(name tag only\)'
        Join-Path $StateA dup | Should -Not -Exist

        # No state at all, by name: -IncludeUntagged deletes the name-only device, never the other cluster's.
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ((Get-Named devices | Where-Object id -eq $byHand.id).state -ne 'active' -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
        Remove-PacketCluster dup -StatePath $StateB -Force -IncludeUntagged -PollIntervalSeconds 0.2 -WarningAction SilentlyContinue
        (Get-Named devices).id | Should -Be $foreign.id
        (Get-Named ips).id | Should -Be $foreignIp.id
    }
}

Describe 'Bad input is refused before anything is made' {
    It 'refuses a YAML alias bomb in cluster.yaml in under 2 s (Import-PacketClusterConfig and New-PacketCluster)' {
        $dir = New-Definition 'bomb'
        $lines = @('a: &a [x,x,x,x,x,x,x,x,x,x]')
        foreach ($p in 'a', 'b', 'c', 'd', 'e', 'f', 'g') { $n = [char]([int][char]$p + 1); $lines += "${n}: &$n [" + ((1..10 | ForEach-Object { "*$p" }) -join ',') + ']' }
        Set-Content (Join-Path $dir 'cluster.yaml') ("apiVersion: cluster.k8s.io/v1alpha1`nkind: Cluster`nmetadata:`n  name: bomb`n  annotations:`n" + (($lines | ForEach-Object { "    $_" }) -join "`n"))
        (Get-Item (Join-Path $dir 'cluster.yaml')).Length | Should -BeLessThan 1KB
        $devices = Get-AllDeviceCount
        $memory = [GC]::GetTotalMemory($false)
        $watch = [Diagnostics.Stopwatch]::StartNew()
        { Import-PacketClusterConfig $dir -ErrorAction Stop } | Should -Throw -ErrorId 'YamlAliasesNotAllowed,PacketCluster.Commands.ImportPacketClusterConfigCommand'
        { New-PacketCluster -ClusterFile (Join-Path $dir 'cluster.yaml') -MachinesFile (Join-Path $dir 'machines.yaml') -StatePath $StateA -ErrorAction Stop } |
            Should -Throw -ErrorId 'YamlAliasesNotAllowed,PacketCluster.Commands.NewPacketClusterCommand'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 2
        ([GC]::GetTotalMemory($false) - $memory) | Should -BeLessThan 200MB
        Get-AllDeviceCount | Should -Be $devices
        Join-Path $StateA bomb | Should -Not -Exist
    }

    It 'refuses a cluster.yaml over 4 MiB at once (InputTooLarge)' {
        $dir = New-Definition 'huge'
        $path = Join-Path $dir 'cluster.yaml'
        $text = (Get-Content $path -Raw) -replace '(?m)^metadata:', "metadata:`n  annotations:`n    big: '$('x' * 5MB)'"
        Set-Content $path $text
        $watch = [Diagnostics.Stopwatch]::StartNew()
        { Import-PacketClusterConfig $dir -ErrorAction Stop } | Should -Throw -ErrorId 'InputTooLarge,PacketCluster.Commands.ImportPacketClusterConfigCommand'
        { New-PacketCluster -ClusterFile $path -MachinesFile (Join-Path $dir 'machines.yaml') -StatePath $StateA -ErrorAction Stop } |
            Should -Throw -ErrorId 'InputTooLarge,PacketCluster.Commands.NewPacketClusterCommand'
        $watch.Elapsed.TotalSeconds | Should -BeLessThan 2
        Join-Path $StateA huge | Should -Not -Exist
    }

    It 'says InvalidYaml with the file, line and column for an unclosed collection' {
        $dir = New-Definition 'broken'
        Set-Content (Join-Path $dir 'cluster.yaml') "metadata: {name: bad1`nspec: [unclosed"
        $err = { Import-PacketClusterConfig $dir -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidYaml,PacketCluster.Commands.ImportPacketClusterConfigCommand' -PassThru
        $err.Exception.Message | Should -Match ([regex]::Escape((Join-Path $dir 'cluster.yaml')) + ': line \d+, column \d+')
    }

    It 'refuses an sshKeys entry that smuggles a second line into authorized_keys' {
        $dir = New-Definition 'keys'
        $machines = Join-Path $dir 'machines.yaml'
        (Get-Content $machines -Raw) -replace '(?m)^(\s*- )(ssh-ed25519 [^\r\n]+)$', '$1"$2\nssh-rsa AAAAB3NzaC1yc2E attacker"' | Set-Content $machines
        (Get-Content $machines -Raw) | Should -Match 'attacker'
        $err = { Import-PacketClusterConfig $dir -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSshKey,PacketCluster.Commands.ImportPacketClusterConfigCommand' -PassThru
        $err.Exception.Message | Should -Match 'line break'
    }

    It 'refuses a projectID other than the connected project, or the 2019 placeholder, naming both (ProjectMismatch)' {
        $dir = New-Definition 'proj'
        $files = 'cluster.yaml', 'machines.yaml' | ForEach-Object { Join-Path $dir $_ }
        foreach ($given in '__PROJECT_ID__', '0c7b3f7e-2d4e-4e57-9a51-6a3a0cfa1f00') {
            foreach ($f in $files) { (Get-Content $f -Raw) -replace '(?m)(projectID:\s*)"?[^"\r\n]+"?', "`${1}`"$given`"" | Set-Content $f }
            (Get-Content $files[0] -Raw) | Should -Match ([regex]::Escape($given))
            $err = { New-PacketCluster -ClusterFile $files[0] -MachinesFile $files[1] -StatePath $StateA -WhatIf -ErrorAction Stop } |
                Should -Throw -ErrorId 'ProjectMismatch,PacketCluster.Commands.NewPacketClusterCommand' -PassThru
            $err.Exception.Message | Should -Match ([regex]::Escape($given))
            $err.Exception.Message | Should -Match $Sim.ProjectId
        }
        Join-Path $StateA proj | Should -Not -Exist
    }

    It 'Connect-PacketApi gives up on an endpoint that never answers within seconds, saying what it tried' {
        # Accepts connections, never answers (a hung proxy); loopback only.
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0); $listener.Start()
        try {
            $port = $listener.LocalEndpoint.Port
            $watch = [Diagnostics.Stopwatch]::StartNew()
            $err = { Connect-PacketApi -Endpoint "http://127.0.0.1:$port/metal/v1/" -ApiKey (ConvertTo-SecureString 'not-a-key' -AsPlainText -Force) -ProjectId 'p1' -ErrorAction Stop } |
                Should -Throw -ErrorId 'PacketApiTimeout,PacketCluster.Commands.ConnectPacketApiCommand' -PassThru
            $watch.Elapsed.TotalSeconds | Should -BeLessThan 15
            $err.Exception.Message | Should -Match ([regex]::Escape("tried GET http://127.0.0.1:$port/metal/v1/projects/p1"))
            $err.Exception.Message | Should -Not -Match 'not-a-key'
        }
        finally { $listener.Stop() }
        $Sim | Connect-PacketApi | Out-Null
    }

    It 'gives PacketApiOptionsInvalid for an ftp:// PACKET_API_URL on the implicit path, as Connect-PacketApi does' {
        $out = Invoke-FreshPwsh @"
`$env:PACKET_API_URL = 'ftp://127.0.0.1/'; `$env:PACKET_API_KEY = 'k'; `$env:PACKET_PROJECT_ID = 'p'
Import-Module '$ModuleManifest'
try { Get-PacketMetro -ErrorAction Stop } catch { 'implicit=' + `$_.FullyQualifiedErrorId }
try { Connect-PacketApi -ErrorAction Stop } catch { 'explicit=' + `$_.FullyQualifiedErrorId }
"@
        ($out -match '^implicit=') | Should -Be 'implicit=PacketApiOptionsInvalid,PacketCluster.Commands.GetPacketMetroCommand'
        ($out -match '^explicit=') | Should -Be 'explicit=PacketApiOptionsInvalid,PacketCluster.Commands.ConnectPacketApiCommand'
    }
}

Describe 'The simulator refuses what the API refuses' {
    It 'answers 413 for a huge body, 422 for oversized userdata, a hostname that is not a string and tags that are not a list' {
        $devices = Get-AllDeviceCount
        $base = @{ plan = 'c3.small.x86'; operating_system = 'ubuntu_22_04'; metro = 'sv' }
        (Invoke-Sim POST "projects/$($Sim.ProjectId)/devices" ($base + @{ hostname = 'big'; description = 'x' * 3MB })).StatusCode | Should -Be 413
        $r = Invoke-Sim POST "projects/$($Sim.ProjectId)/devices" ($base + @{ hostname = 'fat'; userdata = "#cloud-config`n" + ('#' * 70KB) })
        $r.StatusCode | Should -Be 422
        $r.Content | Should -Match 'Userdata is too long'
        (Invoke-Sim POST "projects/$($Sim.ProjectId)/devices" '{"plan":"c3.small.x86","operating_system":"ubuntu_22_04","metro":"sv","hostname":5}').StatusCode | Should -Be 422
        (Invoke-Sim POST "projects/$($Sim.ProjectId)/devices" ($base + @{ hostname = 'tags'; tags = 'notalist' })).StatusCode | Should -Be 422
        Get-AllDeviceCount | Should -Be $devices
    }

    It 'answers 422 with the line and column for a faults body that does not parse' {
        $r = Invoke-Sim PUT 'faults' "requests:`n- path: [unclosed" 'application/yaml' -Admin
        $r.StatusCode | Should -Be 422
        $r.Content | Should -Match 'line \d+, column \d+'
    }
}
