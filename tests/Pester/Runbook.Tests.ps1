BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:s3 = Get-TestS3Parameters
    $script:bucket = New-TestBucket
    $script:tree = New-TestTree @{ 'one.txt' = '1'; 'two/two.txt' = '22'; 'two/three.txt' = '333' }
}

# The way docs/runbooks.md runs S3Turbo: a child `pwsh -NonInteractive`, no progress bar, errors that stop.
Describe 'Non-interactive (runbook) use' {
    It 'runs with keys from variables, writes typed progress to the information stream, and exits 0' {
        $output = @(Invoke-ChildPwsh @"
`$ErrorActionPreference = 'Stop'
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$moduleManifest'
# In Azure Automation these come from Get-AutomationVariable.
`$accessKey = '$($s3.AccessKey)'; `$secretKey = '$($s3.SecretKey)'
`$summary = Send-S3Directory -Path '$tree' -Recurse -BucketName '$bucket' -KeyPrefix runbook/ -AccessKey `$accessKey -SecretKey `$secretKey ``
    -EndpointUrl '$($s3.EndpointUrl)' -Region '$($s3.Region)' -WarningAction SilentlyContinue -InformationVariable progress
`$snapshots = @(`$progress | Where-Object Tags -contains 'S3Turbo.Progress')
[pscustomobject]@{
    Transferred = `$summary.ItemsTransferred; Snapshots = `$snapshots.Count
    SnapshotType = `$snapshots[-1].MessageData.PSObject.TypeNames[0]; LastCompleted = `$snapshots[-1].MessageData.ItemsCompleted
} | ConvertTo-Json -Compress
"@)
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $result = $output[-1] | ConvertFrom-Json
        $result.Transferred | Should -Be 3
        $result.Snapshots | Should -BeGreaterThan 0
        $result.SnapshotType | Should -Be 'S3Turbo.TransferProgress'
        $result.LastCompleted | Should -Be 3
    }

    It 'takes credentials and region from the environment (as on an instance or container with a role)' {
        $output = @(Invoke-ChildPwsh @"
`$ErrorActionPreference = 'Stop'
`$ProgressPreference = 'SilentlyContinue'
`$env:AWS_ACCESS_KEY_ID = '$($s3.AccessKey)'; `$env:AWS_SECRET_ACCESS_KEY = '$($s3.SecretKey)'
`$env:AWS_REGION = '$($s3.Region)'; `$env:AWS_ENDPOINT_URL_S3 = '$($s3.EndpointUrl)'
Import-Module '$moduleManifest'
(Copy-S3Prefix -SourceBucket '$bucket' -SourcePrefix runbook/ -DestinationBucket '$bucket' -DestinationPrefix runbook-env/ -WarningAction SilentlyContinue -Verbose 4>&1 |
    ForEach-Object { if (`$_ -is [System.Management.Automation.VerboseRecord]) { 'VERBOSE: ' + `$_.Message } else { 'COPIED: ' + `$_.ItemsTransferred } })
"@)
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output | Should -Contain 'COPIED: 3'
        ($output -join "`n") | Should -Match 'Credentials from default chain'
        @(Get-TestObjects $bucket 'runbook-env/' | Where-Object { $_ }) | Should -HaveCount 3
    }

    It 'exits 1 with the ErrorId when -ErrorAction Stop meets a failure' {
        $output = @(Invoke-ChildPwsh @"
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$moduleManifest'
Send-S3Directory -Path '$tree' -Recurse -BucketName 'no-such-bucket-runbook' -AccessKey '$($s3.AccessKey)' -SecretKey '$($s3.SecretKey)' ``
    -EndpointUrl '$($s3.EndpointUrl)' -WarningAction SilentlyContinue -ErrorAction Stop
'not reached'
"@)
        $LASTEXITCODE | Should -Be 1
        ($output -join "`n") | Should -Match 'no-such-bucket-runbook'
        $output | Should -Not -Contain 'not reached'
    }

    It 'reports per-file failures without stopping, so the runbook can set its own exit code' {
        $output = @(Invoke-ChildPwsh @"
`$ProgressPreference = 'SilentlyContinue'
Import-Module '$moduleManifest'
`$summary = Send-S3Directory -LiteralPath '$tree/one.txt', '$tree/missing.txt' -BucketName '$bucket' -KeyPrefix runbook-partial/ ``
    -AccessKey '$($s3.AccessKey)' -SecretKey '$($s3.SecretKey)' -EndpointUrl '$($s3.EndpointUrl)' -WarningAction SilentlyContinue -ErrorVariable failures -ErrorAction SilentlyContinue
"sent `$(`$summary.ItemsTransferred), failed `$(`$summary.ItemsFailed), first error `$(`$failures[0].FullyQualifiedErrorId)"
if (`$summary.ItemsFailed -gt 0) { exit 2 }
"@)
        $LASTEXITCODE | Should -Be 2
        $output[-1] | Should -Be 'sent 1, failed 1, first error PathNotFound,S3Turbo.Commands.SendS3DirectoryCommand'
    }
}

# The recipes in docs/runbooks.md, run as they are written there: the text is cut from the document, and only what the
# host would give is supplied around it (the module on the path, credentials and the endpoint in the environment,
# Azure Automation's Get-AutomationVariable from a stand-in module).
Describe 'The recipes of docs/runbooks.md, as written' {
    BeforeAll {
        $script:doc = Get-Content (Join-Path $PSScriptRoot '../../docs/runbooks.md') -Raw
        function Get-Recipe([string] $Heading, [string] $Language = 'powershell') {
            $at = $doc.IndexOf("## $Heading")
            if ($at -lt 0) { throw "docs/runbooks.md has no section '$Heading'" }
            [regex]::Match($doc.Substring($at), '```' + $Language + '\r?\n(?<code>.*?)```', 'Singleline').Groups['code'].Value
        }
        # output/S3Turbo/<version>/S3Turbo.psd1: the folder that holds S3Turbo/ goes on the module path.
        $script:modulesRoot = Split-Path (Split-Path (Split-Path $moduleManifest -Parent) -Parent) -Parent
        $script:hostModules = Join-Path ([System.IO.Path]::GetTempPath()) ('runbook-host-' + [guid]::NewGuid().ToString('N').Substring(0, 6))
        $stand = New-Item -ItemType Directory -Force (Join-Path $hostModules 'AutomationStandIn')
        Set-Content (Join-Path $stand 'AutomationStandIn.psm1') 'function Get-AutomationVariable([string] $Name) { [Environment]::GetEnvironmentVariable("AUTOMATION_$Name") }'
        # Runs a recipe file in a child pwsh with the host's environment; returns its output, leaves $LASTEXITCODE.
        function Invoke-Recipe([string] $Code, [string] $Arguments) {
            $file = Join-Path $hostModules ("recipe-" + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.ps1')
            Set-Content $file $Code
            $p = Get-TestS3Parameters
            Invoke-ChildPwsh @"
`$env:PSModulePath = '$modulesRoot' + [IO.Path]::PathSeparator + '$hostModules' + [IO.Path]::PathSeparator + `$env:PSModulePath
`$env:AWS_ENDPOINT_URL_S3 = '$($p.EndpointUrl)'; `$env:AWS_ACCESS_KEY_ID = '$($p.AccessKey)'; `$env:AWS_SECRET_ACCESS_KEY = '$($p.SecretKey)'; `$env:AWS_REGION = '$($p.Region)'
`$env:AUTOMATION_S3AccessKey = '$($p.AccessKey)'; `$env:AUTOMATION_S3SecretKey = '$($p.SecretKey)'
& '$file' $Arguments
exit `$LASTEXITCODE
"@
        }
    }
    AfterAll { Remove-Item $hostModules -Recurse -Force -ErrorAction SilentlyContinue }

    It 'Azure Automation: uploads and exits 0; a file that fails ends the job with an error (exit 1)' {
        $recipe = Get-Recipe 'Azure Automation'
        $recipe | Should -Match 'Get-AutomationVariable'
        $output = Invoke-Recipe $recipe "-Bucket '$bucket' -Source '$tree'"
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        (Get-TestObjects $bucket 'export/' | Where-Object { $_ }).Count | Should -Be 3
        $output = Invoke-Recipe $recipe "-Bucket '$bucket' -Source '$tree/missing'"
        $LASTEXITCODE | Should -Be 1 -Because ($output -join "`n")
        ($output -join "`n") | Should -Match 'PathNotFound'
    }

    It 'a manifest-driven copy: exit 0 when it copied, 1 when the manifest is missing or refused' {
        $recipe = Get-Recipe 'A copy driven by a manifest'
        $manifest = Join-Path $tree '../manifest.csv'
        Set-Content $manifest "$bucket,runbook/one.txt`n$bucket,runbook/two/two.txt"
        $output = Invoke-Recipe $recipe "-Manifest '$manifest' -Destination 's3://$bucket/from-manifest/'"
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        @(Get-TestObjects $bucket 'from-manifest/' | Where-Object { $_ }).Count | Should -Be 2
        $output = Invoke-Recipe $recipe "-Manifest '$manifest.missing' -Destination 's3://$bucket/from-manifest/'"
        $LASTEXITCODE | Should -Be 1
        ($output -join "`n") | Should -Match 'ManifestNotFound|does not exist|not found'
        Set-Content $manifest "$bucket,runbook/one.txt,v1,too,many,fields"
        $output = Invoke-Recipe $recipe "-Manifest '$manifest' -Destination 's3://$bucket/from-manifest-bad/'"
        $LASTEXITCODE | Should -Be 1
        @(Get-TestObjects $bucket 'from-manifest-bad/' | Where-Object { $_ }).Count | Should -Be 0
    }

    It 'Systems Manager Run Command: the document''s commands exit 0, and 1 for a missing bucket' {
        $document = Get-Recipe 'AWS Systems Manager: Run Command' 'json' | ConvertFrom-Json
        $commands = $document.mainSteps[0].inputs.runCommand -join "`n"
        $output = Invoke-Recipe ($commands.Replace('{{ SourcePath }}', $tree).Replace('{{ Bucket }}', $bucket)) ''
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output = Invoke-Recipe ($commands.Replace('{{ SourcePath }}', $tree).Replace('{{ Bucket }}', 'no-such-bucket-ssm')) ''
        $LASTEXITCODE | Should -Be 1
    }
}

AfterAll { Remove-TestBucket $bucket }
