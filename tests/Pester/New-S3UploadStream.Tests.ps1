BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:bucket = New-TestBucket
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-stream-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $root | Out-Null
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'New-S3UploadStream' {
    It 'uploads piped lines as UTF-8 with LF endings and outputs an UploadResult' {
        $lines = 'first', 'zwëite – ünïcode', '', 'last ✓'
        $result = $lines | New-S3UploadStream -BucketName $bucket -Key 'lines/utf8.txt' @s3
        $result.PSObject.TypeNames[0] | Should -Be 'S3Turbo.UploadResult'
        $expected = [System.Text.UTF8Encoding]::new($false).GetBytes(($lines -join "`n") + "`n")
        $result.Size | Should -Be $expected.Length
        $result.Parts | Should -Be 1
        [System.Linq.Enumerable]::SequenceEqual((Get-TestObjectBytes $bucket 'lines/utf8.txt'), [byte[]]$expected) | Should -BeTrue
    }

    It 'honours -Encoding and -NoNewline' {
        $null = 'ä', 'b' | New-S3UploadStream -BucketName $bucket -Key 'lines/utf16.txt' -Encoding ([System.Text.Encoding]::Unicode) -NoNewline @s3
        [System.Text.Encoding]::Unicode.GetString((Get-TestObjectBytes $bucket 'lines/utf16.txt')) | Should -Be 'äb'
    }

    It 'uploads a piped file''s bytes as they are, in parts when large' {
        $file = Join-Path $root 'big.bin'
        New-RandomFile $file (11MB + 3) 21
        $result = Get-Item $file | New-S3UploadStream -BucketName $bucket -Key 'files/big.bin' -PartSize 5MB @s3
        $result.Parts | Should -Be 3
        $result.ETag | Should -Match '-3"?$'
        [System.Linq.Enumerable]::SequenceEqual((Get-TestObjectBytes $bucket 'files/big.bin'), [System.IO.File]::ReadAllBytes($file)) | Should -BeTrue
        Get-TestOpenUploads $bucket | Should -BeNullOrEmpty
    }

    It 'returns a stream that a StreamWriter can write to, completed by Dispose' {
        $s = New-S3UploadStream -BucketName $bucket -Key 'writer/log.txt' -ContentType 'text/plain' -Metadata @{ source = 'pester' } @s3
        $s.GetType().FullName | Should -Be 'S3Turbo.S3UploadStream'
        $s.CanWrite | Should -BeTrue
        $s.CanSeek | Should -BeFalse
        $w = [System.IO.StreamWriter]::new($s)
        foreach ($i in 1..2000) { $w.WriteLine("line $i") }
        $w.Dispose()
        $s.Result.Status | Should -Be 'Uploaded'
        $text = [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $bucket 'writer/log.txt'))
        ($text -split "`n")[1999] | Should -Be 'line 2000'
        $head = Wait-Task ((Get-TestS3Client).GetObjectMetadataAsync($bucket, 'writer/log.txt'))
        $head.Headers.ContentType | Should -Be 'text/plain'
        $head.Metadata['source'] | Should -Be 'pester'
    }

    It 'Abort() leaves no object and no open upload' {
        $s = New-S3UploadStream -BucketName $bucket -Key 'aborted/x.bin' -PartSize 5MB @s3
        $s.Write([byte[]]::new(12MB), 0, 12MB)
        $s.Abort()
        $s.Dispose()
        Get-TestOpenUploads $bucket | Should -BeNullOrEmpty
        @(Get-TestObjects $bucket 'aborted/' | Where-Object { $_ }) | Should -HaveCount 0
    }

    It 'a bad key or part size is a clear error' {
        { New-S3UploadStream -BucketName $bucket -Key ('k' * 1100) @s3 -ErrorAction Stop } | Should -Throw -ErrorId 'KeyTooLong,S3Turbo.Commands.NewS3UploadStreamCommand'
        { New-S3UploadStream -BucketName $bucket -Key 'x' -PartSize 1MB @s3 -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentValidationError,S3Turbo.Commands.NewS3UploadStreamCommand'
        { New-S3UploadStream -BucketName 'Bad_Bucket' -Key 'x' @s3 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidBucketName,S3Turbo.Commands.NewS3UploadStreamCommand'
    }

    It '-WhatIf uploads nothing' {
        $out = 'a', 'b' | New-S3UploadStream -BucketName $bucket -Key 'whatif/x.txt' -WhatIf @s3
        $out | Should -BeNullOrEmpty
        @(Get-TestObjects $bucket 'whatif/' | Where-Object { $_ }) | Should -HaveCount 0
    }

    It 'stopping the pipeline mid-upload aborts the multipart upload' {
        $open = Stop-WhenUploadOpens -Bucket $bucket -KeyPrefix 'stop/' -Arguments $moduleManifest, $bucket, $s3 -Script {
            param($manifest, $bucket, $s3)
            Import-Module $manifest
            $line = 'x' * 1023
            1..1000000 | ForEach-Object { $line } | New-S3UploadStream -BucketName $bucket -Key 'stop/endless.txt' -PartSize 5MB @s3
        }
        $open | Should -BeGreaterThan 0 -Because 'the stop must happen mid-upload'
        @(Get-TestOpenUploads $bucket | Where-Object Key -like 'stop/*' | ForEach-Object { "$($_.Key) $($_.Initiated)" }) | Should -BeNullOrEmpty
        @(Get-TestObjects $bucket 'stop/' | Where-Object { $_ }) | Should -HaveCount 0
    }

    It 'leaves no multipart upload open in the bucket once every upload above has ended' {
        # Each test checks its own upload as it ends; this catches one that is listed again later (a part the server
        # stored after the abort), naming it.
        $deadline = [DateTime]::UtcNow.AddSeconds(10)
        while (@(Get-TestOpenUploads $bucket).Count -gt 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 250 }
        @(Get-TestOpenUploads $bucket | ForEach-Object { "$($_.Key) initiated $($_.Initiated)" }) | Should -BeNullOrEmpty
    }
}
