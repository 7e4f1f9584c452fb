BeforeAll {
    . (Join-Path $PSScriptRoot 'Common.ps1')
    $script:RepoRoot = (Resolve-Path (Join-Path $PSScriptRoot '../..')).Path
}

Describe 'The repository on its own' {
    It 'names nothing outside itself in what builds, tests or ships' {
        # Our workspace keeps reference material beside the clone; a user's machine has nothing there.
        $hits = git -C $RepoRoot grep -n -I -E '\.\./shared|/work/shared' -- . ':!*.md' ':!tests/pester/Standalone.Tests.ps1'
        $hits | Should -BeNullOrEmpty
    }

    It 'passes the contract and simulator API tests from a copy in a folder with no siblings' {
        # The tracked and new files, as a clone would have them, copied into <temp>/<id>/packetcluster: nothing beside.
        $parent = New-TestWorkDirectory 'standalone'
        try {
            $copy = Join-Path $parent 'packetcluster'
            $files = git -C $RepoRoot ls-files --cached --others --exclude-standard
            foreach ($file in $files) {
                $source = Join-Path $RepoRoot $file
                if (-not (Test-Path -LiteralPath $source -PathType Leaf)) { continue } # deleted, not yet committed
                $target = Join-Path $copy $file
                New-Item -ItemType Directory (Split-Path $target) -Force | Out-Null
                Copy-Item -LiteralPath $source $target
            }
            (Get-ChildItem $parent).Name | Should -Be 'packetcluster'
            $saved = $env:PACKETCLUSTER_METAL_OPENAPI
            Remove-Item Env:PACKETCLUSTER_METAL_OPENAPI -ErrorAction SilentlyContinue
            try {
                $results = Join-Path $parent 'results'
                $out = & dotnet test (Join-Path $copy 'tests/PacketCluster.Simulator.Tests/PacketCluster.Simulator.Tests.csproj') -c Release --nologo -v q `
                    --filter 'FullyQualifiedName~Tests.Contract.|FullyQualifiedName~Tests.Api.|FullyQualifiedName~Tests.Hosting.|FullyQualifiedName~Tests.State.|FullyQualifiedName~Tests.Config.' `
                    --results-directory $results --logger trx 2>&1
                $exit = $LASTEXITCODE
            }
            finally { if ($saved) { $env:PACKETCLUSTER_METAL_OPENAPI = $saved } }
            $text = $out -join "`n"
            $exit | Should -Be 0 -Because $text
            $counters = ([xml](Get-Content (Get-ChildItem $results -Filter *.trx | Select-Object -First 1).FullName -Raw)).TestRun.ResultSummary.Counters
            [int]$counters.failed | Should -Be 0 -Because $text
            [int]$counters.passed | Should -BeGreaterThan 30 -Because $text
        }
        finally { Remove-Item $parent -Recurse -Force -ErrorAction SilentlyContinue }
    }
}
