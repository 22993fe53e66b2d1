# Send-S3Directory's seed options: -Gzip, -Tar, and -Compare, against the real gateway.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:bucket = New-TestBucket
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-' + [guid]::NewGuid().ToString('N').Substring(0, 8))

    function script:Get-Head([string] $Key) { Wait-Task ((Get-TestS3Client).GetObjectMetadataAsync($bucket, $Key)) }
    function script:Expand-Gzip([byte[]] $Bytes) {
        $out = [System.IO.MemoryStream]::new()
        $gz = [System.IO.Compression.GZipStream]::new([System.IO.MemoryStream]::new($Bytes), [System.IO.Compression.CompressionMode]::Decompress)
        $gz.CopyTo($out); $gz.Dispose()
        , $out.ToArray()
    }
    function script:Test-SameBytes([byte[]] $A, [byte[]] $B) { $A.Length -eq $B.Length -and [System.Linq.Enumerable]::SequenceEqual($A, $B) }
    # A tar's member data offsets as GNU tar lays them out (--block-number gives each header's 512-byte block).
    function script:Get-TarBlocks([string] $Archive) {
        foreach ($line in & tar --list --block-number --file $Archive) {
            if ($line -match '^block (\d+): (.*)$') { [pscustomobject]@{ Block = [long]$Matches[1]; Name = $Matches[2] } }
        }
    }

    # Tar sources: nested names, unicode, an empty member, a symbolic link and a member above the 5 MiB threshold.
    $script:src = Join-Path $root 'tarsrc'
    Set-Content -Path (New-Item -ItemType File -Force (Join-Path $src 'top.txt')) -Value 'top level' -NoNewline
    Set-Content -Path (New-Item -ItemType File -Force (Join-Path $src 'd1/ünï cødé.txt')) -Value 'héllo wörld' -NoNewline
    New-Item -ItemType File -Force (Join-Path $src 'd1/empty.dat') | Out-Null
    New-RandomFile (Join-Path $src 'd1/d2/big.bin') (6MB + 777) 11
    New-RandomFile (Join-Path $src 'd1/small.bin') 70000 12
    $null = New-Item -ItemType SymbolicLink -Path (Join-Path $src 'link-to-top') -Target 'top.txt'
    $script:archives = Join-Path $root 'archives'
    $null = New-Item -ItemType Directory -Force $archives
    & tar --create --format=gnu --file (Join-Path $archives 'plain.tar') --directory $src .
    & tar --create --gzip --file (Join-Path $archives 'members.tgz') --directory $src top.txt d1
    & tar --create --format=pax --file (Join-Path $archives 'members.tar') --directory $src top.txt d1
    & zstd -q -f -o (Join-Path $archives 'members.tar.zst') (Join-Path $archives 'members.tar')
    $script:memberFiles = Get-ChildItem $src -Recurse -File | Where-Object { -not $_.LinkTarget }
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Send-S3Directory -Gzip' {
    BeforeAll {
        $script:gzDir = Join-Path $root 'gz'
        Set-Content (New-Item -ItemType File -Force "$gzDir/page.html") ('<p>hello</p>' * 500) -NoNewline
        Set-Content (New-Item -ItemType File -Force "$gzDir/data/x.json") ('{"k": "v"}' * 300) -NoNewline
        New-RandomFile "$gzDir/photo.bin" 5000 5
        # Text files above the 5 MiB threshold stream through an upload stream: one compresses to a single PUT, one
        # (random bytes named .txt) stays large enough to go up in 5 MiB parts.
        $null = New-Item -ItemType Directory -Force "$gzDir/big"
        $line = [System.Text.Encoding]::ASCII.GetBytes("2026-12-03 line of a log that compresses well`n")
        $log = [System.IO.MemoryStream]::new(); while ($log.Length -lt 6MB) { $log.Write($line, 0, $line.Length) }
        [System.IO.File]::WriteAllBytes("$gzDir/big/log.txt", $log.ToArray())
        New-RandomFile "$gzDir/big/noise.txt" (6MB + 5) 9
        $script:gzArgs = @{ BucketName = $bucket; KeyPrefix = 'gz/'; Gzip = $true; MultipartThreshold = 5MB; PartSize = 5MB }
    }

    It 'stores text types gzip-compressed with Content-Encoding gzip, which decompress to the original bytes' {
        $results = Send-S3Directory -Path $gzDir -Recurse -PassThru @gzArgs @s3
        $results | Should -HaveCount 5
        $results.Status | Sort-Object -Unique | Should -Be 'Uploaded'
        foreach ($name in 'page.html', 'data/x.json', 'big/log.txt', 'big/noise.txt') {
            $local = [System.IO.File]::ReadAllBytes("$gzDir/$name")
            $head = Get-Head "gz/$name"
            $head.Headers.ContentEncoding | Should -Be 'gzip' -Because $name
            $head.Metadata['x-amz-meta-s3turbo-source-size'] | Should -Be $local.Length -Because $name
            $stored = Get-TestObjectBytes $bucket "gz/$name"
            if ($name -ne 'big/noise.txt') { $stored.Length | Should -BeLessThan ($local.Length / 4) -Because "$name compresses" }
            Test-SameBytes (Expand-Gzip $stored) $local | Should -BeTrue -Because $name
            ($results | Where-Object Key -eq "gz/$name").ContentEncoding | Should -Be 'gzip'
        }
        ($results | Where-Object Key -eq 'gz/big/log.txt').Parts | Should -Be 1
        ($results | Where-Object Key -eq 'gz/big/noise.txt').Parts | Should -Be 2
        (Get-Head 'gz/page.html').Headers.ContentType | Should -Be 'text/html'
        (Get-Head 'gz/photo.bin').Headers.ContentEncoding | Should -Not -Match 'gzip'   # Ceph 18 reports aws-chunked here
        Test-SameBytes (Get-TestObjectBytes $bucket 'gz/photo.bin') ([System.IO.File]::ReadAllBytes("$gzDir/photo.bin")) | Should -BeTrue
        Get-TestOpenUploads $bucket | Should -BeNullOrEmpty
    }

    It 're-runs skip every gzip object from the listings alone, and a same-size change is sent again' {
        $again = Send-S3Directory -Path $gzDir -Recurse @gzArgs @s3
        $again.ItemsSkipped | Should -Be 5
        $again.ItemsTransferred | Should -Be 0
        $again.RequestsByOperation.ContainsKey('PutObject') | Should -BeFalse
        # Only the multipart gzip object (big/noise.txt) needs a HEAD, for its recorded source MD5.
        $again.RequestsByOperation['GetObjectMetadata'] | Should -Be 1
        $text = [System.IO.File]::ReadAllText("$gzDir/page.html")
        Set-Content "$gzDir/page.html" ($text.Substring(0, $text.Length - 1) + 'X') -NoNewline
        $changed = Send-S3Directory -Path $gzDir -Recurse -PassThru @gzArgs @s3
        ($changed | Where-Object Status -eq Uploaded).Key | Should -Be 'gz/page.html'
        Test-SameBytes (Expand-Gzip (Get-TestObjectBytes $bucket 'gz/page.html')) ([System.IO.File]::ReadAllBytes("$gzDir/page.html")) | Should -BeTrue
    }

    It 'compresses only the -GzipContentType given, and refuses -ContentEncoding beside it' {
        $results = Send-S3Directory -Path $gzDir -Recurse -BucketName $bucket -KeyPrefix gz-json/ -GzipContentType 'application/json' -Mode Overwrite -PassThru @s3
        ($results | Where-Object ContentEncoding -eq 'gzip').Key | Should -Be 'gz-json/data/x.json'
        { Send-S3Directory -Path $gzDir -BucketName $bucket -Gzip -ContentEncoding br -ErrorAction Stop @s3 } |
            Should -Throw -ErrorId 'ConflictingParameters*'
    }
}

