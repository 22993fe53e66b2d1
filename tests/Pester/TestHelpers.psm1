# Helpers for the cmdlet tests: the real S3 server from S3TURBO_TEST_* (set by build.ps1 -Task Test), and a
# plain AWS SDK client (from the module's own folder) to set up buckets and check what the cmdlets did.
$moduleManifest = $env:S3TURBO_MODULE ?? (Join-Path $PSScriptRoot '../../output/S3Turbo/0.1.0/S3Turbo.psd1')
$moduleDir = Split-Path $moduleManifest -Parent
Add-Type -Path (Join-Path $moduleDir 'AWSSDK.Core.dll'), (Join-Path $moduleDir 'AWSSDK.S3.dll')

function Get-TestS3Parameters {
    @{
        EndpointUrl = $env:S3TURBO_TEST_ENDPOINT ?? 'http://127.0.0.1:7480'
        AccessKey   = $env:S3TURBO_TEST_ACCESS_KEY ?? 'S3TURBO'
        SecretKey   = $env:S3TURBO_TEST_SECRET_KEY ?? 'S3TURBO-SECRET'
        Region      = $env:S3TURBO_TEST_REGION ?? 'us-east-1'
        WarningAction = 'SilentlyContinue'
    }
}

function Get-TestS3Client {
    $p = Get-TestS3Parameters
    $config = [Amazon.S3.AmazonS3Config]@{ ServiceURL = $p.EndpointUrl; ForcePathStyle = $true; AuthenticationRegion = $p.Region }
    [Amazon.S3.AmazonS3Client]::new($p.AccessKey, $p.SecretKey, $config)
}

function Wait-Task($task) { $task.GetAwaiter().GetResult() }

function New-TestBucket {
    $name = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    $null = Wait-Task ((Get-TestS3Client).PutBucketAsync($name))
    $name
}

function Get-TestObjects([string] $Bucket, [string] $Prefix) {
    $s3 = Get-TestS3Client
    $token = $null
    do {
        $page = Wait-Task ($s3.ListObjectsV2Async([Amazon.S3.Model.ListObjectsV2Request]@{ BucketName = $Bucket; Prefix = $Prefix; ContinuationToken = $token }))
        $page.S3Objects
        $token = if ($page.IsTruncated) { $page.NextContinuationToken } else { $null }
    } while ($token)
}

function Get-TestObjectBytes([string] $Bucket, [string] $Key) {
    $response = Wait-Task ((Get-TestS3Client).GetObjectAsync($Bucket, $Key))
    try {
        $memory = [System.IO.MemoryStream]::new()
        $response.ResponseStream.CopyTo($memory)
        , $memory.ToArray()
    } finally { $response.Dispose() }
}

function Get-TestOpenUploads([string] $Bucket) {
    @((Wait-Task ((Get-TestS3Client).ListMultipartUploadsAsync($Bucket))).MultipartUploads | Where-Object { $_ })
}

function Remove-TestBucket([string] $Bucket) {
    $s3 = Get-TestS3Client
    foreach ($u in Get-TestOpenUploads $Bucket) { $null = Wait-Task ($s3.AbortMultipartUploadAsync($Bucket, $u.Key, $u.UploadId)) }
    foreach ($o in @(Get-TestObjects $Bucket)) { if ($o) { $null = Wait-Task ($s3.DeleteObjectAsync($Bucket, $o.Key)) } }
    $null = Wait-Task ($s3.DeleteBucketAsync($Bucket))
}

function New-RandomFile([string] $Path, [int] $Length, [int] $Seed = 1) {
    New-Item -ItemType Directory -Force (Split-Path $Path -Parent) | Out-Null
    $bytes = [byte[]]::new($Length)
    [System.Random]::new($Seed).NextBytes($bytes)
    [System.IO.File]::WriteAllBytes($Path, $bytes)
}

# Runs a script in its own runspace and stops it (what Ctrl+C does: StopProcessing) as soon as the bucket has an
# open multipart upload; returns how many were open at that moment, so a test can assert the stop came mid-upload.
function Stop-WhenUploadOpens([scriptblock] $Script, [object[]] $Arguments, [string] $Bucket) {
    $ps = [powershell]::Create()
    $null = $ps.AddScript($Script)
    foreach ($a in $Arguments) { $null = $ps.AddArgument($a) }
    $async = $ps.BeginInvoke()
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while ((Get-TestOpenUploads $Bucket).Count -eq 0 -and [DateTime]::UtcNow -lt $deadline -and -not $async.IsCompleted) { Start-Sleep -Milliseconds 25 }
    $open = (Get-TestOpenUploads $Bucket).Count
    $ps.Stop()
    $ps.Dispose()
    $open
}

Export-ModuleMember -Function * -Variable moduleManifest
