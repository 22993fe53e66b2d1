BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:client = Get-TestS3Client
    $script:bucket = New-TestBucket
    $script:work = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-receive-' + [guid]::NewGuid().ToString('N').Substring(0, 8))

    # A tree with unicode, spaces, empty files, nesting and one multipart file (20 MiB: above the 16 MiB threshold).
    $script:tree = Join-Path $work 'tree'
    $files = @{ 'plain.txt' = 'plain'; 'with space/a file.txt' = 'spaces'; 'unicodé/日本語/ファイル.txt' = 'unicode'; 'emoji 🎉.txt' = 'party'; 'deep/a/b/c/d.txt' = 'deep' }
    foreach ($entry in $files.GetEnumerator()) { [System.IO.File]::WriteAllText((New-Item -ItemType File -Force (Join-Path $tree $entry.Key)).FullName, $entry.Value) }
    New-Item -ItemType File -Force (Join-Path $tree 'empty.bin') | Out-Null
    New-Item -ItemType File -Force (Join-Path $tree 'deep/empty too.bin') | Out-Null
    New-RandomFile (Join-Path $tree 'big/multipart.bin') (20MB + 12345) 7

    function Get-TreeHashes([string] $Root) {
        $rootFull = (Resolve-Path $Root).Path
        Get-ChildItem $Root -Recurse -File -Force | Sort-Object FullName | ForEach-Object {
            '{0}={1}' -f [System.IO.Path]::GetRelativePath($rootFull, $_.FullName).Replace('\', '/'), (Get-FileHash $_.FullName -Algorithm SHA256).Hash
        }
    }
    function Put-Object([string] $Key, [string] $Body = 'x') {
        $null = Wait-Task ($client.PutObjectAsync([Amazon.S3.Model.PutObjectRequest]@{ BucketName = $bucket; Key = $Key; ContentBody = $Body }))
    }
    function Get-Leftovers([string] $Root) { @(Get-ChildItem $Root -Recurse -Force -File -ErrorAction SilentlyContinue | Where-Object Name -like '.s3turbo-*.partial') }

    $summary = Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix tree/ @s3
    if ($summary.ItemsFailed -ne 0) { throw 'seeding the tree failed' }
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Receive-S3Prefix' {
    It 'round-trips a tree with unicode, spaces, empty and multipart files byte-exact, verified' {
        $into = Join-Path $work 'round'
        $results = Receive-S3Prefix "s3://$bucket/tree/" $into -PassThru @s3
        $results | Should -HaveCount 8
        $results | ForEach-Object { $_.Status | Should -Be 'Downloaded' }
        # Objects Send-S3Directory wrote carry a CRC64NVME of the whole object where the store keeps it (one running
        # CRC over the file); else their ETags prove them.
        $keeps = Test-StoreKeepsChecksums
        ($results | Where-Object Key -eq 'tree/big/multipart.bin').Verification | Should -Be ($keeps ? 'CRC64NVME' : 'MD5 of parts')
        ($results | Where-Object Key -eq 'tree/plain.txt').Verification | Should -Be ($keeps ? 'CRC64NVME' : 'MD5')
        Get-TreeHashes $into | Should -Be (Get-TreeHashes $tree)
        Get-Leftovers $into | Should -HaveCount 0
        # Modification times come from the objects.
        $listed = @(Get-TestObjects $bucket 'tree/plain.txt')[0]
        [math]::Abs(((Get-Item (Join-Path $into 'plain.txt')).LastWriteTimeUtc - $listed.LastModified.ToUniversalTime()).TotalSeconds) | Should -BeLessThan 1
    }

    It 'downloads nothing on an Update re-run, and only the changed object after a change' {
        $into = Join-Path $work 'update'
        $null = Receive-S3Prefix -BucketName $bucket -KeyPrefix tree -Destination $into @s3
        $again = Receive-S3Prefix -BucketName $bucket -KeyPrefix tree -Destination $into @s3
        $again.ItemsTransferred | Should -Be 0
        $again.ItemsSkipped | Should -Be 8
        $again.RequestsByOperation.ContainsKey('GetObject') | Should -BeFalse
        Put-Object 'tree/plain.txt' 'PLAIN'   # same size, new content and time
        $changed = Receive-S3Prefix -BucketName $bucket -KeyPrefix tree -Destination $into -PassThru @s3
        @($changed | Where-Object Status -eq 'Downloaded').Key | Should -Be @('tree/plain.txt')
        Get-Content (Join-Path $into 'plain.txt') -Raw | Should -Be 'PLAIN'
        Put-Object 'tree/plain.txt' 'plain'
    }

    It 'refuses keys that would escape -Destination and writes nothing outside it' {
        foreach ($key in 'esc/../evil.txt', 'esc/sub/../../evil2.txt', 'esc/./dot.txt', 'esc//abs.txt', 'esc/C:/drive.txt', 'esc/ok.txt') { Put-Object $key }
        $parent = Join-Path $work 'escape'
        $into = Join-Path $parent 'dest'
        $null = Receive-S3Prefix "s3://$bucket/esc/" $into -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        $failed | Should -HaveCount 5
        $failed | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'KeyEscapesDestination*' }
        ($failed.TargetObject | Sort-Object) | Should -Contain "s3://$bucket/esc/../evil.txt"
        (Get-ChildItem $parent -Recurse -Force -File).FullName | Should -Be @((Join-Path $into 'ok.txt'))
    }

    It 'reports a key that is both a file and a folder, and a name too long for the platform' {
        Put-Object 'both/a' 'file'
        Put-Object 'both/a/b' 'below'
        Put-Object ('both/' + ('n' * 256)) 'long'
        $into = Join-Path $work 'both'
        $results = Receive-S3Prefix "s3://$bucket/both/" $into -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        ($failed.FullyQualifiedErrorId | ForEach-Object { ($_ -split ',')[0] } | Sort-Object) | Should -Be @('InvalidLocalName', 'LocalPathConflict')
        # Whichever of the two comes second is refused: "a" where a directory now is, or "a/b" under a file.
        "$($failed | Where-Object { $_.FullyQualifiedErrorId -like 'LocalPathConflict*' })" | Should -Match "both/a.*(is a directory|is a file)"
        @($results | Where-Object Status -eq 'Downloaded') | Should -HaveCount 1
        Get-Leftovers $into | Should -HaveCount 0
    }

    It '-WhatIf writes nothing, not even the destination directory' {
        $into = Join-Path $work 'whatif'
        $null = Receive-S3Prefix "s3://$bucket/tree/" $into -WhatIf @s3
        Test-Path $into | Should -BeFalse
    }

    It 'downloads piped objects with their keys relative to -KeyPrefix' {
        $into = Join-Path $work 'piped'
        $objects = @(Get-TestObjects $bucket 'tree/deep/') | ForEach-Object { [pscustomobject]@{ BucketName = $bucket; Key = $_.Key; Size = $_.Size; ETag = $_.ETag } }
        $summary = $objects | Receive-S3Prefix -KeyPrefix tree/ -Destination $into @s3
        $summary.ItemsTransferred | Should -Be 2
        Get-Content (Join-Path $into 'deep/a/b/c/d.txt') -Raw | Should -Be 'deep'
    }

    It 'leaves no partial or temporary file when stopped mid-download' {
        New-RandomFile (Join-Path $work 'stop-src/huge.bin') 96MB 3
        $null = Send-S3Directory -Path (Join-Path $work 'stop-src') -BucketName $bucket -KeyPrefix stop/ @s3
        $into = Join-Path $work 'stopped'
        $ps = [powershell]::Create()
        $null = $ps.AddScript({ param($m, $b, $d, $p) Import-Module $m; Receive-S3Prefix "s3://$b/stop/" $d -MaxConcurrency 2 @p }).AddArgument($moduleManifest).AddArgument($bucket).AddArgument($into).AddArgument($s3)
        $async = $ps.BeginInvoke()
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while ((Get-Leftovers $into).Count -eq 0 -and -not $async.IsCompleted -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 10 }
        $sawPartial = (Get-Leftovers $into).Count
        $ps.Stop()
        $ps.Dispose()
        $sawPartial | Should -Be 1 -Because 'the stop came while the temporary file was being written'
        Get-Leftovers $into | Should -HaveCount 0
        Test-Path (Join-Path $into 'huge.bin') | Should -BeFalse
    }

    It 'stops with one DiskFull error on a full disk and removes the temporary file' {
        $small = Join-Path $work 'small-disk'
        New-Item -ItemType Directory -Force $small | Out-Null
        if ($IsWindows -or (id -u) -ne '0') { Set-ItResult -Skipped -Because 'mounting a small tmpfs needs root on Linux'; return }
        mount -t tmpfs -o size=2m tmpfs $small 2>$null
        if ($LASTEXITCODE -ne 0) { Set-ItResult -Skipped -Because 'this machine does not allow mounting a tmpfs'; return }
        try {
            New-RandomFile (Join-Path $work 'disk-src/four.bin') 4MB 5
            $null = Send-S3Directory -Path (Join-Path $work 'disk-src') -BucketName $bucket -KeyPrefix disk/ @s3
            { Receive-S3Prefix "s3://$bucket/disk/" $small @s3 } | Should -Throw -ErrorId 'DiskFull*'
            Get-Leftovers $small | Should -HaveCount 0
            Test-Path (Join-Path $small 'four.bin') | Should -BeFalse
        } finally { umount $small }
    }
}
