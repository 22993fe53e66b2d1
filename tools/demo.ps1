<#
.SYNOPSIS
    The demo behind `build.ps1 -Task Demo`: the module's cmdlets, one step each, against the local S3 server.
.DESCRIPTION
    Upload a generated tree from the pipeline, re-run it in Update mode, copy it server-side, download the copy and
    compare it with the source, index a tar archive in S3 and read one member at its offset, list a zip without
    downloading it, upload a generated stream, and remove everything. Each step prints the command that ran and
    what it returned, as a user would see it. Endpoint and keys come from S3TURBO_TEST_* (build.ps1 sets them).
#>
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3
Import-Module $env:S3TURBO_MODULE
$s3 = @{ EndpointUrl = $env:S3TURBO_TEST_ENDPOINT; AccessKey = $env:S3TURBO_TEST_ACCESS_KEY; SecretKey = $env:S3TURBO_TEST_SECRET_KEY; Region = $env:S3TURBO_TEST_REGION }
# Keys and endpoint as a runbook gives them: the standard AWS environment variables (or -AccessKey, -SecretKey,
# -Region and -EndpointUrl on each command, or a profile).
$env:AWS_ACCESS_KEY_ID = $s3.AccessKey; $env:AWS_SECRET_ACCESS_KEY = $s3.SecretKey
$env:AWS_REGION = $s3.Region; $env:AWS_ENDPOINT_URL_S3 = $s3.EndpointUrl
# The local server speaks plain http; the module warns about that on each run, which is right but noisy here.
$PSDefaultParameterValues['*-S3*:WarningAction'] = 'SilentlyContinue'
$bucket = 's3turbo-demo'

function Show-Step([string] $Title, [string] $Command) {
    Write-Host ''
    Write-Host "== $Title" -ForegroundColor Cyan
    Write-Host "PS> $Command" -ForegroundColor Yellow
}

# The bucket (made with the plain SDK: S3Turbo moves data, it does not manage buckets).
$moduleDir = Split-Path $env:S3TURBO_MODULE -Parent
Add-Type -Path (Join-Path $moduleDir 'dependencies/AWSSDK.Core.dll'), (Join-Path $moduleDir 'dependencies/AWSSDK.S3.dll')
$client = [Amazon.S3.AmazonS3Client]::new($s3.AccessKey, $s3.SecretKey, [Amazon.S3.AmazonS3Config]@{ ServiceURL = $s3.EndpointUrl; ForcePathStyle = $true; AuthenticationRegion = $s3.Region })
try { $null = $client.PutBucketAsync($bucket).GetAwaiter().GetResult() } catch [Amazon.S3.AmazonS3Exception] { if ($_.Exception.ErrorCode -notin 'BucketAlreadyOwnedByYou', 'BucketAlreadyExists') { throw } }

$work = Join-Path ([System.IO.Path]::GetTempPath()) 's3turbo-demo'
if (Test-Path $work) { Remove-Item $work -Recurse -Force }
$sample = New-Item -ItemType Directory (Join-Path $work 'sample')
Write-Host "Sample data in $($sample.FullName): 200 small files in 10 folders and one 40 MiB file"
$random = [System.Random]::new(42)
foreach ($d in 0..9) {
    $dir = New-Item -ItemType Directory (Join-Path $sample "logs/day-$d")
    foreach ($f in 0..19) { $bytes = [byte[]]::new(4096 + $f); $random.NextBytes($bytes); [System.IO.File]::WriteAllBytes((Join-Path $dir "part-$f.log"), $bytes) }
}
$images = New-Item -ItemType Directory (Join-Path $sample 'images')
$big = [byte[]]::new(40MB); $random.NextBytes($big); [System.IO.File]::WriteAllBytes((Join-Path $images 'disk.img'), $big)
# A tar of the logs and a zip of the whole sample, to show what S3Turbo reads inside archives without downloading them.
$archives = New-Item -ItemType Directory (Join-Path $work 'archives')
[System.Formats.Tar.TarFile]::CreateFromDirectory((Join-Path $sample 'logs'), (Join-Path $archives 'logs.tar'), $false)
[System.IO.Compression.ZipFile]::CreateFromDirectory($sample, (Join-Path $archives 'sample.zip'), [System.IO.Compression.CompressionLevel]::Fastest, $false)

Show-Step 'Upload a tree from the pipeline' "Get-ChildItem $sample -Recurse -File | Send-S3Directory -BucketName $bucket -KeyPrefix demo/src/ -Mode Overwrite"
Get-ChildItem $sample -Recurse -File | Send-S3Directory -BucketName $bucket -KeyPrefix demo/src/ -Mode Overwrite | Format-List

Show-Step 'Run it again (Update, the default): what is already there, proven by checksum, is skipped' "Get-ChildItem $sample -Recurse -File | Send-S3Directory -BucketName $bucket -KeyPrefix demo/src/"
Get-ChildItem $sample -Recurse -File | Send-S3Directory -BucketName $bucket -KeyPrefix demo/src/ | Format-List

