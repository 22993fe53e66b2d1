# Work that outlives its process: a run killed with kill -9 (or stopped by -TimeLimit) is finished by the next run
# of the same command from what the store and the destination hold, with nothing done twice and nothing mixed.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:bucket = New-TestBucket
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-resume-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory $root

    # Starts a fresh pwsh running the command (the module imported, the test store's keys given) and kills it with
    # SIGKILL as soon as $Enough says so: no finally block, no abort, nothing of the run's own clean-up happens.
    function Invoke-KilledRun([string] $Command, [scriptblock] $Enough) {
        $p = Get-TestS3Parameters
        $script = Join-Path $root ("run-{0}.ps1" -f [guid]::NewGuid().ToString('N').Substring(0, 8))
        Set-Content $script @"
Import-Module '$moduleManifest'
`$ProgressPreference = 'SilentlyContinue'
`$s3 = @{ EndpointUrl = '$($p.EndpointUrl)'; AccessKey = '$($p.AccessKey)'; SecretKey = '$($p.SecretKey)'; Region = '$($p.Region)'; WarningAction = 'SilentlyContinue' }
$Command
"@
        $pwsh = Get-PwshCommandLine
        $start = [System.Diagnostics.ProcessStartInfo]::new($pwsh.File)
        foreach ($a in $pwsh.Arguments + @('-NoProfile', '-NonInteractive', '-File', $script)) { $start.ArgumentList.Add($a) }
        $start.RedirectStandardOutput = $true; $start.RedirectStandardError = $true
        $process = [System.Diagnostics.Process]::Start($start)
        $deadline = [DateTime]::UtcNow.AddSeconds(120)
        while (-not $process.HasExited -and -not (& $Enough) -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
        $killed = -not $process.HasExited
        if ($killed) { $process.Kill(); $process.WaitForExit() }  # SIGKILL on Linux
        $killed
    }

    function Get-StoredPartCount([string] $Key) {
        $upload = @(Get-TestOpenUploads $bucket | Where-Object Key -eq $Key) | Select-Object -First 1
        if (-not $upload) { return 0 }
        try { @((Wait-Task ((Get-TestS3Client).ListPartsAsync($bucket, $Key, $upload.UploadId))).Parts).Count } catch { 0 }
    }
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'A run killed with kill -9' {
    It 'upload (seed <Seed>): the next run of the same command sends only the parts the store does not hold' -ForEach @(@{ Seed = 1 }, @{ Seed = 2 }) {
        $random = [System.Random]::new($Seed)
        $dir = Join-Path $root "up-$Seed"
        $file = Join-Path $dir 'big.bin'
        New-RandomFile $file (40MB + $random.Next(1, 1MB)) $Seed
        $key = "up-$Seed/big.bin"
        $parts = [math]::Ceiling((Get-Item $file).Length / 5MB)
        $stopAt = [math]::Floor($parts / 2) + $random.Next(0, [math]::Floor($parts / 2) - 1)
        $command = "Send-S3Directory -Path '$dir' -BucketName $bucket -KeyPrefix up-$Seed/ -MultipartThreshold 5MB -PartSize 5MB -MaxConcurrency 2 @s3"
        Invoke-KilledRun $command { (Get-StoredPartCount $key) -ge $stopAt } | Should -BeTrue -Because 'the run must still be going when it is killed'
        @(Get-TestOpenUploads $bucket | Where-Object Key -eq $key) | Should -HaveCount 1

        $result = Send-S3Directory -Path $dir -BucketName $bucket -KeyPrefix "up-$Seed/" -MultipartThreshold 5MB -PartSize 5MB -MaxConcurrency 2 -PassThru @s3
        $result.Status | Should -Be 'Uploaded'
        $result.Reason | Should -Match '^resumed: (\d+) of \d+ parts'
        [int]([regex]::Match($result.Reason, '^resumed: (\d+)').Groups[1].Value) | Should -BeGreaterOrEqual $stopAt
        [System.Linq.Enumerable]::SequenceEqual((Get-TestObjectBytes $bucket $key), [System.IO.File]::ReadAllBytes($file)) | Should -BeTrue
        Get-TestOpenUploads $bucket | Where-Object Key -eq $key | Should -BeNullOrEmpty
        if (Test-StoreKeepsChecksums) { (Get-TestStoredChecksum $bucket $key).Value | Should -Be (Get-TestCrc64Nvme ([System.IO.File]::ReadAllBytes($file))) }
    }

    It 'download: the next run keeps the ranges its journal proves and fetches the rest; no temporary file is left' {
        $src = Join-Path $root 'down-src'
        New-RandomFile (Join-Path $src 'big.bin') (40MB + 12345) 5
        $null = Send-S3Directory -Path $src -BucketName $bucket -KeyPrefix down/ @s3
        $into = Join-Path $root 'down-into'
        # Paced (5 requests a second) so that the kill lands while ranges are still to come.
        $command = "Receive-S3Prefix s3://$bucket/down/ '$into' -MultipartThreshold 5MB -PartSize 5MB -MaxConcurrency 2 -MaxRequestsPerSecond 5 @s3"
        $enough = { (@(Get-ChildItem $into -Filter '.s3turbo-*.journal' -Force -ErrorAction SilentlyContinue | ForEach-Object { (Get-Content $_.FullName).Count - 1 }) | Measure-Object -Sum).Sum -ge 4 }
        Invoke-KilledRun $command $enough | Should -BeTrue
        @(Get-ChildItem $into -Filter '.s3turbo-*' -Force) | Should -HaveCount 2   # the temporary file and its journal

        $result = Receive-S3Prefix "s3://$bucket/down/" $into -MultipartThreshold 5MB -PartSize 5MB -MaxConcurrency 2 -PassThru @s3
        $result.Status | Should -Be 'Downloaded'
        $result.Reason | Should -Match '^resumed: (\d+) of \d+ ranges'
        [System.Linq.Enumerable]::SequenceEqual([System.IO.File]::ReadAllBytes((Join-Path $into 'big.bin')), [System.IO.File]::ReadAllBytes((Join-Path $src 'big.bin'))) | Should -BeTrue
        @(Get-ChildItem $into -Filter '.s3turbo-*' -Force) | Should -HaveCount 0
    }
}

Describe '-TimeLimit' {
    It 'stops a copy, marked incomplete, and the next run completes exactly the rest' {
        $null = 1..400 | ForEach-Object { "s3://$bucket/limit-src/o$_" } | ForEach-Object {
            Wait-Task ((Get-TestS3Client).PutObjectAsync([Amazon.S3.Model.PutObjectRequest]@{ BucketName = $bucket; Key = $_.Substring($bucket.Length + 6); ContentBody = $_ }))
        }
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $first = Copy-S3Prefix "s3://$bucket/limit-src/" "s3://$bucket/limit-dst/" -TimeLimit 2s -MaxRequestsPerSecond 60 -WarningVariable warned @s3
        $clock.Elapsed.TotalSeconds | Should -BeLessThan 4
        $first.Incomplete | Should -BeTrue
        $first.StopReason | Should -Be 'TimeLimit'
        $first.ItemsTransferred | Should -BeGreaterThan 0
        $first.ItemsTransferred | Should -BeLessThan 400
        ($warned -join ' ') | Should -Match 'Stopped at the time limit .* Run the same command again'

        $second = Copy-S3Prefix "s3://$bucket/limit-src/" "s3://$bucket/limit-dst/" @s3
        $second.Incomplete | Should -BeFalse
        ($second.ItemsTransferred + $second.ItemsSkipped) | Should -Be 400
        $second.ItemsTransferred | Should -BeLessOrEqual (400 - $first.ItemsTransferred)
        @(Get-TestObjects $bucket 'limit-dst/') | Should -HaveCount 400
    }

    It 'reads durations as people write them, and refuses a bare hh:mm' {
        { Remove-S3Prefix "s3://$bucket/none/" -TimeLimit '14:00' -Force @s3 } | Should -Throw -ExpectedMessage '*is not a duration*'
        $summary = Remove-S3Prefix "s3://$bucket/none/" -TimeLimit 600 -Force @s3
        $summary.Incomplete | Should -BeFalse
    }
}

Describe 'Remove-S3Prefix -IncompleteUploads' {
    It 'aborts exactly the multipart uploads under its prefix, -WhatIf first, and counts them' {
        foreach ($k in 'inc/a/1.bin', 'inc/a/2.bin', 'inc/b/3.bin') { $null = Wait-Task ((Get-TestS3Client).InitiateMultipartUploadAsync($bucket, $k)) }
        $listed = @(Remove-S3Prefix "s3://$bucket/inc/a/" -IncompleteUploads -WhatIf -PassThru @s3)
        $listed.Key | Should -Be @('inc/a/1.bin', 'inc/a/2.bin')
        $listed | ForEach-Object { $_.Status | Should -Be 'WouldDelete'; $_.UploadId | Should -Not -BeNullOrEmpty }
        @(Get-TestOpenUploads $bucket | Where-Object Key -like 'inc/*') | Should -HaveCount 3
        Remove-S3Prefix "s3://$bucket/inc/a/" -IncompleteUploads -OlderThan 1h -Force @s3 | ForEach-Object ItemsTransferred | Should -Be 0
        $summary = Remove-S3Prefix "s3://$bucket/inc/a/" -IncompleteUploads -Force @s3
        $summary.ItemsTransferred | Should -Be 2
        @(Get-TestOpenUploads $bucket | Where-Object Key -like 'inc/*').Key | Should -Be @('inc/b/3.bin')
        { Remove-S3Prefix "s3://$bucket/inc/" -OlderThan 1h -Force @s3 } | Should -Throw -ErrorId 'ConflictingParameters*'
    }
}
