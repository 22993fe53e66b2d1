BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:source = New-TestBucket
    $script:target = New-TestBucket
    $script:client = Get-TestS3Client
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-copy-' + [guid]::NewGuid().ToString('N').Substring(0, 8))

    # 1,520 small objects in 19 folders: with -PageSize 100 the listing takes 16 pages.
    $many = Join-Path $root 'many'
    foreach ($i in 0..1519) { New-RandomFile (Join-Path $many ('d{0:D2}/o{1:D4}.bin' -f ($i % 19), $i)) (64 + $i % 200) $i }
    $null = Send-S3Directory -Path $many -Recurse -BucketName $source -KeyPrefix many -Mode Overwrite @s3

    # Objects with metadata, content type and tags: one small, one over the (lowered) multipart threshold.
    $meta = Join-Path $root 'meta'
    Set-Content (New-Item -ItemType File -Force "$meta/page.html") '<p>héllo</p>' -NoNewline
    New-RandomFile "$meta/big.bin" (12MB + 5) 11
    $null = Send-S3Directory -Path $meta -BucketName $source -KeyPrefix meta -Mode Overwrite -MultipartThreshold 5MB -PartSize 5MB `
        -Metadata @{ owner = 'etl' } -Tag @{ tier = 'hot' } -CacheControl 'max-age=60' @s3

    function Get-Tags([string] $Bucket, [string] $Key) {
        $t = Wait-Task ($client.GetObjectTaggingAsync([Amazon.S3.Model.GetObjectTaggingRequest]@{ BucketName = $Bucket; Key = $Key }))
        $h = @{}; foreach ($tag in $t.Tagging) { $h[$tag.Key] = $tag.Value }; $h
    }
    function Get-Listing([string] $Bucket, [string] $Prefix) {
        $map = @{}; foreach ($o in Get-TestObjects $Bucket $Prefix) { if ($o) { $map[$o.Key.Substring($Prefix.Length)] = $o } }; $map
    }
}

AfterAll {
    Remove-TestBucket $source
    Remove-TestBucket $target
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Copy-S3Prefix' {
    It 'copies 1,520 objects across 16 listing pages exactly once, byte-exact' {
        $results = Copy-S3Prefix -SourceBucket $source -SourcePrefix many -DestinationBucket $target -DestinationPrefix copy/many -PageSize 100 -PassThru @s3
        $results | Should -HaveCount 1520
        ($results.Status | Sort-Object -Unique) | Should -Be 'Copied'
        @($results | Group-Object SourceKey | Where-Object Count -ne 1) | Should -HaveCount 0
        $src = Get-Listing $source 'many/'
        $dst = Get-Listing $target 'copy/many/'
        $dst.Count | Should -Be 1520
        foreach ($rel in $src.Keys) {
            $dst[$rel].Size | Should -Be $src[$rel].Size -Because $rel
            $dst[$rel].ETag | Should -Be $src[$rel].ETag -Because "$rel (single-part ETags are the content's MD5)"
        }
        foreach ($rel in @($src.Keys | Get-Random -Count 12 -SetSeed 5)) {
            $a = Get-TestObjectBytes $source "many/$rel"; $b = Get-TestObjectBytes $target "copy/many/$rel"
            [System.Linq.Enumerable]::SequenceEqual($a, $b) | Should -BeTrue -Because $rel
        }
    }

    It 'keeps metadata, content type, cache control and tags on the single and the multipart path' {
        $results = Copy-S3Prefix "s3://$source/meta/" "s3://$target/copy/meta/" -MultipartCopyThreshold 5MB -PartSize 5MB -PassThru @s3
        ($results | Where-Object SourceKey -eq 'meta/big.bin').Parts | Should -Be 3
        ($results | Where-Object SourceKey -eq 'meta/page.html').Parts | Should -Be 1
        foreach ($name in 'page.html', 'big.bin') {
            $srcHead = Wait-Task ($client.GetObjectMetadataAsync($source, "meta/$name"))
            $head = Wait-Task ($client.GetObjectMetadataAsync($target, "copy/meta/$name"))
            $head.Headers.ContentType | Should -Be $srcHead.Headers.ContentType -Because $name
            $head.Metadata['owner'] | Should -Be 'etl' -Because $name
            $head.Headers.CacheControl | Should -Be 'max-age=60' -Because $name
            (Get-Tags $target "copy/meta/$name")['tier'] | Should -Be 'hot' -Because $name
            $head.ETag | Should -Be $srcHead.ETag -Because "$name (the multipart copy mirrors the source's part layout)"
        }
        [System.Linq.Enumerable]::SequenceEqual((Get-TestObjectBytes $source 'meta/big.bin'), (Get-TestObjectBytes $target 'copy/meta/big.bin')) | Should -BeTrue
        Get-TestOpenUploads $target | Should -BeNullOrEmpty
    }

    It 'replaces metadata and tags when asked, and drops tags with -CopyTags $false' {
        $null = Copy-S3Prefix "s3://$source/meta/" "s3://$target/replaced/" -Mode Overwrite -MetadataDirective Replace -ContentType 'text/plain' `
            -Metadata @{ owner = 'ops' } -Tag @{ tier = 'cold' } -MultipartCopyThreshold 5MB -PartSize 5MB @s3
        $null = Copy-S3Prefix "s3://$source/meta/" "s3://$target/untagged/" -Mode Overwrite -CopyTags $false -MultipartCopyThreshold 5MB -PartSize 5MB @s3
        foreach ($name in 'page.html', 'big.bin') {
            $head = Wait-Task ($client.GetObjectMetadataAsync($target, "replaced/$name"))
            $head.Headers.ContentType | Should -Be 'text/plain' -Because $name
            $head.Metadata['owner'] | Should -Be 'ops' -Because $name
            (Get-Tags $target "replaced/$name")['tier'] | Should -Be 'cold' -Because $name
            (Get-Tags $target "untagged/$name").Count | Should -Be 0 -Because $name
            (Wait-Task ($client.GetObjectMetadataAsync($target, "untagged/$name"))).Metadata['owner'] | Should -Be 'etl' -Because $name
        }
    }

    It 'Update skips unchanged objects and copies changed ones; Add skips existing keys' {
        $null = Copy-S3Prefix "s3://$source/meta/" "s3://$target/modes/" -MultipartCopyThreshold 5MB -PartSize 5MB @s3
        $again = Copy-S3Prefix "s3://$source/meta/" "s3://$target/modes/" -MultipartCopyThreshold 5MB -PartSize 5MB -PassThru @s3
        ($again.Status | Sort-Object -Unique) | Should -Be 'Skipped'
        ($again.Reason | Sort-Object -Unique) | Should -Be 'unchanged'

        $null = Wait-Task ($client.PutObjectAsync([Amazon.S3.Model.PutObjectRequest]@{ BucketName = $source; Key = 'meta/page.html'; ContentBody = '<p>new</p>' }))
        $add = Copy-S3Prefix "s3://$source/meta/" "s3://$target/modes/" -Mode Add -PassThru @s3
        ($add.Status | Sort-Object -Unique) | Should -Be 'Skipped'
        $update = Copy-S3Prefix "s3://$source/meta/" "s3://$target/modes/" -MultipartCopyThreshold 5MB -PartSize 5MB -PassThru @s3
        ($update | Where-Object SourceKey -eq 'meta/page.html').Status | Should -Be 'Copied'
        ($update | Where-Object SourceKey -eq 'meta/big.bin').Status | Should -Be 'Skipped'
        [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $target 'modes/page.html')) | Should -Be '<p>new</p>'
    }

    It 'copies objects piped from a listing, keyed relative to -SourcePrefix, with -Include/-Exclude on prefixes' {
        $listed = @(Get-TestObjects $source 'many/d03/' | Select-Object -First 5 | ForEach-Object { [pscustomobject]@{ BucketName = $source; Key = $_.Key; Size = $_.Size; ETag = $_.ETag } })
        $results = $listed | Copy-S3Prefix -SourcePrefix many -DestinationBucket $target -DestinationPrefix piped -PassThru @s3
        $results | Should -HaveCount 5
        ($results.DestinationKey | Sort-Object) | Should -Be ($listed.Key | ForEach-Object { 'piped/' + $_.Substring(5) } | Sort-Object)
        $summary = Copy-S3Prefix "s3://$source/many/" "s3://$target/filtered/" -Include 'd01/*', 'd02/*' -Exclude '*5.bin' @s3
        $keys = (Get-Listing $target 'filtered/').Keys
        $keys | Should -Not -BeNullOrEmpty
        @($keys | Where-Object { $_ -notmatch '^d0[12]/' -or $_ -like '*5.bin' }) | Should -HaveCount 0
        $summary.ItemsTransferred | Should -Be $keys.Count
    }

    It '-WhatIf lists the copies and copies nothing' {
        $out = Copy-S3Prefix "s3://$source/meta/" "s3://$target/whatif/" -WhatIf -PassThru @s3
        ($out.Status | Sort-Object -Unique) | Should -Be 'WouldCopy'
        $out | Should -HaveCount 2
        @(Get-TestObjects $target 'whatif/' | Where-Object { $_ }) | Should -HaveCount 0
    }

    Context 'bad input' {
        It 'a missing source bucket is BucketNotFound naming that bucket' {
            $summary = Copy-S3Prefix 's3://no-such-bucket-pester/x/' "s3://$target/nb/" -ErrorVariable errs -ErrorAction SilentlyContinue @s3
            $errs | Should -HaveCount 1
            $errs[0].FullyQualifiedErrorId | Should -Be 'BucketNotFound,S3Turbo.Commands.CopyS3PrefixCommand'
            $errs[0].TargetObject | Should -Be 'no-such-bucket-pester'
            $summary.ItemsTransferred | Should -Be 0
        }

        It 'a destination given twice, or not at all, stops the run with <ErrorId> before anything is copied' -ForEach @(
            @{ ErrorId = 'AmbiguousDestination'; Destination = @{ Destination = 's3://x-bucket/p/'; DestinationBucket = 'x-bucket' } }
            @{ ErrorId = 'NoDestination'; Destination = @{} }
        ) {
            $err = $null
            try { Copy-S3Prefix -Source "s3://$source/meta/" @Destination @s3 -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be "$ErrorId,S3Turbo.Commands.CopyS3PrefixCommand"
            "$($err.CategoryInfo.Category)" | Should -Be 'InvalidArgument'
            $err.Exception.Message | Should -Match 'destination'
        }

        It 'an empty prefix copies nothing and says so' {
            $summary = Copy-S3Prefix "s3://$source/nothing-here/" "s3://$target/empty/" -WarningVariable warnings -WarningAction SilentlyContinue @s3
            $summary.ItemsTransferred | Should -Be 0
            $summary.ItemsFailed | Should -Be 0
            ($warnings -join "`n") | Should -Match 'No objects under'
        }

        It 'a destination inside the source, or the source itself, is refused before anything is copied' {
            $err = $null
            try { Copy-S3Prefix "s3://$source/meta/" "s3://$source/meta/sub/" @s3 -ErrorAction Stop } catch { $err = $_ }
            $err.FullyQualifiedErrorId | Should -Be 'DestinationInsideSource,S3Turbo.Commands.CopyS3PrefixCommand'
            $err.Exception.Message | Should -Match 'inside the source'
            { Copy-S3Prefix -SourceBucket $source -SourcePrefix meta -DestinationBucket $source -DestinationPrefix 'meta/' @s3 -ErrorAction Stop } |
                Should -Throw -ErrorId 'CopyOntoItself,S3Turbo.Commands.CopyS3PrefixCommand'
            @(Get-TestObjects $source 'meta/sub/' | Where-Object { $_ }) | Should -HaveCount 0
        }

        It 'a source that is not an S3 URI is InvalidS3Uri' {
            { Copy-S3Prefix 'raw/2024/' "s3://$target/x/" @s3 -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidS3Uri,S3Turbo.Commands.CopyS3PrefixCommand'
        }

        It 'no permission on the destination gives one AccessDenied error per object, with the source as target' {
            $denied = New-TestBucket
            try {
                $policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::' + $denied + '/*"}]}'
                $null = Wait-Task ($client.PutBucketPolicyAsync([Amazon.S3.Model.PutBucketPolicyRequest]@{ BucketName = $denied; Policy = $policy }))
                $summary = Copy-S3Prefix "s3://$source/meta/" "s3://$denied/x/" -ErrorVariable errs -ErrorAction SilentlyContinue @s3
                $errs | Should -HaveCount 2
                ($errs.FullyQualifiedErrorId | Sort-Object -Unique) | Should -Be 'AccessDenied,S3Turbo.Commands.CopyS3PrefixCommand'
                ($errs.CategoryInfo.Category | Sort-Object -Unique) | Should -Be 'PermissionDenied'
                ($errs.TargetObject | Sort-Object) | Should -Be @("s3://$source/meta/big.bin", "s3://$source/meta/page.html")
                $summary.ItemsFailed | Should -Be 2
                @(Get-TestObjects $denied 'x/' | Where-Object { $_ }) | Should -HaveCount 0
            } finally {
                $null = Wait-Task ($client.DeleteBucketPolicyAsync($denied))
                Remove-TestBucket $denied
            }
        }
    }

    It 'stopping mid-copy leaves no open multipart upload and no partial object' {
        $null = 1..3 | ForEach-Object { New-RandomFile (Join-Path $root "stop/big$_.bin") (30MB) (40 + $_) }
        $null = Send-S3Directory -Path (Join-Path $root 'stop') -BucketName $source -KeyPrefix stop -Mode Overwrite @s3
        $open = Stop-WhenUploadOpens -Bucket $target -Arguments $moduleManifest, $source, $target, $s3 -Script {
            param($manifest, $source, $target, $s3)
            Import-Module $manifest
            # A low request rate keeps the 18 part copies slow enough to stop in the middle.
            Copy-S3Prefix "s3://$source/stop/" "s3://$target/stop/" -MultipartCopyThreshold 5MB -PartSize 5MB -MaxRequestsPerSecond 3 @s3
        }
        $open | Should -BeGreaterThan 0 -Because 'the stop must happen mid-copy'
        Get-TestOpenUploads $target | Should -BeNullOrEmpty
        foreach ($o in @(Get-TestObjects $target 'stop/' | Where-Object { $_ })) { $o.Size | Should -Be 30MB -Because $o.Key }
    }
}