Describe 'Send-S3Directory -Compare' {
    BeforeAll {
        $script:cmpDir = Join-Path $root 'cmp'
        Set-Content (New-Item -ItemType File -Force "$cmpDir/a.txt") 'aaaa' -NoNewline
        Set-Content (New-Item -ItemType File -Force "$cmpDir/b.txt") 'bbbb' -NoNewline
        (Get-Item "$cmpDir/a.txt").LastWriteTimeUtc = [datetime]::new(2024, 5, 6, 7, 8, 9, 123, [DateTimeKind]::Utc)
        $null = Send-S3Directory -Path $cmpDir -BucketName $bucket -KeyPrefix cmp/ @s3
    }

    It 'records each file''s modification time in x-amz-meta-mtime, as rclone does' {
        (Get-Head 'cmp/a.txt').Metadata['x-amz-meta-mtime'] | Should -Be '1714979289.123'
    }

    It 'ModifiedTime skips by recorded time without reading, and sends a file whose time changed' {
        $same = Send-S3Directory -Path $cmpDir -BucketName $bucket -KeyPrefix cmp/ -Compare ModifiedTime @s3
        $same.ItemsSkipped | Should -Be 2
        $same.RequestsByOperation['GetObjectMetadata'] | Should -Be 2
        (Get-Item "$cmpDir/b.txt").LastWriteTimeUtc = [datetime]::UtcNow.AddMinutes(-5)
        $touched = Send-S3Directory -Path $cmpDir -BucketName $bucket -KeyPrefix cmp/ -Compare ModifiedTime -PassThru @s3
        ($touched | Where-Object Status -eq Uploaded).Key | Should -Be 'cmp/b.txt'
    }

    It 'Size skips same-size files from the listing alone; Checksum (the default) still catches the change' {
        $time = (Get-Item "$cmpDir/a.txt").LastWriteTimeUtc
        Set-Content "$cmpDir/a.txt" 'AAAA' -NoNewline
        (Get-Item "$cmpDir/a.txt").LastWriteTimeUtc = $time   # same size, same time, new content
        $sizeOnly = Send-S3Directory -Path $cmpDir -BucketName $bucket -KeyPrefix cmp/ -Compare Size @s3
        $sizeOnly.ItemsSkipped | Should -Be 2
        $sizeOnly.RequestsByOperation.ContainsKey('GetObjectMetadata') | Should -BeFalse
        $checked = Send-S3Directory -Path $cmpDir -BucketName $bucket -KeyPrefix cmp/ -PassThru @s3
        ($checked | Where-Object Status -eq Uploaded).Key | Should -Be 'cmp/a.txt'
        [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $bucket 'cmp/a.txt')) | Should -Be 'AAAA'
    }
}

