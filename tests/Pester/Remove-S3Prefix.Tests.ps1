BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:client = Get-TestS3Client
    $script:bucket = New-TestBucket
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-remove-' + [guid]::NewGuid().ToString('N').Substring(0, 8))

    # 2,500 small files, uploaded once per test that needs them under a prefix of its own.
    $script:many = Join-Path $root 'many'
    foreach ($i in 0..2499) { [System.IO.File]::WriteAllText((New-Item -ItemType File -Force (Join-Path $many ('d{0}/o{1:D4}.txt' -f ($i % 7), $i))).FullName, "$i") }
    $script:few = Join-Path $root 'few'
    foreach ($name in 'a.txt', 'b.log', 'c.txt', 'sub/d.txt', 'sub/e.log') { [System.IO.File]::WriteAllText((New-Item -ItemType File -Force (Join-Path $few $name)).FullName, $name) }

    function Send-Tree([string] $Path, [string] $Prefix, [string] $To = $bucket) {
        $summary = Send-S3Directory -Path $Path -Recurse -BucketName $To -KeyPrefix $Prefix -Mode Overwrite @s3
        $summary.ItemsFailed | Should -Be 0
    }
    function Get-Keys([string] $Prefix, [string] $In = $bucket) { @(Get-TestObjects $In $Prefix | Where-Object { $_ } | ForEach-Object Key) }
    function Get-Versions([string] $Bucket) {
        $page = Wait-Task ($client.ListVersionsAsync([Amazon.S3.Model.ListVersionsRequest]@{ BucketName = $Bucket }))
        @($page.Versions | Where-Object { $_ })
    }
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Remove-S3Prefix' {
    It 'removes 2,500 objects in 3 DeleteObjects requests and leaves neighbours with a similar prefix alone' {
        Send-Tree $many 'logs/'
        Send-Tree $few 'logs2/'
        Send-Tree $few 'logs-old/'
        $summary = Remove-S3Prefix "s3://$bucket/logs" -Force @s3
        $summary.ItemsTransferred | Should -Be 2500
        $summary.ItemsFailed | Should -Be 0
        # Counted per operation by the run's request budget (each request once, however often it was retried).
        $summary.RequestsByOperation['DeleteObjects'] | Should -Be 3
        $summary.RequestsByOperation['ListObjectsV2'] | Should -Be 3
        Get-Keys 'logs/' | Should -HaveCount 0
        Get-Keys 'logs2/' | Should -HaveCount 5
        Get-Keys 'logs-old/' | Should -HaveCount 5
    }

    It '-WhatIf lists every key and removes nothing' {
        Send-Tree $few 'whatif/'
        # What-if lines go to the host: a child pwsh's output shows them.
        $p = Get-TestS3Parameters
        $output = Invoke-ChildPwsh ("Import-Module '$moduleManifest'; Remove-S3Prefix -BucketName $bucket -KeyPrefix whatif -Force -WhatIf " +
            "-EndpointUrl $($p.EndpointUrl) -AccessKey $($p.AccessKey) -SecretKey $($p.SecretKey) -WarningAction SilentlyContinue | Out-Null")
        $lines = @($output | Where-Object { $_ -like "What if:*s3://$bucket/whatif/*" })
        $lines | Should -HaveCount 6 -Because 'one line for the run and one per key'
        $lines[1..5] | ForEach-Object { $_ | Should -BeLike '*"Remove"*' }
        Get-Keys 'whatif/' | Should -HaveCount 5
    }

    It 'removes only what -Include/-Exclude accept' {
        Send-Tree $few 'filter/'
        $results = Remove-S3Prefix "s3://$bucket/filter/" -Include *.txt -Exclude 'sub/*' -Force -PassThru @s3
        ($results.Key | Sort-Object) | Should -Be @('filter/a.txt', 'filter/c.txt')
        (Get-Keys 'filter/' | Sort-Object) | Should -Be @('filter/b.log', 'filter/sub/d.txt', 'filter/sub/e.log')
    }

    It 'refuses the whole bucket without -Force, names it, and removes it all with -Force' {
        $scratch = New-TestBucket
        try {
            Send-Tree $few 'x/' $scratch
            Remove-S3Prefix -BucketName $scratch -Confirm:$false -ErrorVariable failed -ErrorAction SilentlyContinue @s3 | Out-Null
            $failed[0].FullyQualifiedErrorId | Should -BeLike 'WholeBucketNeedsForce*'
            "$($failed[0])" | Should -BeLike "*s3://$scratch/*-Force*"
            Get-Keys '' $scratch | Should -HaveCount 5
            (Remove-S3Prefix "s3://$scratch" -Force @s3).ItemsTransferred | Should -Be 5
            Get-Keys '' $scratch | Should -HaveCount 0
        } finally { Remove-TestBucket $scratch }
    }

    It 'removes piped objects in batches and reports a piped object without a Key' {
        Send-Tree $few 'piped/'
        $listed = @(Get-TestObjects $bucket 'piped/' | ForEach-Object { [pscustomobject]@{ BucketName = $bucket; Key = $_.Key; Size = $_.Size } })
        $results = @($listed + [pscustomobject]@{ BucketName = $bucket } | Remove-S3Prefix -Force -BatchSize 2 -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue @s3)
        $results | Should -HaveCount 5
        ($results.Status | Sort-Object -Unique) | Should -Be 'Deleted'
        ($results | Measure-Object Size -Sum).Sum | Should -Be ($listed | Measure-Object Size -Sum).Sum
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'InvalidInput*'
        Get-Keys 'piped/' | Should -HaveCount 0
    }

    It 'reports a key the bucket policy denies, with its key, and removes the rest of its batch' {
        Send-Tree $few 'denied/'
        $policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::' + $bucket + '/denied/b.log"}]}'
        $null = Wait-Task ($client.PutBucketPolicyAsync([Amazon.S3.Model.PutBucketPolicyRequest]@{ BucketName = $bucket; Policy = $policy }))
        try {
            $summary = Remove-S3Prefix "s3://$bucket/denied/" -Force -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        } finally { $null = Wait-Task ($client.DeleteBucketPolicyAsync($bucket)) }
        $summary.ItemsTransferred | Should -Be 4
        $summary.ItemsFailed | Should -Be 1
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'AccessDenied*'
        $failed[0].TargetObject | Should -Be 'denied/b.log'
        $failed[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        Get-Keys 'denied/' | Should -Be @('denied/b.log')
    }

    It 'with -AllVersions leaves no version or delete marker on a versioned bucket' {
        $versioned = New-TestBucket
        try {
            $null = Wait-Task ($client.PutBucketVersioningAsync([Amazon.S3.Model.PutBucketVersioningRequest]@{
                BucketName = $versioned; VersioningConfig = [Amazon.S3.Model.S3BucketVersioningConfig]@{ Status = 'Enabled' } }))
            Send-Tree $few 'v/' $versioned
            Send-Tree $few 'v/' $versioned                                       # a second version of each
            $null = Wait-Task ($client.DeleteObjectAsync($versioned, 'v/a.txt'))  # and a delete marker
            Send-Tree $few 'keep/' $versioned
            $before = Get-Versions $versioned | Where-Object Key -like 'v/*'
            $before | Should -HaveCount 11
            # Without -AllVersions a removal only adds delete markers, as S3 does.
            (Remove-S3Prefix "s3://$versioned/v/" -Include c.txt -Force @s3).ItemsTransferred | Should -Be 1
            @(Get-Versions $versioned | Where-Object Key -like 'v/*') | Should -HaveCount 12
            $summary = Remove-S3Prefix "s3://$versioned/v/" -AllVersions -Force @s3
            $summary.ItemsTransferred | Should -Be 12
            @(Get-Versions $versioned | Where-Object Key -like 'v/*') | Should -HaveCount 0
            @(Get-Versions $versioned | Where-Object Key -like 'keep/*') | Should -HaveCount 5
            # A piped VersionId removes exactly that version.
            $one = Get-Versions $versioned | Where-Object Key -eq 'keep/a.txt'
            $gone = [pscustomobject]@{ BucketName = $versioned; Key = 'keep/a.txt'; VersionId = $one.VersionId } | Remove-S3Prefix -Force -PassThru @s3
            $gone.VersionId | Should -Be $one.VersionId
            @(Get-Versions $versioned | Where-Object Key -like 'keep/*') | Should -HaveCount 4
        } finally {
            foreach ($v in Get-Versions $versioned) { $null = Wait-Task ($client.DeleteObjectAsync([Amazon.S3.Model.DeleteObjectRequest]@{ BucketName = $versioned; Key = $v.Key; VersionId = $v.VersionId })) }
            $null = Wait-Task ($client.DeleteBucketAsync($versioned))
        }
    }
}
