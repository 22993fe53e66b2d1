#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, benchmarks and packages S3Turbo.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Demo', 'Bench', 'Soak', 'StartS3', 'StopS3', 'Package')]
    [string] $Task = 'Build',
    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',
    # Bench only: run a subset of scenarios (names as in tools/bench/Invoke-Benchmarks.ps1).
    [string[]] $Scenario
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3
$root = $PSScriptRoot
$version = (Import-PowerShellDataFile "$root/S3Turbo.psd1").ModuleVersion  # the one place the version is written
$moduleDir = Join-Path $root "output/S3Turbo/$version"
# No MSBuild node outlives the build: a lingering node is one more process that can be lost mid-run, and
# dotnet test then waits for it without end (CI run of 2026-12-07).
$env:MSBUILDDISABLENODEREUSE = '1'

function Invoke-Pwsh { $command = Get-PwshCommand; & $command[0] @($command | Select-Object -Skip 1) @args }

# The running pwsh as a command line (file first): a local dotnet tool runs as "dotnet pwsh.dll".
function Get-PwshCommand {
    $exe = [Environment]::ProcessPath
    if ((Split-Path $exe -Leaf) -match '^dotnet(\.exe)?$') { return , [string[]]@($exe, (Join-Path $PSHOME 'pwsh.dll')) }
    return , [string[]]@($exe)
}

# Runs a test process with its output on this console and a deadline: past it the process and its children are
# killed and the run counts as failed, so a hang ends the test command with its count line well within CI's 90 min.
# Returns the exit code, or $null when it had to be killed.
function Invoke-WithDeadline([string] $File, [string[]] $Arguments, [TimeSpan] $Limit, [string] $What) {
    $info = [Diagnostics.ProcessStartInfo]::new($File)
    foreach ($a in $Arguments) { $info.ArgumentList.Add($a) }
    $info.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($info)
    if (-not $process.WaitForExit([int]$Limit.TotalMilliseconds)) {
        $process.Kill($true); $process.WaitForExit()
        Write-Host "$What did not end within $($Limit.TotalMinutes) min: stopped (counted as failed)"
        return $null
    }
    $process.WaitForExit()
    return $process.ExitCode
}

