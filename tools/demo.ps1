<#
.SYNOPSIS
    The demo behind `build.ps1 -Task Demo`: uploads a generated sample tree to the local S3 server, then runs again
    to show Update mode skipping what is already there.
#>
$ErrorActionPreference = 'Stop'
$manifest = $env:S3TURBO_MODULE
Import-Module $manifest
$moduleDir = Split-Path $manifest -Parent
# The module keeps its SDK in a private load context (dependencies/); this script loads its own copy.
Add-Type -Path (Join-Path $moduleDir 'dependencies/AWSSDK.Core.dll'), (Join-Path $moduleDir 'dependencies/AWSSDK.S3.dll')
$s3 = @{ EndpointUrl = $env:S3TURBO_TEST_ENDPOINT; AccessKey = $env:S3TURBO_TEST_ACCESS_KEY; SecretKey = $env:S3TURBO_TEST_SECRET_KEY; Region = $env:S3TURBO_TEST_REGION }

# The demo bucket (made with the plain SDK: S3Turbo moves data, it does not manage buckets).
$bucket = 's3turbo-demo'
$client = [Amazon.S3.AmazonS3Client]::new($s3.AccessKey, $s3.SecretKey, [Amazon.S3.AmazonS3Config]@{ ServiceURL = $s3.EndpointUrl; ForcePathStyle = $true; AuthenticationRegion = $s3.Region })
try { $null = $client.PutBucketAsync($bucket).GetAwaiter().GetResult() } catch [Amazon.S3.AmazonS3Exception] { if ($_.Exception.ErrorCode -notin 'BucketAlreadyOwnedByYou', 'BucketAlreadyExists') { throw } }

$sample = Join-Path ([System.IO.Path]::GetTempPath()) 's3turbo-demo-data'
# A marker written last, so a tree left half-made by an interrupted run is made again.
if (-not (Test-Path (Join-Path $sample '.complete'))) {
    if (Test-Path $sample) { Remove-Item $sample -Recurse -Force }
    Write-Host "Generating a sample tree in $sample (500 small files in 10 folders, one 40 MiB file)"
    $random = [System.Random]::new(42)
    foreach ($d in 0..9) {
        $dir = New-Item -ItemType Directory -Force (Join-Path $sample "logs/day-$d")
        foreach ($f in 0..49) { $bytes = [byte[]]::new(4096); $random.NextBytes($bytes); [System.IO.File]::WriteAllBytes((Join-Path $dir "part-$f.log"), $bytes) }
    }
    $images = New-Item -ItemType Directory -Force (Join-Path $sample 'images')
    $big = [byte[]]::new(40MB); $random.NextBytes($big); [System.IO.File]::WriteAllBytes((Join-Path $images 'disk.img'), $big)
    New-Item -ItemType File (Join-Path $sample '.complete') | Out-Null
}

Write-Host "`n== First run: Get-ChildItem $sample -Recurse -File | Send-S3Directory -BucketName $bucket -KeyPrefix demo/" -ForegroundColor Cyan
Get-ChildItem $sample -Recurse -File | Send-S3Directory -BucketName $bucket -KeyPrefix demo/ -Mode Overwrite @s3 -WarningAction SilentlyContinue | Format-List

Write-Host "== Second run (Update mode): unchanged files are skipped" -ForegroundColor Cyan
Get-ChildItem $sample -Recurse -File | Send-S3Directory -BucketName $bucket -KeyPrefix demo/ @s3 -WarningAction SilentlyContinue | Format-List

Write-Host "== A few of the objects now in s3://$bucket/demo/" -ForegroundColor Cyan
$page = $client.ListObjectsV2Async([Amazon.S3.Model.ListObjectsV2Request]@{ BucketName = $bucket; Prefix = 'demo/'; MaxKeys = 5 }).GetAwaiter().GetResult()
$page.S3Objects | Format-Table Key, Size, ETag
