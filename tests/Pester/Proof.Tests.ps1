# Every object S3Turbo writes carries the checksum of its whole content (FULL_OBJECT, CRC64NVME by default), which
# the store keeps and HEAD returns: whatever cmdlet wrote it, single-part or multipart.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:bucket = New-TestBucket
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-proof-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $src = Join-Path $root 'src'
    New-RandomFile (Join-Path $src 'small.bin') 70000 1
    New-RandomFile (Join-Path $src 'big.bin') (11MB + 3) 2
    Set-Content (Join-Path $src 'page.html') ('<p>proof</p>' * 2000) -NoNewline
    & tar --create --file (Join-Path $root 'a.tar') --directory $src small.bin
    $script:keeps = Test-StoreKeepsChecksums

    # Asserts that the object holds a FULL_OBJECT CRC64NVME of exactly its bytes (or, on a store that keeps no
    # checksums, none).
    function Assert-WholeChecksum([string] $Key) {
        $stored = Get-TestStoredChecksum $bucket $Key
        if (-not $keeps) { $stored | Should -BeNullOrEmpty -Because "$Key on a store that keeps no checksum"; return }
        $stored.Algorithm | Should -Be 'CRC64NVME' -Because $Key
        $stored.Type | Should -Be 'FULL_OBJECT' -Because $Key
        $stored.Value | Should -Be (Get-TestCrc64Nvme (Get-TestObjectBytes $bucket $Key)) -Because $Key
    }
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The checksum of every object written' {
    It 'Send-S3Directory: single-part, multipart and gzip-compressed objects, and its completion report' {
        $results = Send-S3Directory (Join-Path $root 'src') -BucketName $bucket -KeyPrefix sent/ -MultipartThreshold 5MB -PartSize 5MB -Gzip -PassThru -ReportPath "s3://$bucket/reports/" @s3
        $results | Should -HaveCount 3
        ($results | Where-Object Key -eq 'sent/big.bin').Parts | Should -Be 3
        ($results | Where-Object Key -eq 'sent/page.html').ContentEncoding | Should -Be 'gzip'
        foreach ($result in $results) {
            Assert-WholeChecksum $result.Key
            $result.Checksum | Should -Be ('CRC64NVME:' + (Get-TestCrc64Nvme (Get-TestObjectBytes $bucket $result.Key)))
        }
        $reports = @(Get-TestObjects $bucket 'reports/')
        $reports.Count | Should -BeGreaterOrEqual 2   # manifest.json and the succeeded tasks' CSV
        foreach ($report in $reports) { Assert-WholeChecksum $report.Key }
    }

    It 'New-S3UploadStream: one PutObject and a multipart upload' {
        $small = 'a line' | New-S3UploadStream -BucketName $bucket -Key streamed/small.txt @s3
        $big = Get-Item (Join-Path $root 'src/big.bin') | New-S3UploadStream -BucketName $bucket -Key streamed/big.bin -PartSize 5MB @s3
        $big.Parts | Should -Be 3
        Assert-WholeChecksum 'streamed/small.txt'
        Assert-WholeChecksum 'streamed/big.bin'
        $small.Checksum | Should -Match '^CRC64NVME:'
    }

    It 'Copy-S3Prefix: whole copies and part copies keep the source''s checksum' {
        $summary = Copy-S3Prefix "s3://$bucket/sent/" "s3://$bucket/copied/" -MultipartCopyThreshold 5MB @s3
        $summary.ItemsTransferred | Should -Be 3
        foreach ($key in 'copied/small.bin', 'copied/big.bin', 'copied/page.html') { Assert-WholeChecksum $key }
    }

    It 'Get-S3TarIndex: the index objects it writes' {
        $null = Send-S3Directory -LiteralPath (Join-Path $root 'a.tar') -BucketName $bucket -KeyPrefix tars/ @s3
        $null = Get-S3TarIndex "s3://$bucket/tars/a.tar" -DestinationBucket $bucket -DestinationPrefix index/ @s3
        $null = Get-S3TarIndex "s3://$bucket/tars/a.tar" -DestinationBucket $bucket -DestinationKey index/all.parquet @s3
        $keys = @(Get-TestObjects $bucket 'index/').Key
        $keys | Should -HaveCount 2
        foreach ($key in $keys) { Assert-WholeChecksum $key }
    }

    It '-ChecksumAlgorithm picks another algorithm, and None sends none' {
        $null = 'crc32c' | New-S3UploadStream -BucketName $bucket -Key algo/crc32c.txt -ChecksumAlgorithm CRC32C @s3
        $null = Send-S3Directory -LiteralPath (Join-Path $root 'src/small.bin') -BucketName $bucket -KeyPrefix algo/none/ -ChecksumAlgorithm None @s3
        if ($keeps) { (Get-TestStoredChecksum $bucket 'algo/crc32c.txt').Algorithm | Should -Be 'CRC32C' }
        Get-TestStoredChecksum $bucket 'algo/none/small.bin' | Should -BeNullOrEmpty
        [System.Linq.Enumerable]::SequenceEqual([System.IO.File]::ReadAllBytes((Join-Path $root 'src/small.bin')), (Get-TestObjectBytes $bucket 'algo/none/small.bin')) | Should -BeTrue
    }
}
