BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:bucket = New-TestBucket
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-open-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $root | Out-Null
    $script:file = Join-Path $root 'data.bin'
    New-RandomFile $file (6MB + 17) 31
    $null = Send-S3Directory -Path $file -BucketName $bucket -KeyPrefix obj @s3
    # A zip of 16 stored (incompressible) 512 KiB entries.
    $zipPath = Join-Path $root 'a.zip'
    $zip = [System.IO.Compression.ZipFile]::Open($zipPath, 'Create')
    foreach ($i in 1..16) {
        $e = $zip.CreateEntry("e$i.bin", 'NoCompression'); $w = $e.Open()
        $b = [byte[]]::new(512KB); [System.Random]::new($i).NextBytes($b); $w.Write($b, 0, $b.Length); $w.Dispose()
    }
    $zip.Dispose()
    $null = Send-S3Directory -Path $zipPath -BucketName $bucket -KeyPrefix zip @s3
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Open-S3Object' {
    It 'returns a seekable read-only stream that BinaryReader can read at any offset' {
        $s = Open-S3Object "s3://$bucket/obj/data.bin" @s3
        try {
            $s.GetType().FullName | Should -Be 'S3Turbo.S3ObjectStream'
            $s.CanSeek | Should -BeTrue
            $s.CanWrite | Should -BeFalse
            $s.Length | Should -Be (6MB + 17)
            $local = [System.IO.File]::ReadAllBytes($file)
            $r = [System.IO.BinaryReader]::new($s)
            foreach ($offset in 0, (1MB - 2), (3MB + 5), (6MB + 9)) {
                $s.Position = $offset
                $bytes = $r.ReadBytes(8)
                [System.Linq.Enumerable]::SequenceEqual($bytes, [byte[]]$local[$offset..($offset + $bytes.Length - 1)]) | Should -BeTrue -Because "offset $offset"
            }
            $s.Stats.Requests | Should -BeLessOrEqual 4
        } finally { $s.Dispose() }
    }

    It 'lists a zip''s entries from S3 while fetching a small part of it' {
        $s = Open-S3Object -BucketName $bucket -Key 'zip/a.zip' -BlockSize 64KB @s3
        try {
            $zip = [System.IO.Compression.ZipArchive]::new($s, [System.IO.Compression.ZipArchiveMode]::Read)
            $zip.Entries | Should -HaveCount 16
            ($zip.Entries | Where-Object Name -eq 'e16.bin').Length | Should -Be 512KB
            $s.Stats.BytesRequested | Should -BeLessThan ($s.Length / 20)
        } finally { $s.Dispose() }
    }

    It 'a missing object is a non-terminating ObjectNotFound error with the URI as target' {
        $out = Open-S3Object "s3://$bucket/no/such.bin" -ErrorVariable errs -ErrorAction SilentlyContinue @s3
        $out | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -Be 'ObjectNotFound,S3Turbo.Commands.OpenS3ObjectCommand'
        $errs[0].TargetObject | Should -Be "s3://$bucket/no/such.bin"
    }

    It 'a block size too small is rejected naming -BlockSize' {
        { Open-S3Object "s3://$bucket/obj/data.bin" -BlockSize 100 @s3 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,S3Turbo.Commands.OpenS3ObjectCommand'
    }
}
