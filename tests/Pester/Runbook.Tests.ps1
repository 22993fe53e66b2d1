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

AfterAll { Remove-TestBucket $bucket }
