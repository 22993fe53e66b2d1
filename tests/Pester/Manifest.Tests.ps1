# Manifest input (-ManifestPath) and shards (-ShardIndex/-ShardCount) on the bulk cmdlets, against the real gateway.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:src = New-TestBucket
    $script:dst = New-TestBucket
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-manifest-' + [guid]::NewGuid().ToString('N').Substring(0, 8))

    # The source: 14 objects under data/, among them two tar archives and keys with spaces, '+' and non-ASCII.
    $tree = Join-Path $root 'tree'
    foreach ($i in 1..10) { New-RandomFile (Join-Path $tree ("d{0}/f{1}.bin" -f ($i % 3), $i)) (500 * $i) $i }
    Set-Content -Path (New-Item -ItemType File -Force (Join-Path $tree 'nämé with space.txt')) -Value 'x' -NoNewline
    Set-Content -Path (New-Item -ItemType File -Force (Join-Path $tree 'a+b.txt')) -Value 'plus' -NoNewline
    & tar --create --file (Join-Path $tree 'one.tar') --directory $tree d1
    & tar --create --gzip --file (Join-Path $tree 'two.tar.gz') --directory $tree d2
    $null = Send-S3Directory -Path $tree -Recurse -BucketName $src -KeyPrefix data/ @s3
    $script:listed = @(Get-TestObjects $src 'data/')
    $listed | Should -HaveCount 14

    function script:ConvertTo-S3UrlEncoding([string] $Key) { [System.Net.WebUtility]::UrlEncode($Key) -replace '%2F', '/' }
    function script:Write-GzipText([string] $Path, [string] $Text) {
        $file = [System.IO.File]::Create($Path)
        $gzip = [System.IO.Compression.GZipStream]::new($file, [System.IO.Compression.CompressionLevel]::Fastest)
        $bytes = [System.Text.Encoding]::UTF8.GetBytes($Text); $gzip.Write($bytes, 0, $bytes.Length); $gzip.Dispose()
    }
    function script:Send-TestFile([string] $Bucket, [string] $Key, [string] $Path) {
        $null = Wait-Task ((Get-TestS3Client).PutObjectAsync([Amazon.S3.Model.PutObjectRequest]@{ BucketName = $Bucket; Key = $Key; FilePath = $Path }))
    }
    function script:Get-RelativeKeys([string] $Bucket, [string] $Prefix) { @(Get-TestObjects $Bucket $Prefix | ForEach-Object { $_.Key.Substring($Prefix.Length) }) | Sort-Object }

    # An S3 Inventory (CSV, three data files, as S3 writes it: quoted fields, URL-encoded keys) in the source bucket.
    $inv = Join-Path $root 'inventory'
    $null = New-Item -ItemType Directory -Force $inv
    $files = for ($f = 0; $f -lt 3; $f++) {
        $rows = for ($i = $f; $i -lt $listed.Count; $i += 3) {
            $o = $listed[$i]
            '"{0}","{1}","{2}","{3}","{4}","true","false"' -f $src, (ConvertTo-S3UrlEncoding $o.Key), $o.Size, $o.LastModified.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ss.fffZ'), $o.ETag.Trim('"')
        }
        $path = Join-Path $inv "data-$f.csv.gz"
        Write-GzipText $path (($rows -join "`n") + "`n")
        Send-TestFile $src "inventory/data/data-$f.csv.gz" $path
        $md5 = (Get-FileHash $path -Algorithm MD5).Hash.ToLowerInvariant()
        @{ key = "inventory/data/data-$f.csv.gz"; size = (Get-Item $path).Length; MD5checksum = $md5 }
    }
    $script:localManifest = Join-Path $inv 'manifest.json'
    @{ sourceBucket = $src; destinationBucket = "arn:aws:s3:::$src"; version = '2016-11-30'; fileFormat = 'CSV'
        fileSchema = 'Bucket, Key, Size, LastModifiedDate, ETag, IsLatest, IsDeleteMarker'; files = @($files) } |
        ConvertTo-Json -Depth 4 | Set-Content $localManifest
    Send-TestFile $src 'inventory/2026-12-03T00-00Z/manifest.json' $localManifest
    $script:s3Manifest = "s3://$src/inventory/2026-12-03T00-00Z/manifest.json"

    # The same objects as a Batch Operations CSV.
    $script:batchCsv = Join-Path $root 'batch.csv'
    ($listed | ForEach-Object { '{0},{1}' -f $src, (ConvertTo-S3UrlEncoding $_.Key) }) | Set-Content $batchCsv
}