function Invoke-Native([string] $File, [string[]] $Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Build {
    Write-Host "Building S3Turbo $version ($Configuration) into $moduleDir"
    if (Test-Path $moduleDir) { Remove-Item $moduleDir -Recurse -Force }
    # PowerShell 7.4+ loads the net8.0 build from the module's top folder; Windows PowerShell 5.1 loads the net472
    # build from desktop/ (S3Turbo.psm1 chooses by $PSEdition). Each keeps only the cmdlet and contracts assemblies
    # (the types scripts name, in the default load context) at its top; the
    # engine and its libraries go to dependencies/ (see src/S3Turbo/Infrastructure/DependencyLoader.cs).
    foreach ($build in @{ Framework = 'net8.0'; Directory = $moduleDir }, @{ Framework = 'net472'; Directory = "$moduleDir/desktop" }) {
        $out = $build.Directory
        Invoke-Native dotnet @('publish', "$root/src/S3Turbo/S3Turbo.csproj", '-c', $Configuration, '-f', $build.Framework, '-o', $out, '--nologo', '-v', 'quiet')
        Get-ChildItem $out -File | Where-Object { $_.Extension -in '.pdb', '.json', '.config' } | Remove-Item
        $dependencies = New-Item -ItemType Directory "$out/dependencies"
        Get-ChildItem $out -File | Where-Object Name -NotIn 'S3Turbo.dll', 'S3Turbo.Contracts.dll', 'S3Turbo.Format.ps1xml' | Move-Item -Destination $dependencies
    }
    Remove-Item "$moduleDir/desktop/S3Turbo.Format.ps1xml"
    # Packages whose .NET 10 build is much faster than the one an net8.0 assembly gets (System.IO.Hashing: vectorized
    # CRCs), in dependencies/net10.0/; the loader prefers them on .NET 10 (PowerShell 7.6). Taken from the NuGet cache
    # at the version the build restored.
    $net10Dir = New-Item -ItemType Directory "$moduleDir/dependencies/net10.0"
    $hashing = [System.Reflection.AssemblyName]::GetAssemblyName("$moduleDir/dependencies/System.IO.Hashing.dll").Version
    $hashingVersion = ([xml](Get-Content "$root/Directory.Packages.props" -Raw)).Project.ItemGroup.PackageVersion | Where-Object Include -eq 'System.IO.Hashing' | ForEach-Object Version
    $nugetCache = ((dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
    Copy-Item (Join-Path $nugetCache "system.io.hashing/$hashingVersion/lib/net10.0/System.IO.Hashing.dll") $net10Dir
    if ([System.Reflection.AssemblyName]::GetAssemblyName("$net10Dir/System.IO.Hashing.dll").Version -ne $hashing) { throw "System.IO.Hashing's net10.0 build is not the version the module references ($hashing)." }
    # The same dependencies precompiled (ReadyToRun) for PowerShell 7.6 on linux-x64, in dependencies/linux-x64/;
    # the loader prefers them on that platform. See tools/ReadyToRun/S3Turbo.ReadyToRun.csproj.
    $precompiled = Join-Path ([IO.Path]::GetTempPath()) "s3turbo-r2r-$PID"
    Invoke-Native dotnet @('publish', "$root/tools/ReadyToRun/S3Turbo.ReadyToRun.csproj", '-c', $Configuration, "-p:ModuleDependencies=$moduleDir/dependencies", '-o', $precompiled, '--nologo', '-v', 'quiet')
    $r2rDir = New-Item -ItemType Directory "$moduleDir/dependencies/linux-x64"
    Get-ChildItem "$moduleDir/dependencies" -File -Filter *.dll | ForEach-Object { Copy-Item (Join-Path $precompiled $_.Name) $r2rDir }
    Remove-Item $precompiled -Recurse -Force
    Copy-Item "$root/S3Turbo.psm1", "$root/LICENSE" $moduleDir
    # The manifest's ReleaseNotes (what a gallery shows) are CHANGELOG.md's newest section, taken at build time so
    # they cannot go stale; the repository's manifest holds a summary.
    $changelog = Get-Content "$root/CHANGELOG.md" -Raw
    $newest = [regex]::Match($changelog, '(?ms)^## [^\r\n]*\r?\n(.*?)(?=^## |\z)').Groups[1].Value.Trim()
    if (-not $newest) { throw 'CHANGELOG.md has no section (## ...) to take the release notes from.' }
    $manifest = [regex]::Replace((Get-Content "$root/S3Turbo.psd1" -Raw), "(?m)^(\s*ReleaseNotes\s*=\s*)'(?:[^']|'')*'",
        { param($m) $m.Groups[1].Value + "'" + $newest.Replace("'", "''") + "'" })
    Set-Content "$moduleDir/S3Turbo.psd1" $manifest -NoNewline
    & "$root/tools/New-S3TurboHelp.ps1" -ModuleDirectory $moduleDir
    # Binary cmdlet help is looked up beside the assembly that defines the cmdlets.
    Copy-Item "$moduleDir/en-US" "$moduleDir/desktop" -Recurse
}

# Endpoint and keys for tests and demos: S3TURBO_TEST_* when set (MinIO, AWS, another Ceph), else the local
# Ceph gateway from tools/s3-server-start.sh, started when it is not already running.
function Get-TestS3 {
    if ($env:S3TURBO_TEST_ENDPOINT) {
        return @{ Endpoint = $env:S3TURBO_TEST_ENDPOINT; AccessKey = $env:S3TURBO_TEST_ACCESS_KEY; SecretKey = $env:S3TURBO_TEST_SECRET_KEY; Region = ($env:S3TURBO_TEST_REGION ?? 'us-east-1') }
    }
    Start-LocalS3 | Out-Host  # its messages must not become part of the return value
    return @{ Endpoint = 'http://127.0.0.1:7480'; AccessKey = 'S3TURBO'; SecretKey = 'S3TURBO-SECRET'; Region = 'us-east-1' }
}

# The SQS endpoint for queue tests: S3TURBO_TEST_SQS_ENDPOINT when set, else moto's server on 127.0.0.1:5055.
function Set-TestQueue {
    if (-not $env:S3TURBO_TEST_SQS_ENDPOINT) {
        Invoke-Native bash @("$root/tools/queue-server-start.sh") | Out-Host
        $env:S3TURBO_TEST_SQS_ENDPOINT = 'http://127.0.0.1:5055'
    }
}

function Start-LocalS3 { Invoke-Native bash @("$root/tools/s3-server-start.sh") }
function Stop-LocalS3 { Invoke-Native bash @("$root/tools/s3-server-stop.sh") }

function Set-TestEnvironment([hashtable] $s3) {
    $env:S3TURBO_TEST_ENDPOINT = $s3.Endpoint
    $env:S3TURBO_TEST_ACCESS_KEY = $s3.AccessKey
    $env:S3TURBO_TEST_SECRET_KEY = $s3.SecretKey
    $env:S3TURBO_TEST_REGION = $s3.Region
    $env:S3TURBO_MODULE = "$moduleDir/S3Turbo.psd1"
}

function Get-PesterPath {
    $pesterVersion = ([xml](Get-Content "$root/Directory.Packages.props" -Raw)).Project.ItemGroup.PackageVersion |
        Where-Object Include -eq 'Pester' | ForEach-Object Version
    $cache = (dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', ''
    $path = Join-Path $cache.Trim() "pester/$pesterVersion/tools/Pester.psd1"
    if (-not (Test-Path $path)) { Invoke-Native dotnet @('restore', "$root/tests/S3Turbo.Engine.Tests", '--nologo', '-v', 'quiet') }
    return $path
}

function Invoke-Test {
    Invoke-Package # the Pester suite installs the package it makes
    # Tests that stop and restart the local gateway cannot run against a store given from outside.
    $externalStore = [bool]$env:S3TURBO_TEST_ENDPOINT
    Set-TestEnvironment (Get-TestS3)
    Set-TestQueue
    $results = Join-Path $root 'output/test-results'
    if (Test-Path $results) { Remove-Item $results -Recurse -Force }
    New-Item -ItemType Directory $results | Out-Null

    Write-Host '== xunit (engine) =='
    $filter = if ($externalStore) { @('--filter', 'Category!=LocalGateway') } else { @() }
    # A test that hangs is stopped after 10 min (and fails); the whole xunit run gets 35 min.
    $xunitExit = Invoke-WithDeadline 'dotnet' (@('test', "$root/tests/S3Turbo.Engine.Tests", '-c', $Configuration, '--nologo',
            '--logger', 'trx;LogFileName=engine.trx', '--logger', 'console;verbosity=minimal', '--results-directory', $results,
            '--blame-hang-timeout', '10m', '--blame-hang-dump-type', 'none') + $filter) ([TimeSpan]::FromMinutes(35)) 'xunit'
    $trx = Get-ChildItem $results -Filter engine.trx -Recurse | Select-Object -First 1
    $xunitPassed = 0; $xunitFailed = 1
    if ($trx -and $null -ne $xunitExit) {
        $counters = ([xml](Get-Content $trx.FullName -Raw)).TestRun.ResultSummary.Counters
        $xunitPassed = [int]$counters.passed; $xunitFailed = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout
        # A run aborted under it (a test that hung, stopped by --blame-hang-timeout; a crashed test host) fails
        # however many tests passed before it.
        if ($xunitExit -ne 0 -and $xunitFailed -eq 0) { Write-Host "xunit exited with $xunitExit (the run was aborted): counted as a failure"; $xunitFailed = 1 }
    }

    Write-Host '== Pester (cmdlets, in a fresh pwsh that imports the built module) =='
    $pester = Get-PesterPath
    $pesterJson = Join-Path $results 'pester.json'
    $script = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$pester'
`$c = New-PesterConfiguration
`$c.Run.Path = '$root/tests/Pester'
`$c.Run.PassThru = `$true
`$c.Output.Verbosity = 'Normal'
`$r = Invoke-Pester -Configuration `$c
@{ Passed = `$r.PassedCount; Failed = `$r.FailedCount + `$r.FailedBlocksCount + `$r.FailedContainersCount } | ConvertTo-Json | Set-Content '$pesterJson'
"@
    $pwsh = Get-PwshCommand
    $pesterExit = Invoke-WithDeadline $pwsh[0] (@($pwsh | Select-Object -Skip 1) + @('-NoProfile', '-NonInteractive', '-Command', $script)) ([TimeSpan]::FromMinutes(40)) 'Pester'
    $pesterPassed = 0; $pesterFailed = 1
    if ($null -ne $pesterExit -and (Test-Path $pesterJson)) { $p = Get-Content $pesterJson -Raw | ConvertFrom-Json; $pesterPassed = $p.Passed; $pesterFailed = $p.Failed }

    Write-Host "xunit: $xunitPassed passed, $xunitFailed failed; Pester: $pesterPassed passed, $pesterFailed failed"
    $passed = $xunitPassed + $pesterPassed; $failed = $xunitFailed + $pesterFailed
    Write-Host "$passed passed, $failed failed"
    if ($failed -gt 0 -or $passed -eq 0) { exit 1 }
}

function Invoke-Demo {
    Invoke-Build
    Set-TestEnvironment (Get-TestS3)
    Invoke-Pwsh -NoProfile -File "$root/tools/demo.ps1"
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

function Invoke-Bench {
    Invoke-Build
    Set-TestEnvironment (Get-TestS3)
    Set-TestQueue
    # A subset of scenarios writes a file of its own, so it never replaces the full table with part of it.
    $outFile = if ($Scenario) { "$root/docs/benchmarks-$(($Scenario -split ',') -join '-').md" } else { "$root/docs/benchmarks.md" }
    $benchArgs = @('-NoProfile', '-File', "$root/tools/bench/Invoke-Benchmarks.ps1", '-OutFile', $outFile)
    if ($Scenario) { $benchArgs += @('-Scenario', ($Scenario -join ',')) }
    Invoke-Pwsh @benchArgs
    if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
}

# Load runs (hundreds of thousands of files, a million piped objects, 100,000-key listings): memory must stay
# flat. Too long for CI; figures go to docs/reliability.md.
function Invoke-Soak {
    Invoke-Build
    Set-TestEnvironment (Get-TestS3)
    & "$root/tools/soak/Invoke-Soak.ps1" -ModuleManifest "$moduleDir/S3Turbo.psd1"
    if ($LASTEXITCODE) { exit $LASTEXITCODE }
}

function Invoke-Package {
    Invoke-Build
    $dist = Join-Path $root 'output/dist'
    if (Test-Path $dist) { Remove-Item $dist -Recurse -Force }
    New-Item -ItemType Directory $dist | Out-Null
    # A zip to unpack into any PSModulePath folder (it holds S3Turbo/<version>/).
    $zip = Join-Path $dist "S3Turbo-$version.zip"
    Compress-Archive -Path "$root/output/S3Turbo" -DestinationPath $zip
    Write-Host "Packaged $zip"
    # A PowerShell Gallery package (.nupkg, its nuspec made from the manifest), published to a local file repository
    # by PSResourceGet, which ships with PowerShell 7.4+; Publish-PSResource -Repository PSGallery takes the same folder.
    $repository = "S3TurboBuild-$PID"
    Register-PSResourceRepository -Name $repository -Uri $dist -Trusted
    try { Publish-PSResource -Path $moduleDir -Repository $repository -SkipDependenciesCheck }
    finally { Unregister-PSResourceRepository -Name $repository }
    Get-ChildItem $dist -Filter *.nupkg | ForEach-Object { Write-Host "Packaged $($_.FullName)" }
}

switch ($Task) {
    'Build' { Invoke-Build }
    'Test' { Invoke-Test }
    'Demo' { Invoke-Demo }
    'Bench' { Invoke-Bench }
    'StartS3' { Start-LocalS3 }
    'StopS3' { Stop-LocalS3 }
    'Package' { Invoke-Package }
    'Soak' { Invoke-Soak }
}
