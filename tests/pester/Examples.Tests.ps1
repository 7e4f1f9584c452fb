BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:Work = New-TestWorkDirectory 'examples'
}

AfterAll {
    Remove-Item $Work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'docs/examples/cluster-lifecycle.yml' {
    It 'creates and deletes a cluster against the simulator when no PACKET_API_KEY secret is set' {
        $workflow = Get-Content (Join-Path $PSScriptRoot '../../docs/examples/cluster-lifecycle.yml')
        # The pwsh script of the step that creates the cluster: the block under its `run: |`, de-indented.
        $step = [array]::FindIndex([string[]]$workflow, [Predicate[string]] { param($l) $l -match 'name: Create, use and delete a cluster' })
        $step | Should -BeGreaterThan 0
        $run = [array]::FindIndex([string[]]$workflow, $step, [Predicate[string]] { param($l) $l -match '^\s+run: \|\s*$' })
        $indent = ($workflow[$run + 1] -replace '^(\s*).*', '$1').Length
        $script = ($workflow[($run + 1)..($workflow.Count - 1)] | Where-Object { $_.Length -eq 0 -or $_.Length -ge $indent } |
                ForEach-Object { if ($_.Length -ge $indent) { $_.Substring($indent) } else { '' } }) -join "`n"
        $script | Should -Match 'Start-PacketSimulator'
        # The runner would install the module from the Gallery; here it is the assembled folder. The simulator gets the
        # fast timings (seconds, not the real service's minutes); nothing else in the script changes.
        $config = Join-Path $Work 'simulator.yaml'
        (Get-Content (Join-Path $PSScriptRoot '../../build/simulator-fast.yaml') -Raw) + "`nboot: {enabled: false}`n" | Set-Content $config
        $script = $script.Replace('Start-PacketSimulator', "Start-PacketSimulator -ConfigFile '$config'")
        $saved = $env:PSModulePath, $env:PACKET_API_KEY, $env:PACKET_PROJECT_ID, $env:PACKET_API_URL, $env:GITHUB_RUN_ID, $env:PACKETCLUSTER_HOME
        try {
            $env:PSModulePath = (Split-Path $ModuleDir) + [IO.Path]::PathSeparator + $env:PSModulePath
            $env:PACKET_API_KEY = ''; $env:PACKET_PROJECT_ID = ''; $env:PACKET_API_URL = ''
            $env:GITHUB_RUN_ID = '4711'
            $env:PACKETCLUSTER_HOME = Join-Path $Work 'state'
            $out = Invoke-FreshPwsh ($script + "`n'example-exit:' + `$?")
        }
        finally { $env:PSModulePath, $env:PACKET_API_KEY, $env:PACKET_PROJECT_ID, $env:PACKET_API_URL, $env:GITHUB_RUN_ID, $env:PACKETCLUSTER_HOME = $saved }
        $text = $out -join "`n"
        $text | Should -Match 'ci-4711' -Because $text
        $text | Should -Match 'Provisioned|Ready|Running' -Because $text
        $text | Should -Match 'example-exit:True' -Because $text
        $text | Should -Not -Match 'Exception|Error' -Because $text
    }
}
