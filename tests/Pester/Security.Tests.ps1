BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:secret = $s3.SecretKey

    # Everything a run emits, as text: each record of streams 1-6 rendered as the console would, plus the full
    # property lists of output objects and of the progress snapshots carried by information records.
    function ConvertTo-AllText([object[]] $Records) {
        foreach ($record in $Records) {
            $record | Out-String -Width 500
            $payload = if ($record -is [System.Management.Automation.InformationRecord]) { $record.MessageData } else { $record }
            if ($payload -is [System.IO.Stream]) { continue }
            $payload | Format-List * -Force | Out-String -Width 500
            if ($record -is [System.Management.Automation.ErrorRecord]) { $record.Exception.ToString(); $record.ErrorDetails.Message; $record.TargetObject | Out-String }
        }
    }
}

Describe 'Secrets and transport' {
    BeforeAll {
        $script:bucket = New-TestBucket
        $script:tree = New-TestTree @{ 'a.txt' = 'a'; 'b/c.txt' = 'c' }
        $big = Join-Path $tree 'big.bin'
        New-RandomFile $big (6MB) 3
        # A tiny tar for the indexer.
        & tar -C $tree -cf (Join-Path $tree 'small.tar') a.txt
    }

    It 'no stream of any cmdlet (output, errors, warnings, verbose, debug, progress snapshots) carries the secret key' {
        $records = & {
            Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix sec/ -PassThru -MultipartThreshold 5MB -PartSize 5MB @s3 -Verbose -Debug -InformationAction Continue *>&1
            Copy-S3Prefix -SourceBucket $bucket -SourcePrefix sec/ -DestinationBucket $bucket -DestinationPrefix sec-copy/ -PassThru @s3 -Verbose -Debug -InformationAction Continue *>&1
            Get-S3TarIndex -BucketName $bucket -Key sec/small.tar @s3 -Verbose -Debug *>&1
            'stream' | New-S3UploadStream -BucketName $bucket -Key sec/stream.txt @s3 -Verbose -Debug *>&1
            $stream = Open-S3Object -BucketName $bucket -Key sec/a.txt @s3 -Verbose -Debug
            $stream.Dispose()
            # Failures too: wrong keys, a denied request, a missing bucket.
            $wrong = $s3.Clone(); $wrong.SecretKey = "$secret-but-wrong"
            try { Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix sec-fail/ @wrong -Verbose -Debug *>&1 } catch { $_ }
            try { Copy-S3Prefix -SourceBucket no-such-bucket-sec -SourcePrefix x/ -DestinationBucket $bucket -DestinationPrefix y/ @s3 -Verbose -Debug *>&1 } catch { $_ }
        } 5>&1 4>&1 3>&1 2>&1
        $records.Count | Should -BeGreaterThan 10 -Because 'the runs must have produced records to search'
        @($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Count | Should -BeGreaterThan 0
        @($records | Where-Object { $_ -is [System.Management.Automation.ErrorRecord] }).Count | Should -BeGreaterThan 0
        @($records | Where-Object { $_ -is [System.Management.Automation.InformationRecord] }).Count | Should -BeGreaterThan 0
        $text = (ConvertTo-AllText $records) -join "`n"
        $text | Should -Match ([regex]::Escape($s3.AccessKey)) -Because 'the search itself must see what the runs printed'
        $text | Should -Not -Match ([regex]::Escape($secret))
    }

    It 'credentials from $StoredAWSCredentials are used and never written out' {
        $global:StoredAWSCredentials = [Amazon.Runtime.BasicAWSCredentials]::new($s3.AccessKey, $secret)
        try {
            $p = $s3.Clone(); $p.Remove('AccessKey'); $p.Remove('SecretKey')
            $records = Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix sec-stored/ -PassThru @p -Verbose -Debug *>&1
        } finally { Remove-Variable -Name StoredAWSCredentials -Scope Global }
        $results = @($records | Where-Object { $_.PSObject.TypeNames -contains 'S3Turbo.UploadResult' })
        $results.Count | Should -Be 4
        ($results.Status | Sort-Object -Unique) | Should -Be 'Uploaded'
        ($records | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }).Message | Should -Contain 'Credentials from credential object.'
        (ConvertTo-AllText $records) -join "`n" | Should -Not -Match ([regex]::Escape($secret))
    }

    It 'warns about a plain-http endpoint' {
        if (-not $s3.EndpointUrl.StartsWith('http://')) { Set-ItResult -Skipped -Because 'the test store is not plain http'; return }
        # In a fresh process: the warning comes once per endpoint and process.
        $output = @(Invoke-ChildPwsh @"
Import-Module '$moduleManifest'
`$null = Send-S3Directory -Path '$tree/a.txt' -BucketName '$bucket' -KeyPrefix sec-warn/ -EndpointUrl '$($s3.EndpointUrl)' ``
    -AccessKey '$($s3.AccessKey)' -SecretKey '$secret' -WarningVariable warnings -WarningAction SilentlyContinue
'WARNINGS: ' + (`$warnings -join ' / ')
"@)
        $output[-1] | Should -Match '^WARNINGS: .*plain http'
    }

    AfterAll { Remove-TestBucket $bucket }
}