Show-Step 'Copy the prefix server-side (no bytes through this machine)' "Copy-S3Prefix s3://$bucket/demo/src/ s3://$bucket/demo/copy/"
Copy-S3Prefix "s3://$bucket/demo/src/" "s3://$bucket/demo/copy/" | Format-List

$download = Join-Path $work 'download'
Show-Step 'Download the copy, with a result per object' "Receive-S3Prefix s3://$bucket/demo/copy/ $download -PassThru"
$received = @(Receive-S3Prefix "s3://$bucket/demo/copy/" $download -PassThru)
$received | Sort-Object Size -Descending | Select-Object -First 5 | Format-Table
# With -PassThru the results are the output (the summary goes to -Verbose): counted here by status.
$received | Group-Object Status -NoElement | Format-Table Count, Name

Show-Step 'Compare the download with the source, file by file' "Compare-Object (Get-FileHash of $sample) (Get-FileHash of $download)"
function Get-TreeHashes([string] $Root) {
    Get-ChildItem $Root -Recurse -File | ForEach-Object { '{0} {1}' -f [System.IO.Path]::GetRelativePath($Root, $_.FullName).Replace('\', '/'), (Get-FileHash $_.FullName -Algorithm SHA256).Hash }
}
$differences = @(Compare-Object @(Get-TreeHashes $sample) @(Get-TreeHashes $download))
Write-Host ("{0} files compared, {1} differences" -f @(Get-ChildItem $sample -Recurse -File).Count, $differences.Count)
if ($differences) { $differences | Format-Table; throw 'The download differs from the source.' }

Show-Step 'Upload the archives' "Send-S3Directory -Path $archives -BucketName $bucket -KeyPrefix demo/archives/"
Send-S3Directory -Path $archives -BucketName $bucket -KeyPrefix demo/archives/ | Format-List

Show-Step 'Index the tar archive in S3 (headers only)' "Get-S3TarIndex s3://$bucket/demo/archives/logs.tar"
$entries = @(Get-S3TarIndex "s3://$bucket/demo/archives/logs.tar" | Where-Object Size -gt 0)
$entries | Select-Object -First 5 | Format-Table Name, Size, DataOffset
Write-Host ('{0} members indexed' -f $entries.Count)

$member = $entries | Where-Object Name -eq 'day-3/part-7.log'
Show-Step 'Read one member through a seekable stream, at its DataOffset' "`$s = Open-S3Object s3://$bucket/demo/archives/logs.tar; `$s.Position = $($member.DataOffset)"
$stream = Open-S3Object "s3://$bucket/demo/archives/logs.tar"
try {
    $stream.Position = $member.DataOffset
    $bytes = [byte[]]::new($member.Size)
    $stream.ReadExactly($bytes, 0, $bytes.Length)
    $same = [System.Linq.Enumerable]::SequenceEqual($bytes, [System.IO.File]::ReadAllBytes((Join-Path $sample 'logs/day-3/part-7.log')))
    [pscustomobject]@{ Member = $member.Name; Bytes = $bytes.Length; SameAsLocalFile = $same; BytesFetched = $stream.Stats.BytesRequested; ArchiveBytes = $stream.Length } | Format-List
    if (-not $same) { throw 'The member read from S3 differs from the local file.' }
}
finally { $stream.Dispose() }

Show-Step 'List a zip in S3 without downloading it' "`$zip = [System.IO.Compression.ZipArchive]::new((Open-S3Object s3://$bucket/demo/archives/sample.zip), 'Read')"
$stream = Open-S3Object "s3://$bucket/demo/archives/sample.zip"
try {
    $zip = [System.IO.Compression.ZipArchive]::new($stream, [System.IO.Compression.ZipArchiveMode]::Read)
    $zip.Entries | Select-Object -First 5 FullName, Length, CompressedLength | Format-Table
    Write-Host ('{0} entries; {1:N0} of {2:N0} bytes fetched' -f $zip.Entries.Count, $stream.Stats.BytesRequested, $stream.Length)
}
finally { $stream.Dispose() }

Show-Step 'Upload a generated stream (no local file)' "1..100000 | ForEach-Object { ""line `$_"" } | New-S3UploadStream -BucketName $bucket -Key demo/generated.txt"
1..100000 | ForEach-Object { "line $_" } | New-S3UploadStream -BucketName $bucket -Key demo/generated.txt | Format-Table

Show-Step 'Remove everything the demo wrote' "Remove-S3Prefix s3://$bucket/demo/ -Force"
Remove-S3Prefix "s3://$bucket/demo/" -Force | Format-List

Remove-Item $work -Recurse -Force
Write-Host 'Demo finished.' -ForegroundColor Green
