# Every example in the cmdlets' help (docs/help/*.psd1) and in README.md runs as written against the test store:
# each in a fresh pwsh whose keys and endpoint come from the standard AWS environment variables, in a working
# directory holding the local files the examples name. Only bucket names are changed (to this run's own buckets:
# names are global on AWS, and 'my-bucket' may not be ours), and the -EndpointUrl one example spells out. Variables an
# example uses as placeholders ($queueUrl, $ak, $sk, $versionId) are given values first. An example passes when it
# ends without an error record.
BeforeDiscovery {
    $root = Join-Path $PSScriptRoot '../..'
    $script:examples = @(
        foreach ($file in Get-ChildItem (Join-Path $root 'docs/help') -Filter *.psd1 | Where-Object Name -ne '_Common.psd1') {
            foreach ($example in (Import-PowerShellDataFile $file.FullName).Examples) {
                @{ Source = $file.BaseName; Title = $example.Title; Code = $example.Code }
            }
        }
        # README: each comment-led paragraph of its PowerShell block is one example.
        $readme = Get-Content (Join-Path $root 'README.md') -Raw
        foreach ($block in [regex]::Matches($readme, '(?ms)^```powershell\r?\n(.*?)^```')) {
            foreach ($paragraph in $block.Groups[1].Value -split '(\r?\n){2,}' | Where-Object { $_.Trim() }) {
                $title = ([regex]::Match($paragraph, '^#\s*(.+)$', 'Multiline').Groups[1].Value)
                @{ Source = 'README'; Title = $title; Code = $paragraph }
            }
        }
    )
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:run = [guid]::NewGuid().ToString('N').Substring(0, 6)
    $script:work = Join-Path ([System.IO.Path]::GetTempPath()) "pester-examples-$run"
    $script:files = Join-Path $work 'files'
    $client = Get-TestS3Client

    # This run's bucket for a bucket name an example uses.
    function script:Get-ExampleBucket([string] $Name) { "ex$run-$Name" }
    $bucketPattern = '(?<=s3://|-(?:Bucket|BucketName|SourceBucket|DestinationBucket)\s+|New-S3UploadStream\s+)(?<name>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?=[/\s''"]|$)'
    function script:ConvertTo-RunnableExample([string] $Code) {
        $code = [regex]::Replace($Code, $bucketPattern, { param($m) Get-ExampleBucket $m.Groups['name'].Value })
        $code -replace 'http://127\.0\.0\.1:7480', $s3.EndpointUrl
    }
    $names = @(foreach ($e in $examples) { [regex]::Matches($e.Code, $bucketPattern) | ForEach-Object { $_.Groups['name'].Value } }) | Sort-Object -Unique
    foreach ($name in $names) { $null = Wait-Task ($client.PutBucketAsync((Get-ExampleBucket $name))) }
    foreach ($name in 'models', 'scratch') {
        $null = Wait-Task ($client.PutBucketVersioningAsync([Amazon.S3.Model.PutBucketVersioningRequest]@{
                    BucketName = (Get-ExampleBucket $name); VersioningConfig = [Amazon.S3.Model.S3BucketVersioningConfig]@{ Status = 'Enabled' } }))
    }
    function script:Put([string] $Bucket, [string] $Key, $Content) {
        $request = [Amazon.S3.Model.PutObjectRequest]@{ BucketName = (Get-ExampleBucket $Bucket); Key = $Key }
        if ($Content -is [byte[]]) { $request.InputStream = [System.IO.MemoryStream]::new($Content) }
        elseif ($Content -is [System.IO.FileInfo]) { $request.FilePath = $Content.FullName }
        else { $request.ContentBody = "$Content" }
        (Wait-Task ($client.PutObjectAsync($request)))
    }

    # Local files the examples name, under files/ (each example runs in its own copy of it).
    $tree = @{
        'data/a.txt' = 'a'; 'data/sub/b.txt' = 'b'
        'site/index.html' = '<html><body>hello</body></html>'; 'site/style.css' = 'body { color: red }'; 'site/app.js' = 'console.log(1)'
        'logs/app.log' = 'INFO start'; 'out/one.csv' = '1,2'; 'out/two.csv' = '3,4'; 'backup/notes.txt' = 'keep'
        'big.csv' = ((1..2000 | ForEach-Object { "$_,row $_" }) -join "`n")
    }
    foreach ($path in $tree.Keys) { $full = Join-Path $files $path; $null = New-Item -ItemType Directory -Force (Split-Path $full); Set-Content $full $tree[$path] -NoNewline }
    New-RandomFile (Join-Path $files 'images/disk.img') (6MB + 3) 4
    New-RandomFile (Join-Path $files 'big.bin') (6MB + 7) 5
    $members = Join-Path $work 'members'
    New-RandomFile (Join-Path $members 'study/42/image.dcm') 5000 6
    New-RandomFile (Join-Path $members 'study/43/image.dcm') 7000 7
    & tar --create --file (Join-Path $files 'backup.tar') --directory $members study
    $null = New-Item -ItemType Directory (Join-Path $files 'shards')
    & tar --create --zstd --file (Join-Path $files 'shards/shard-0.tar.zst') --directory $members study
    Copy-Item (Join-Path $files 'backup.tar') (Join-Path $work 'batch.tar')

    # Objects the examples read.
    foreach ($key in '2024/01/a.txt', '2024/02/b.txt', '2024/c.txt', 'site/index.html') { $null = Put raw $key "raw $key" }
    $null = Put raw '2026/big.bin' ([byte[]]::new(2MB))
    foreach ($key in 'logs/a.gz', 'logs/b.txt') { $null = Put prod $key "prod $key" }
    foreach ($key in 'p/one.txt', 'p/two.txt') { $null = Put src-bucket $key "src $key" }
    foreach ($key in '2024/batch-001.tar', '2024/batch-002.tar', 'a.tar') { $null = Put scans $key (Get-Item (Join-Path $work 'batch.tar')) }
    $null = Put scans '2024/batch-003.tar.zst' (Get-Item (Join-Path $files 'shards/shard-0.tar.zst'))
    $dicom = [byte[]]::new(1024); [System.Text.Encoding]::ASCII.GetBytes('DICM').CopyTo($dicom, 128)
    $null = Put data 'images/scan-0001.dcm' $dicom
    $zip = Join-Path $work 'site.zip'; [System.IO.Compression.ZipFile]::CreateFromDirectory((Join-Path $files 'site'), $zip)
    $null = Put backups 'site.zip' (Get-Item $zip)
    $null = Put logs '2026/11/app.log' ((1..500 | ForEach-Object { if ($_ % 100) { "INFO line $_" } else { "ERROR line $_" } }) -join "`n")
    foreach ($key in '2026/12/a.gz', '2026/12/b.txt', '2024/x.tmp', '2024/y.log', '2024-01-01/a.txt', '2024-01-02/b.txt') { $null = Put logs $key "logs $key" }
    $null = Put models 'model.bin' 'version 1'
    $script:versionId = (Put models 'model.bin' 'version 2').VersionId
    $null = Put models 'model.bin' 'version 3'
    foreach ($key in 'data/d1.txt', 'data/d2/d3.txt', 'p/x.txt') { $null = Put my-bucket $key "my $key" }
    foreach ($key in 'site/index.html', 'site/old.html') { $null = Put web $key "web $key" }
    foreach ($key in 'tmp/x.txt', 'tmp/x.txt', 'keep.txt') { $null = Put scratch $key "scratch $key" }
    # CSV listings the examples pipe (BucketName and Key columns, as an inventory or Get-S3Object gives them).
    @([pscustomobject]@{ BucketName = (Get-ExampleBucket scans); Key = '2024/batch-003.tar.zst' }) | Export-Csv (Join-Path $files 'inventory.csv')
    @([pscustomobject]@{ BucketName = (Get-ExampleBucket logs); Key = '2024/x.tmp' }) | Export-Csv (Join-Path $files 'stale.csv')
    @([pscustomobject]@{ BucketName = (Get-ExampleBucket raw); Key = '2026/big.bin'; Size = 2MB }, [pscustomobject]@{ BucketName = (Get-ExampleBucket raw); Key = '2024/c.txt'; Size = 9 }) |
        Export-Csv (Join-Path $files 'objects.csv')
    # S3 Inventory manifests (CSV data files with their MD5) of raw, kept in the inventory bucket, at the keys the examples name.
    $rows = foreach ($o in Get-TestObjects (Get-ExampleBucket raw) '') { '"{0}","{1}","{2}","{3}"' -f $o.BucketName, $o.Key, $o.Size, $o.ETag.Trim('"') }
    $dataFile = Join-Path $work 'inventory-data.csv.gz'
    $gzip = [System.IO.Compression.GZipStream]::new([System.IO.File]::Create($dataFile), [System.IO.Compression.CompressionLevel]::Fastest)
    $bytes = [System.Text.Encoding]::UTF8.GetBytes(($rows -join "`n") + "`n"); $gzip.Write($bytes, 0, $bytes.Length); $gzip.Dispose()
    foreach ($prefix in 'src/daily', 'raw/cfg') {
        $null = Put inventory "$prefix/data/inventory-data.csv.gz" (Get-Item $dataFile)
        $manifest = @{ sourceBucket = (Get-ExampleBucket raw); destinationBucket = "arn:aws:s3:::$(Get-ExampleBucket inventory)"; version = '2016-11-30'; fileFormat = 'CSV'
            fileSchema = 'Bucket, Key, Size, ETag'
            files = @(@{ key = "$prefix/data/inventory-data.csv.gz"; size = (Get-Item $dataFile).Length; MD5checksum = (Get-FileHash $dataFile -Algorithm MD5).Hash.ToLowerInvariant() })
        } | ConvertTo-Json -Depth 4
        $date = if ($prefix -eq 'src/daily') { '2024-06-01T00-00Z' } else { '2026-12-03T00-00Z' }
        $null = Put inventory "$prefix/$date/manifest.json" $manifest
    }

    # The queue an example names: a new one each, holding work of the kind its worker takes.
    function script:New-ExampleQueue([string] $Code) {
        $queue = New-TestQueue
        if ($Code -match 'Copy-S3Prefix -QueueUrl') { $null = Send-S3WorkItem "s3://$(Get-ExampleBucket raw)/2024/" -QueueUrl $queue.Url -Operation Copy-S3Prefix @s3 }
        elseif ($Code -match 'Get-S3TarIndex -QueueUrl') { $null = Send-S3WorkItem "s3://$(Get-ExampleBucket scans)/2024/" -Include *.tar -QueueUrl $queue.Url -Operation Get-S3TarIndex @s3 }
        $queue
    }

    # Starts an example in a fresh pwsh, in its own copy of files/; returns what Wait-Example needs.
    function script:Start-Example([hashtable] $Example) {
        $dir = Join-Path $work ('run-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
        Copy-Item $files $dir -Recurse
        $queue = if ($Example.Code -match '\$queueUrl') { New-ExampleQueue $Example.Code }
        $modules = Split-Path (Split-Path $moduleDir -Parent) -Parent  # the folder that holds S3Turbo/<version>/
        $prelude = @"
`$ErrorActionPreference = 'Continue'
`$env:PSModulePath = '$modules' + [System.IO.Path]::PathSeparator + `$env:PSModulePath
`$env:AWS_ACCESS_KEY_ID = '$($s3.AccessKey)'; `$env:AWS_SECRET_ACCESS_KEY = '$($s3.SecretKey)'; `$env:AWS_REGION = '$($s3.Region)'; `$env:AWS_ENDPOINT_URL_S3 = '$($s3.EndpointUrl)'
`$env:AWS_BATCH_JOB_ARRAY_INDEX = '3'
`$PSDefaultParameterValues['*-S3*:WarningAction'] = 'SilentlyContinue'
`$queueUrl = '$($queue.Url)'; `$ak = '$($s3.AccessKey)'; `$sk = '$($s3.SecretKey)'; `$versionId = '$versionId'
Set-Location '$dir'
`$Error.Clear()
"@
        $body = ConvertTo-RunnableExample $Example.Code
        $epilogue = "`n" + '$failures = @($Error); foreach ($e in $failures) { "EXAMPLE ERROR: $($e.FullyQualifiedErrorId): $e" }; exit $failures.Count'
        $script = Join-Path $dir '.example.ps1'
        Set-Content $script ($prelude + "`n" + $body + $epilogue)
        $pwsh = Get-PwshCommandLine; $exe = $pwsh.File
        $arguments = $pwsh.Arguments + @('-NoProfile', '-NonInteractive', '-File', $script)
        $out = Join-Path $work ([guid]::NewGuid().ToString('N') + '.out')
        $process = Start-Process -FilePath $exe -ArgumentList $arguments -PassThru -RedirectStandardOutput $out -RedirectStandardError "$out.err" -WorkingDirectory $dir
        @{ Process = $process; Out = $out; Queue = $queue; Code = $body }
    }
    function script:Wait-Example($Started, [int] $Seconds = 300) {
        if (-not $Started.Process.WaitForExit($Seconds * 1000)) { $Started.Process.Kill($true); throw "The example did not end within $Seconds s:`n$($Started.Code)" }
        $Started.Process.WaitForExit()
        if ($Started.Queue) { Remove-TestQueue $Started.Queue }
        @{ ExitCode = $Started.Process.ExitCode; Output = ((Get-Content $Started.Out -Raw) + (Get-Content "$($Started.Out).err" -Raw)) }
    }

    # Queue workers wait a minute for more messages before they stop: they start now and are waited for in their test.
    $script:background = @{}
    foreach ($example in $examples | Where-Object { $_.Code -match '-IdleTimeout' }) { $background[$example.Code] = Start-Example $example }
}

AfterAll {
    foreach ($started in $background.Values) { if (-not $started.Process.HasExited) { $started.Process.Kill($true) } }
    foreach ($name in @(Get-TestS3Client).ListBucketsAsync().GetAwaiter().GetResult().Buckets.BucketName | Where-Object { $_ -like "ex$run-*" }) {
        try { $null = Remove-S3Prefix -BucketName $name -AllVersions -Force @s3; $null = Wait-Task ((Get-TestS3Client).DeleteBucketAsync($name)) } catch { }
    }
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The examples in the help and the README' {
    It '<Source>: <Title>' -ForEach $examples {
        $started = if ($background.ContainsKey($Code)) { $background[$Code] } else { Start-Example $_ }
        $result = Wait-Example $started
        $result.ExitCode | Should -Be 0 -Because "the example runs as written:`n$($started.Code)`n--- its output:`n$($result.Output)"
    }
}