Describe 'Send-S3Directory -Tar' {
    It 'uploads the members of a <Name> archive byte-exact, keyed by their member paths' -ForEach @(
        @{ Name = 'plain.tar'; Prefix = 'plain/' }
        @{ Name = 'members.tgz'; Prefix = 'tgz/' }
        @{ Name = 'members.tar.zst'; Prefix = 'zst/' }
    ) {
        $results = Send-S3Directory -Path (Join-Path $archives $Name) -Tar -BucketName $bucket -KeyPrefix $Prefix -MultipartThreshold 5MB -PartSize 5MB -PassThru -WarningVariable warnings @s3
        $uploaded = $results | Where-Object Status -eq Uploaded
        $uploaded | Should -HaveCount $memberFiles.Count
        foreach ($f in $memberFiles) {
            $key = $Prefix + [System.IO.Path]::GetRelativePath($src, $f.FullName).Replace('\', '/')
            Test-SameBytes (Get-TestObjectBytes $bucket $key) ([System.IO.File]::ReadAllBytes($f.FullName)) | Should -BeTrue -Because $key
        }
        ($uploaded | Where-Object Key -eq "${Prefix}d1/d2/big.bin").Parts | Should -BeGreaterThan 1
        $stored = (Get-TestObjects $bucket $Prefix).Key
        $stored | Should -HaveCount $memberFiles.Count   # no directory markers, no link objects
        if ($Name -eq 'plain.tar') { "$warnings" | Should -Match 'link-to-top.*symbolic link' }
        Get-TestOpenUploads $bucket | Should -BeNullOrEmpty
        $again = Send-S3Directory -Path (Join-Path $archives $Name) -Tar -BucketName $bucket -KeyPrefix $Prefix -MultipartThreshold 5MB -PartSize 5MB @s3
        $again.ItemsTransferred | Should -Be ($(if ($Name -eq 'plain.tar') { 0 } else { 1 })) -Because 'only a large member of a compressed archive cannot be compared by checksum'
    }

    It 'a truncated archive gives one error naming the offset, and no half member is stored' {
        $plain = Join-Path $archives 'members.tar'
        $bigBlock = (Get-TarBlocks $plain | Where-Object Name -like '*big.bin').Block
        $cut = ($bigBlock + 1) * 512 + 3MB   # 3 MiB into big.bin's data
        $bytes = [System.IO.File]::ReadAllBytes($plain)
        $truncated = Join-Path $archives 'truncated.tar'
        [System.IO.File]::WriteAllBytes($truncated, $bytes[0..($cut - 1)])
        & gzip -c $truncated > (Join-Path $archives 'truncated.tar.gz')
        foreach ($case in @(@{ File = $truncated; Prefix = 'cut/' }, @{ File = (Join-Path $archives 'truncated.tar.gz'); Prefix = 'cutgz/' })) {
            $results = Send-S3Directory -Path $case.File -Tar -BucketName $bucket -KeyPrefix $case.Prefix -MultipartThreshold 5MB -PassThru -ErrorVariable errs -ErrorAction SilentlyContinue @s3
            $errs | Should -HaveCount 1 -Because $case.File
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'TruncatedTarArchive*'
            $errs[0].Exception.Message | Should -Match 'offset [\d,]+'
            $keys = (Get-TestObjects $bucket $case.Prefix).Key
            $keys | Should -Not -Contain "$($case.Prefix)d1/d2/big.bin"
            $keys | Should -Contain "$($case.Prefix)top.txt"
            ($results | Where-Object Status -eq Uploaded).Key | Should -Not -Contain "$($case.Prefix)d1/d2/big.bin"
        }
        Get-TestOpenUploads $bucket | Should -BeNullOrEmpty
    }

    It 'a corrupt header gives InvalidTarArchive at that header''s offset after the members before it' {
        $plain = Join-Path $archives 'members.tar'
        $block = (Get-TarBlocks $plain | Where-Object Name -like '*small.bin').Block
        $bytes = [System.IO.File]::ReadAllBytes($plain)
        $bytes[$block * 512 + 10] = $bytes[$block * 512 + 10] -bxor 0x55
        $corrupt = Join-Path $archives 'corrupt.tar'
        [System.IO.File]::WriteAllBytes($corrupt, $bytes)
        $null = Send-S3Directory -Path $corrupt -Tar -BucketName $bucket -KeyPrefix bad/ -ErrorVariable errs -ErrorAction SilentlyContinue @s3
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'InvalidTarArchive*'
        $errs[0].Exception.Message | Should -Match ("offset {0:N0}" -f ($block * 512))
        (Get-TestObjects $bucket 'bad/').Key | Should -Not -Contain 'bad/d1/small.bin'
    }
}