AfterAll {
    Remove-TestBucket $src
    Remove-TestBucket $dst
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe '-ManifestPath' {
    It 'an S3 Inventory of three CSV.gz files drives a copy exactly like the listing does' {
        $null = Copy-S3Prefix "s3://$src/data/" "s3://$dst/listed/" @s3
        $summary = Copy-S3Prefix -ManifestPath $s3Manifest -SourcePrefix data/ -Destination "s3://$dst/inventory/" @s3
        $summary.ItemsTransferred | Should -Be 14
        $summary.ItemsFailed | Should -Be 0
        Get-RelativeKeys $dst 'inventory/' | Should -Be (Get-RelativeKeys $dst 'listed/')
        (Get-RelativeKeys $dst 'inventory/') | Should -Contain 'a+b.txt'
        (Get-RelativeKeys $dst 'inventory/') | Should -Contain 'nämé with space.txt'
    }

    It 'a local Batch Operations CSV drives a copy and a download like the listing' {
        $summary = Copy-S3Prefix -ManifestPath $batchCsv -SourcePrefix data/ -Destination "s3://$dst/batch/" @s3
        $summary.ItemsTransferred | Should -Be 14
        Get-RelativeKeys $dst 'batch/' | Should -Be (Get-RelativeKeys $dst 'listed/')
        $into = Join-Path $root 'received'
        $null = Receive-S3Prefix -ManifestPath $localManifest -KeyPrefix data/ -Destination $into @s3
        $local = @(Get-ChildItem $into -Recurse -File | ForEach-Object { [System.IO.Path]::GetRelativePath($into, $_.FullName).Replace('\', '/') }) | Sort-Object
        $local | Should -Be (Get-RelativeKeys $src 'data/')
    }

    It 'an inventory drives a tar index exactly like the listing' {
        $fromListing = Get-S3TarIndex -BucketName $src -Prefix data/ @s3
        $fromManifest = Get-S3TarIndex -ManifestPath $s3Manifest @s3
        $fromListing | Should -Not -BeNullOrEmpty
        ($fromManifest | ForEach-Object { "$($_.Key)|$($_.Name)|$($_.Size)|$($_.DataOffset)" } | Sort-Object) |
            Should -Be ($fromListing | ForEach-Object { "$($_.Key)|$($_.Name)|$($_.Size)|$($_.DataOffset)" } | Sort-Object)
    }

    It 'a Batch Operations CSV drives a removal of exactly its objects' {
        $csv = Join-Path $root 'remove.csv'
        @(Get-TestObjects $dst 'batch/' | Select-Object -First 5 | ForEach-Object { '{0},{1}' -f $dst, (ConvertTo-S3UrlEncoding $_.Key) }) | Set-Content $csv
        $summary = Remove-S3Prefix -ManifestPath $csv -Force @s3
        $summary.ItemsTransferred | Should -Be 5
        @(Get-TestObjects $dst 'batch/') | Should -HaveCount 9
    }

    It 'a damaged manifest stops the run with one error naming the file and line, and nothing is copied' {
        $bad = Join-Path $root 'bad.csv'
        Set-Content $bad "$src,data/a%2Bb.txt`n$src,data/x.txt,v1,extra"
        # Terminating even with -ErrorAction SilentlyContinue: every item of the run depended on the manifest, so no
        # summary may follow that a script could read as "nothing failed".
        $thrown = { Copy-S3Prefix -ManifestPath $bad -Destination "s3://$dst/bad/" -ErrorAction SilentlyContinue @s3 } | Should -Throw -ErrorId 'InvalidManifest*' -PassThru
        $thrown.Exception.Message | Should -Match 'line 2'
        @(Get-TestObjects $dst 'bad/' | Where-Object { $_ }) | Should -HaveCount 0
        { Copy-S3Prefix -ManifestPath (Join-Path $root 'none.json') -Destination "s3://$dst/bad/" -ErrorAction Stop @s3 } | Should -Throw -ErrorId 'ManifestNotFound*'
    }
}

Describe '-ShardIndex / -ShardCount' {
    It 'four shards copy disjoint shares that together are every object, each once' {
        $copied = foreach ($i in 0..3) {
            Copy-S3Prefix "s3://$src/data/" "s3://$dst/shards/" -ShardIndex $i -ShardCount 4 -Mode Overwrite -PassThru @s3 | Where-Object Status -eq Copied
        }
        $copied | Should -HaveCount 14
        @($copied.DestinationKey | Sort-Object -Unique) | Should -HaveCount 14
        Get-RelativeKeys $dst 'shards/' | Should -Be (Get-RelativeKeys $dst 'listed/')
        ($copied | Group-Object { $_.DestinationKey } | Where-Object Count -gt 1) | Should -BeNullOrEmpty
    }

    It 'a shard of a manifest run and of an upload takes the same keys as a shard of the listing' {
        $fromListing = Get-S3TarIndex -BucketName $src -Prefix data/ -ShardIndex 1 -ShardCount 2 @s3
        $fromManifest = Get-S3TarIndex -ManifestPath $s3Manifest -ShardIndex 1 -ShardCount 2 @s3
        @($fromManifest.Key | Sort-Object -Unique) | Should -Be @($fromListing.Key | Sort-Object -Unique)
        $shares = foreach ($i in 0..2) { Send-S3Directory -Path (Join-Path $root 'tree') -Recurse -BucketName $dst -KeyPrefix up/ -ShardIndex $i -ShardCount 3 -PassThru @s3 }
        @($shares | Where-Object Status -eq Uploaded) | Should -HaveCount 14
        @(Get-TestObjects $dst 'up/') | Should -HaveCount 14
    }

    It 'refuses a shard that does not exist and -Delete beside shards' {
        { Copy-S3Prefix "s3://$src/data/" "s3://$dst/x/" -ShardIndex 4 -ShardCount 4 -ErrorAction Stop @s3 } | Should -Throw -ErrorId 'InvalidShard*'
        { Copy-S3Prefix "s3://$src/data/" "s3://$dst/x/" -ShardIndex 1 -ErrorAction Stop @s3 } | Should -Throw -ErrorId 'InvalidShard*'
        { Copy-S3Prefix "s3://$src/data/" "s3://$dst/x/" -ShardIndex 0 -ShardCount 2 -Delete -ErrorAction Stop @s3 } | Should -Throw -ErrorId 'ConflictingParameters*'
        @(Get-TestObjects $dst 'x/' | Where-Object { $_ }) | Should -HaveCount 0
    }

    It 'writes a completion report in S3 Batch Operations'' format: manifest.json naming a succeeded and a failed CSV, each with its MD5' {
        $csv = Join-Path $root 'report.csv'
        @(($listed | Select-Object -First 3 | ForEach-Object { '{0},{1}' -f $src, (ConvertTo-S3UrlEncoding $_.Key) }) + "$src,data/missing%20one.bin") | Set-Content $csv
        $summary = Copy-S3Prefix -ManifestPath $csv -Destination "s3://$dst/reported/" -ReportPath "s3://$dst/reports/" -ErrorAction SilentlyContinue -ShardIndex 0 -ShardCount 1 @s3
        $summary.ItemsFailed | Should -Be 1
        $manifestKey = @(Get-TestObjects $dst 'reports/' | Where-Object Key -like '*/manifest.json').Key
        $manifestKey | Should -HaveCount 1
        $manifestKey | Should -Match '^reports/job-[0-9a-f-]{36}-shard-0-of-1/manifest\.json$'
        $manifest = [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $dst $manifestKey)) | ConvertFrom-Json
        $manifest.Format | Should -Be 'Report_CSV_20180820'
        $manifest.ReportSchema | Should -Be 'Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage'
        ($manifest.Results.TaskExecutionStatus | Sort-Object) | Should -Be @('failed', 'succeeded')
        $rows = @{}
        foreach ($result in $manifest.Results) {
            $result.Bucket | Should -Be $dst
            $bytes = Get-TestObjectBytes $dst $result.Key
            [Convert]::ToHexString([System.Security.Cryptography.MD5]::HashData($bytes)).ToLowerInvariant() | Should -Be $result.MD5Checksum
            $rows[$result.TaskExecutionStatus] = @([System.Text.Encoding]::UTF8.GetString($bytes) -split "`n" | Where-Object { $_ })
        }
        $rows['succeeded'] | Should -HaveCount 3
        $rows['succeeded'] | ForEach-Object { $_ | Should -Match "^$src,data/[^,]+,,succeeded,200,,Copied$" }
        $rows['failed'] | Should -HaveCount 1
        $rows['failed'][0] | Should -Match "^$src,data/missing%20one\.bin,,failed,404,[A-Za-z]+,"

        # Failed tasks only, to a local directory.
        $local = Join-Path $root 'reports'
        $null = Copy-S3Prefix -ManifestPath $csv -Destination "s3://$dst/reported/" -ReportPath $local -ReportScope FailedTasksOnly -ErrorAction SilentlyContinue @s3
        $localManifest = Get-ChildItem $local -Recurse -Filter manifest.json
        $localManifest | Should -HaveCount 1
        $results = (Get-Content $localManifest.FullName -Raw | ConvertFrom-Json).Results
        @($results).TaskExecutionStatus | Should -Be @('failed')
        @(Get-Content (Join-Path $local @($results)[0].Key)) | Should -HaveCount 1
    }
}
