BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:bucket = New-TestBucket
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $script:tree = Join-Path $root 'data'
    # A tree with nested directories, spaces and non-ASCII names, an empty file and a multipart-sized file.
    Set-Content -Path (New-Item -ItemType File -Force (Join-Path $tree 'top.txt')) -Value 'top' -NoNewline
    Set-Content -Path (New-Item -ItemType File -Force (Join-Path $tree 'sub dir/ünï cødé.txt')) -Value 'héllo wörld' -NoNewline
    New-Item -ItemType File -Force (Join-Path $tree 'sub dir/deeper/empty.dat') | Out-Null
    New-RandomFile (Join-Path $tree 'big/large.bin') (12MB + 123) 7
    $script:files = Get-ChildItem $tree -Recurse -File
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Send-S3Directory' {
    It 'uploads a piped tree that round-trips byte-exact, keyed relative to the common root' {
        $results = $files | Send-S3Directory -BucketName $bucket -KeyPrefix 'pipe/' -MultipartThreshold 5MB -PartSize 5MB -PassThru @s3
        $results | Should -HaveCount $files.Count
        $results.Status | Sort-Object -Unique | Should -Be 'Uploaded'
        ($results | Where-Object Key -eq 'pipe/big/large.bin').Parts | Should -Be 3
        foreach ($f in $files) {
            $key = 'pipe/' + [System.IO.Path]::GetRelativePath($tree, $f.FullName).Replace('\', '/')
            $remote = Get-TestObjectBytes $bucket $key
            $local = [System.IO.File]::ReadAllBytes($f.FullName)
            $remote.Length | Should -Be $local.Length -Because $key
            [System.Linq.Enumerable]::SequenceEqual($remote, $local) | Should -BeTrue -Because $key
        }
        Get-TestOpenUploads $bucket | Should -BeNullOrEmpty
    }

    It 'uploads by -Path -Recurse and writes one TransferSummary by default' {
        $summary = Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix 'bypath' -MultipartThreshold 5MB -PartSize 5MB @s3
        $summary | Should -HaveCount 1
        $summary.PSObject.TypeNames[0] | Should -Be 'S3Turbo.TransferSummary'
        $summary.ItemsTransferred | Should -Be $files.Count
        $summary.ItemsFailed | Should -Be 0
        $summary.BytesTransferred | Should -Be ($files | Measure-Object Length -Sum).Sum
        (Get-TestObjects $bucket 'bypath/').Key | Should -Contain 'bypath/sub dir/ünï cødé.txt'
    }

    It 'skips unchanged files in Update mode and re-sends a changed one' {
        $dir = Join-Path $root 'upd'
        Set-Content (New-Item -ItemType File -Force "$dir/a.txt") 'aaaa' -NoNewline
        Set-Content (New-Item -ItemType File -Force "$dir/b.txt") 'bbbb' -NoNewline
        New-RandomFile "$dir/big.bin" (6MB) 3
        $null = Send-S3Directory -Path $dir -BucketName $bucket -KeyPrefix upd -MultipartThreshold 5MB -PartSize 5MB @s3
        Set-Content "$dir/b.txt" 'BBBB' -NoNewline   # same size, new content
        $results = Send-S3Directory -Path $dir -BucketName $bucket -KeyPrefix upd -MultipartThreshold 5MB -PartSize 5MB -PassThru @s3
        ($results | Where-Object Key -eq 'upd/a.txt').Status | Should -Be 'Skipped'
        ($results | Where-Object Key -eq 'upd/big.bin').Status | Should -Be 'Skipped'
        ($results | Where-Object Key -eq 'upd/b.txt').Status | Should -Be 'Uploaded'
        [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $bucket 'upd/b.txt')) | Should -Be 'BBBB'
    }

    It 'decides an Update re-run from folder listings: no HEAD per file, one listing per folder' {
        $dir = Join-Path $root 'listed'
        foreach ($i in 1..1200) { [System.IO.File]::WriteAllText((New-Item -ItemType File -Force ("$dir/d{0}/f{1:D4}.txt" -f ($i % 3), $i)).FullName, "$i") }
        $null = Send-S3Directory -Path $dir -Recurse -BucketName $bucket -KeyPrefix listed @s3
        [System.IO.File]::WriteAllText("$dir/d1/f0001.txt", 'X')   # same size, new content
        $summary = Send-S3Directory -Path $dir -Recurse -BucketName $bucket -KeyPrefix listed @s3
        $summary.ItemsTransferred | Should -Be 1
        $summary.ItemsSkipped | Should -Be 1199
        # The unchanged files are proven by their ETags; the changed one, whose ETag differs, costs one HEAD (its ETag
        # might not be an MD5, so the stored checksum decides) before it is sent.
        $summary.RequestsByOperation['GetObjectMetadata'] | Should -Be 1
        # Three folders of 400 keys: one page each, after the one-key listing that finds the prefix not empty.
        $summary.RequestsByOperation['ListObjectsV2'] | Should -Be 4
        [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $bucket 'listed/d1/f0001.txt')) | Should -Be 'X'
    }

    It 'a first upload under an empty prefix in Update mode lists once, not once per folder' {
        $dir = Join-Path $root 'fresh'
        foreach ($i in 1..30) { [System.IO.File]::WriteAllText((New-Item -ItemType File -Force ("$dir/d{0}/f{1:D2}.txt" -f ($i % 10), $i)).FullName, "$i") }
        $summary = Send-S3Directory -Path $dir -Recurse -BucketName $bucket -KeyPrefix fresh @s3
        $summary.ItemsTransferred | Should -Be 30
        $summary.RequestsByOperation['ListObjectsV2'] | Should -Be 1 -Because 'ten folders under a prefix that holds nothing need no listing each'
        @(Get-TestObjects $bucket 'fresh/') | Should -HaveCount 30
    }

    It 'skips existing keys in Add mode even when the content differs' {
        $dir = Join-Path $root 'add'
        Set-Content (New-Item -ItemType File -Force "$dir/x.txt") 'one' -NoNewline
        $null = Send-S3Directory -Path $dir -BucketName $bucket -KeyPrefix add @s3
        Set-Content "$dir/x.txt" 'two' -NoNewline
        $summary = Send-S3Directory -Path $dir -BucketName $bucket -KeyPrefix add -Mode Add @s3
        $summary.ItemsSkipped | Should -Be 1
        [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $bucket 'add/x.txt')) | Should -Be 'one'
        $summary = Send-S3Directory -Path $dir -BucketName $bucket -KeyPrefix add -Mode Overwrite @s3
        $summary.ItemsTransferred | Should -Be 1
        [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $bucket 'add/x.txt')) | Should -Be 'two'
    }

    It '-WhatIf lists the files and sends nothing' {
        $out = Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix whatif -WhatIf -PassThru @s3 6>&1
        ($out | Where-Object { $_.PSTypeNames -contains 'S3Turbo.UploadResult' }).Status | Sort-Object -Unique | Should -Be 'WouldUpload'
        @(Get-TestObjects $bucket 'whatif/' | Where-Object { $_ }) | Should -HaveCount 0
    }

    It 'applies content type, metadata and tags' {
        $dir = Join-Path $root 'meta'
        Set-Content (New-Item -ItemType File -Force "$dir/page.html") '<p>x</p>' -NoNewline
        $null = Send-S3Directory -Path $dir -BucketName $bucket -KeyPrefix meta -Metadata @{ owner = 'etl' } -Tag @{ tier = 'hot' } -CacheControl 'max-age=60' @s3
        $client = Get-TestS3Client
        $head = Wait-Task ($client.GetObjectMetadataAsync($bucket, 'meta/page.html'))
        $head.Headers.ContentType | Should -Be 'text/html'
        $head.Metadata['owner'] | Should -Be 'etl'
        $head.Headers.CacheControl | Should -Be 'max-age=60'
        $tags = Wait-Task ($client.GetObjectTaggingAsync([Amazon.S3.Model.GetObjectTaggingRequest]@{ BucketName = $bucket; Key = 'meta/page.html' }))
        ($tags.Tagging | Where-Object Key -eq 'tier').Value | Should -Be 'hot'
    }

    It 'writes typed progress snapshots to the information stream' {
        $dir = Join-Path $root 'progress'
        1..3 | ForEach-Object { New-RandomFile "$dir/f$_.bin" (6MB) $_ }
        $null = Send-S3Directory -Path $dir -BucketName $bucket -KeyPrefix progress -Mode Overwrite -MultipartThreshold 5MB -PartSize 5MB -MaxConcurrency 1 -InformationVariable info @s3
        $snapshots = @($info | Where-Object { $_.Tags -contains 'S3Turbo.Progress' })
        $snapshots.Count | Should -BeGreaterThan 0
        $snapshots[-1].MessageData.PSObject.TypeNames[0] | Should -Be 'S3Turbo.TransferProgress'
        $snapshots[-1].MessageData.ItemsCompleted | Should -Be 3
    }

    Context 'bad input' {
        It 'a bad bucket name is InvalidBucketName, before any request' {
            { Send-S3Directory -Path $tree -BucketName 'Bad_Bucket!' @s3 -ErrorAction Stop } |
                Should -Throw -ErrorId 'InvalidBucketName,S3Turbo.Commands.SendS3DirectoryCommand'
        }

        It 'a missing bucket is one BucketNotFound error' {
            $err = $null
            try { Send-S3Directory -Path $tree -Recurse -BucketName 'no-such-bucket-pester' @s3 -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'BucketNotFound,S3Turbo.Commands.SendS3DirectoryCommand'
            $err.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $err.TargetObject | Should -Be 'no-such-bucket-pester'
        }

        It 'a missing path is a non-terminating PathNotFound and the other paths still go up' {
            $dir = Join-Path $root 'partial'
            Set-Content (New-Item -ItemType File -Force "$dir/ok.txt") 'ok' -NoNewline
            $missing = Join-Path $root 'does-not-exist'
            $summary = Send-S3Directory -LiteralPath $missing, $dir -BucketName $bucket -KeyPrefix partial -ErrorVariable errs -ErrorAction SilentlyContinue @s3
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'PathNotFound,S3Turbo.Commands.SendS3DirectoryCommand'
            $errs[0].TargetObject | Should -Be $missing
            $summary.ItemsTransferred | Should -Be 1
            $summary.ItemsFailed | Should -Be 1
        }

        It 'an unreadable file and an unreadable directory are SourceUnreadable errors naming them, and the rest is uploaded' -Skip:($IsWindows) {
            $dir = Join-Path $root 'unreadable'
            Set-Content (New-Item -ItemType File -Force "$dir/fine.txt") 'fine' -NoNewline
            Set-Content (New-Item -ItemType File -Force "$dir/locked.txt") 'locked' -NoNewline
            Set-Content (New-Item -ItemType File -Force "$dir/closed/inner.txt") 'inner' -NoNewline
            & chmod 000 "$dir/locked.txt" "$dir/closed"
            try {
                # In a child without root's read-anything capabilities, so the mode bits apply even in a root container.
                $output = @(Invoke-ChildPwsh -WithoutFileAccessOverride @"
Import-Module '$moduleManifest'
`$summary = Send-S3Directory -Path '$dir' -Recurse -BucketName '$bucket' -KeyPrefix unreadable -Mode Overwrite -ErrorVariable errs -ErrorAction SilentlyContinue ``
    -AccessKey '$($s3.AccessKey)' -SecretKey '$($s3.SecretKey)' -EndpointUrl '$($s3.EndpointUrl)' -WarningAction SilentlyContinue
[pscustomobject]@{
    Transferred = `$summary.ItemsTransferred; Failed = `$summary.ItemsFailed
    Errors = @(`$errs | Sort-Object { "`$(`$_.TargetObject)" } | ForEach-Object { "`$(`$_.FullyQualifiedErrorId)|`$(`$_.CategoryInfo.Category)|`$(`$_.TargetObject)" })
} | ConvertTo-Json -Compress
"@)
            } finally { & chmod 755 "$dir/closed"; & chmod 644 "$dir/locked.txt" }
            $result = $output[-1] | ConvertFrom-Json
            $result.Transferred | Should -Be 1
            $result.Failed | Should -Be 2
            $result.Errors | Should -Be @(
                "SourceUnreadable,S3Turbo.Commands.SendS3DirectoryCommand|PermissionDenied|$dir/closed"
                "SourceUnreadable,S3Turbo.Commands.SendS3DirectoryCommand|PermissionDenied|$dir/locked.txt")
            (Get-TestObjects $bucket 'unreadable/').Key | Should -Be 'unreadable/fine.txt'
        }

        It 'a FIFO and a device node are skipped with a warning, never opened (which would hang), and the rest is uploaded' -Skip:($IsWindows) {
            $dir = Join-Path $root 'fifo'
            Set-Content (New-Item -ItemType File -Force "$dir/real.txt") 'real' -NoNewline
            & mkfifo (Join-Path $dir 'pipe')
            # A character device like /dev/null (needs root to create; where not root, only the FIFO is checked).
            $devices = if ((id -u) -eq '0') { & mknod (Join-Path $dir 'null-device') c 1 3; 1 } else { 0 }
            $summary = Send-S3Directory -Path $dir -BucketName $bucket -KeyPrefix fifo -WarningVariable warnings @s3
            ($warnings -join "`n") | Should -Match 'FIFO'
            if ($devices) { ($warnings -join "`n") | Should -Match 'character device' }
            $summary.ItemsTransferred | Should -Be 1
            $summary.ItemsSkipped | Should -Be (1 + $devices)
            (Get-TestObjects $bucket 'fifo/').Key | Should -Be 'fifo/real.txt'
        }

        It 'wrong credentials give one InvalidCredentials error that does not contain the secret' {
            $bad = $s3.Clone(); $bad.SecretKey = 'definitely-wrong-secret'
            $err = $null
            try { Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix creds @bad -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'InvalidCredentials,S3Turbo.Commands.SendS3DirectoryCommand'
            $err.CategoryInfo.Category | Should -Be 'AuthenticationError'
            ($err | Out-String) | Should -Not -Match 'definitely-wrong-secret'
            @(Get-TestObjects $bucket 'creds/' | Where-Object { $_ }) | Should -HaveCount 0
        }

        It 'a part size below 5 MiB is rejected naming -PartSize' {
            { Send-S3Directory -Path $tree -BucketName $bucket -PartSize 1MB @s3 -ErrorAction Stop } |
                Should -Throw -ErrorId 'ParameterArgumentValidationError,S3Turbo.Commands.SendS3DirectoryCommand'
        }

        It 'a symbolic link loop followed with -FollowSymlink is one SymlinkLoop error, and the rest is uploaded' -Skip:($IsWindows) {
            $dir = Join-Path $root 'loop'
            Set-Content (New-Item -ItemType File -Force "$dir/a/f.txt") 'f' -NoNewline
            $null = New-Item -ItemType SymbolicLink -Path "$dir/a/up" -Target $dir
            $summary = Send-S3Directory -Path $dir -Recurse -FollowSymlink -BucketName $bucket -KeyPrefix loop -ErrorVariable errs -ErrorAction SilentlyContinue @s3
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'SymlinkLoop,S3Turbo.Commands.SendS3DirectoryCommand'
            $errs[0].TargetObject | Should -Be "$dir/a/up"
            $summary.ItemsTransferred | Should -Be 1
            (Get-TestObjects $bucket 'loop/').Key | Should -Be 'loop/a/f.txt'
        }

        It '<Name> is rejected with <ErrorId> and nothing is stored' -ForEach @(
            @{ Name = 'a key longer than 1,024 bytes'; Change = @{ KeyPrefix = 'long/' + ('k' * 1100) }; ErrorId = 'KeyTooLong'; Category = 'InvalidArgument' }
            @{ Name = '-MaxConcurrency 0'; Change = @{ MaxConcurrency = 0 }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
            @{ Name = 'a -PartSize above 5 GiB'; Change = @{ PartSize = 6GB }; ErrorId = 'ParameterArgumentValidationError'; Category = 'InvalidData' }
            @{ Name = 'an invalid -Region (on AWS)'; Change = @{ Region = 'moon-1'; EndpointUrl = $null }; ErrorId = 'InvalidRegion'; Category = 'InvalidArgument' }
            @{ Name = 'an -EndpointUrl that is not http(s)'; Change = @{ EndpointUrl = 'ftp://127.0.0.1:7480' }; ErrorId = 'InvalidEndpoint'; Category = 'InvalidArgument' }
        ) {
            # Every case writes under a prefix of its own (the long key under long/), which must stay empty.
            $p = $s3.Clone(); $p.KeyPrefix = 'rejected/'
            foreach ($k in $Change.Keys) { if ($null -eq $Change[$k]) { $p.Remove($k) } else { $p[$k] = $Change[$k] } }
            $err = $null
            try { $null = Send-S3Directory -Path "$tree/top.txt" -BucketName $bucket @p -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be "$ErrorId,S3Turbo.Commands.SendS3DirectoryCommand"
            "$($err.CategoryInfo.Category)" | Should -Be $Category
            $err.Exception.Message | Should -Not -BeNullOrEmpty
            @(Get-TestObjects $bucket 'rejected/' | Where-Object { $_ }) | Should -HaveCount 0
            @(Get-TestObjects $bucket 'long/' | Where-Object { $_ }) | Should -HaveCount 0
        }

        It 'an unreachable endpoint fails fast with EndpointUnreachable instead of retrying on and on' {
            $p = $s3.Clone(); $p.EndpointUrl = 'http://127.0.0.1:9'
            $clock = [System.Diagnostics.Stopwatch]::StartNew()
            $err = $null
            try { $null = Send-S3Directory -Path "$tree/top.txt" -BucketName $bucket @p -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'EndpointUnreachable,S3Turbo.Commands.SendS3DirectoryCommand'
            "$($err.CategoryInfo.Category)" | Should -Be 'ConnectionError'
            $err.Exception.Message | Should -Match '127\.0\.0\.1:9|reach'
            $clock.Elapsed.TotalSeconds | Should -BeLessThan 20
        }

        It 'a named profile that does not exist is ProfileNotFound' {
            $p = Get-TestS3Parameters; $p.Remove('AccessKey'); $p.Remove('SecretKey')
            { Send-S3Directory -Path $tree -BucketName $bucket -ProfileName 'no-such-profile-s3turbo' @p -ErrorAction Stop } |
                Should -Throw -ErrorId 'ProfileNotFound,S3Turbo.Commands.SendS3DirectoryCommand'
        }
    }

    It 'stopping mid-upload leaves no open multipart upload and no partial object' {
        $dir = Join-Path $root 'stop'
        1..3 | ForEach-Object { New-RandomFile "$dir/big$_.bin" (40MB) (20 + $_) }
        $open = Stop-WhenUploadOpens -Bucket $bucket -Arguments $moduleManifest, $dir, $bucket, $s3 -Script {
            param($manifest, $dir, $bucket, $s3)
            Import-Module $manifest
            Send-S3Directory -Path $dir -BucketName $bucket -KeyPrefix stop -Mode Overwrite -MultipartThreshold 5MB -PartSize 5MB -MaxConcurrency 2 @s3
        }
        $open | Should -BeGreaterThan 0 -Because 'the stop must happen mid-multipart'
        Get-TestOpenUploads $bucket | Should -BeNullOrEmpty
        @(Get-TestObjects $bucket 'stop/' | Where-Object { $_ }) | Should -HaveCount 0
    }
}
