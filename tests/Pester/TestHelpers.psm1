# Helpers for the cmdlet tests: the real S3 server from S3TURBO_TEST_* (set by build.ps1 -Task Test), and a
# plain AWS SDK client (from the module's own folder) to set up buckets and check what the cmdlets did.
$moduleManifest = $env:S3TURBO_MODULE ?? (Join-Path $PSScriptRoot '../../output/S3Turbo/0.1.0/S3Turbo.psd1')
$moduleDir = Split-Path $moduleManifest -Parent
# The module keeps its SDK in a private load context; the tests load their own copy into the default one.
Add-Type -Path (Join-Path $moduleDir 'dependencies/AWSSDK.Core.dll'), (Join-Path $moduleDir 'dependencies/AWSSDK.S3.dll'), (Join-Path $moduleDir 'dependencies/AWSSDK.SQS.dll')

function Get-TestS3Parameters {
    @{
        EndpointUrl = $env:S3TURBO_TEST_ENDPOINT ?? 'http://127.0.0.1:7480'
        AccessKey   = $env:S3TURBO_TEST_ACCESS_KEY ?? 'S3TURBO'
        SecretKey   = $env:S3TURBO_TEST_SECRET_KEY ?? 'S3TURBO-SECRET'
        Region      = $env:S3TURBO_TEST_REGION ?? 'us-east-1'
        WarningAction = 'SilentlyContinue'
    }
}

# The plain client checks the store's checksum on every GET the tests make: on Ceph 20.2 (and AWS) a proof of what
# S3Turbo stored that is independent of S3Turbo. A store whose whole-object checksums are wrong (moto, for multipart
# uploads) fails those reads, so there the client reads without the check and the tests' own byte comparisons stand.
function Get-TestS3Client {
    New-TestS3Client -ValidateChecksums:(Test-StoreChecksumsTrue)
}

function New-TestS3Client([switch] $ValidateChecksums) {
    $p = Get-TestS3Parameters
    $config = [Amazon.S3.AmazonS3Config]@{ ServiceURL = $p.EndpointUrl; ForcePathStyle = $true; AuthenticationRegion = $p.Region }
    if (-not $ValidateChecksums) { $config.ResponseChecksumValidation = [Amazon.Runtime.ResponseChecksumValidation]::WHEN_REQUIRED }
    [Amazon.S3.AmazonS3Client]::new($p.AccessKey, $p.SecretKey, $config)
}

# Whether a multipart object's whole-object checksum, as the store returns it, matches its bytes: one multipart upload
# by Send-S3Directory, read back with the SDK's check on. Asked once per session; true (the strict client) while it
# is asked, and when it cannot be asked (the module not imported yet).
function Test-StoreChecksumsTrue {
    # Kept in the environment: each test file imports these helpers afresh, and child pwsh processes inherit it.
    if ($env:S3TURBO_TEST_STORE_CHECKSUMS_TRUE) { return $env:S3TURBO_TEST_STORE_CHECKSUMS_TRUE -eq 'True' }
    if ($null -ne $script:storeChecksumsTrue) { return $script:storeChecksumsTrue }
    $script:storeChecksumsTrue = $true
    if (-not (Get-Command Send-S3Directory -ErrorAction SilentlyContinue)) { $script:storeChecksumsTrue = $null; return $true }
    $bucket = New-TestBucket
    $file = Join-Path ([System.IO.Path]::GetTempPath()) ('s3turbo-probe-' + [guid]::NewGuid().ToString('N') + '.bin')
    try {
        New-RandomFile $file (6MB) 5
        $s3 = Get-TestS3Parameters
        $null = Send-S3Directory -Path $file -BucketName $bucket -KeyPrefix probe/ -MultipartThreshold 5MB -PartSize 5MB -ErrorAction Stop @s3
        $key = 'probe/' + (Split-Path $file -Leaf)
        $request = [Amazon.S3.Model.GetObjectRequest]@{ BucketName = $bucket; Key = $key; ChecksumMode = 'ENABLED' }
        $response = Wait-Task ((New-TestS3Client -ValidateChecksums).GetObjectAsync($request))
        try { $response.ResponseStream.CopyTo([System.IO.Stream]::Null) } finally { $response.Dispose() }
    }
    catch { if ("$_" -like '*Expected hash not equal*') { $script:storeChecksumsTrue = $false } }
    finally {
        Remove-Item $file -ErrorAction SilentlyContinue
        Remove-TestBucket $bucket
    }
    $env:S3TURBO_TEST_STORE_CHECKSUMS_TRUE = "$script:storeChecksumsTrue"
    $script:storeChecksumsTrue
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
        $request = [Amazon.S3.Model.ListObjectsV2Request]@{ BucketName = $Bucket; Prefix = $Prefix }
        # Set only when there is one: a $null cast to a string property becomes "", which Ceph ignores and moto rejects.
        if ($token) { $request.ContinuationToken = $token }
        $page = Wait-Task ($s3.ListObjectsV2Async($request))
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

# The checksum the store keeps for an object (a HEAD with checksum mode): Algorithm, Value and Type (FULL_OBJECT or
# COMPOSITE), or $null when it keeps none.
function Get-TestStoredChecksum([string] $Bucket, [string] $Key) {
    $request = [Amazon.S3.Model.GetObjectMetadataRequest]@{ BucketName = $Bucket; Key = $Key; ChecksumMode = 'ENABLED' }
    $head = Wait-Task ((Get-TestS3Client).GetObjectMetadataAsync($request))
    foreach ($algorithm in 'CRC64NVME', 'CRC32C', 'CRC32', 'SHA256') {
        $value = $head."Checksum$algorithm"
        if ($value) { return [pscustomobject]@{ Algorithm = $algorithm; Value = $value; Type = "$($head.ChecksumType)" } }
    }
    $null
}

# The CRC64NVME of some bytes as S3 writes it (base64 of the big-endian value), computed here with
# System.IO.Hashing, independently of the module.
function Get-TestCrc64Nvme([byte[]] $Bytes) {
    if (-not ('System.IO.Hashing.Crc64' -as [type])) { Add-Type -Path (Join-Path $moduleDir 'dependencies/System.IO.Hashing.dll') }
    $crc = [System.IO.Hashing.Crc64]::new([System.IO.Hashing.Crc64ParameterSet]::Nvme)
    $crc.Append($Bytes)
    $value = [byte[]]::new(8)
    [System.Buffers.Binary.BinaryPrimitives]::WriteUInt64BigEndian($value, $crc.GetCurrentHashAsUInt64())
    [Convert]::ToBase64String($value)
}

# Whether the test store keeps the checksums sent with an upload (Ceph 20, AWS; not Ceph 18): asked once per run.
function Test-StoreKeepsChecksums {
    if ($null -eq $script:storeKeepsChecksums) {
        $bucket = New-TestBucket
        try {
            $put = [Amazon.S3.Model.PutObjectRequest]@{ BucketName = $bucket; Key = 'probe'; ContentBody = 'probe'; ChecksumAlgorithm = 'CRC32C'; UseChunkEncoding = $false }
            $null = Wait-Task ((Get-TestS3Client).PutObjectAsync($put))
            $script:storeKeepsChecksums = $null -ne (Get-TestStoredChecksum $bucket 'probe')
        } finally { Remove-TestBucket $bucket }
    }
    $script:storeKeepsChecksums
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
function Stop-WhenUploadOpens([scriptblock] $Script, [object[]] $Arguments, [string] $Bucket, [string] $KeyPrefix = '') {
    $ps = [powershell]::Create()
    $null = $ps.AddScript($Script)
    foreach ($a in $Arguments) { $null = $ps.AddArgument($a) }
    $async = $ps.BeginInvoke()
    $deadline = [DateTime]::UtcNow.AddSeconds(60)
    while (@(Get-TestOpenUploads $Bucket | Where-Object Key -like "$KeyPrefix*").Count -eq 0 -and [DateTime]::UtcNow -lt $deadline -and -not $async.IsCompleted) { Start-Sleep -Milliseconds 25 }
    $open = @(Get-TestOpenUploads $Bucket | Where-Object Key -like "$KeyPrefix*").Count
    $ps.Stop()
    $ps.Dispose()
    $open
}

# A temporary directory holding the given files (relative path → text content).
function New-TestTree([hashtable] $Files) {
    $root = Join-Path ([System.IO.Path]::GetTempPath()) ('s3turbo-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory -Force $root | Out-Null
    foreach ($entry in $Files.GetEnumerator()) {
        Set-Content -Path (New-Item -ItemType File -Force (Join-Path $root $entry.Key)) -Value $entry.Value -NoNewline
    }
    $root
}

# Runs a script in a child `pwsh -NoProfile -NonInteractive` (as a runbook host would); returns its output lines and
# leaves its exit code in $LASTEXITCODE. A local dotnet tool runs as "dotnet pwsh.dll". -WithoutFileAccessOverride
# drops root's power to read any file (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so permission tests mean something
# when the tests run as root.
# The running pwsh as a command line: a local dotnet tool runs as "dotnet pwsh.dll" (File dotnet, Arguments pwsh.dll).
function Get-PwshCommandLine {
    $exe = [Environment]::ProcessPath
    @{ File = $exe; Arguments = [string[]]@(if ((Split-Path $exe -Leaf) -match '^dotnet(\.exe)?$') { Join-Path $PSHOME 'pwsh.dll' }) }
}

function Invoke-ChildPwsh([string] $Script, [switch] $WithoutFileAccessOverride) {
    $encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($Script))
    $pwsh = Get-PwshCommandLine; $exe = $pwsh.File
    $arguments = $pwsh.Arguments + @('-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded)
    if ($WithoutFileAccessOverride -and -not $IsWindows -and (id -u) -eq '0') {
        $arguments = @('--bounding-set', '-dac_override,-dac_read_search', $exe) + $arguments
        $exe = 'setpriv'
    }
    & $exe @arguments 2>&1 | ForEach-Object { "$_" }
}

# A file from a package in the NuGet cache (restored by the test project).
function Get-NuGetPackageFile([string] $Id, [string] $Version, [string] $RelativePath) {
    $cache = $env:NUGET_PACKAGES ?? ((dotnet nuget locals global-packages --list) -replace '^global-packages:\s*', '').Trim()
    $path = Join-Path $cache "$($Id.ToLowerInvariant())/$Version/$RelativePath"
    if (-not (Test-Path $path)) { throw "$path is missing: restore tests/S3Turbo.Engine.Tests (it downloads $Id $Version)." }
    $path
}

# The names of the assemblies an assembly file references (read from its metadata, without loading it).
function Get-AssemblyReferenceNames([string] $Path) {
    $stream = [System.IO.File]::OpenRead($Path)
    try {
        $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
        $reader = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
        foreach ($handle in $reader.AssemblyReferences) { $reader.GetString($reader.GetAssemblyReference($handle).Name) }
    } finally { $stream.Dispose() }
}


# ---- SQS (moto's server from build.ps1's Set-TestQueue, or S3TURBO_TEST_SQS_ENDPOINT) ----

function Get-TestSqsClient {
    $p = Get-TestS3Parameters
    $config = [Amazon.SQS.AmazonSQSConfig]@{ ServiceURL = $env:S3TURBO_TEST_SQS_ENDPOINT ?? 'http://127.0.0.1:5055'; AuthenticationRegion = $p.Region }
    [Amazon.SQS.AmazonSQSClient]::new($p.AccessKey, $p.SecretKey, $config)
}

# A new queue; with -MaxReceiveCount, also its dead-letter queue and a redrive policy. Returns @{ Url; DeadLetterUrl }.
function New-TestQueue([int] $VisibilityTimeout = 30, [int] $MaxReceiveCount = 0) {
    $sqs = Get-TestSqsClient
    $name = 'pester-' + [guid]::NewGuid().ToString('N').Substring(0, 12)
    $attributes = [System.Collections.Generic.Dictionary[string, string]]::new()
    $attributes['VisibilityTimeout'] = "$VisibilityTimeout"
    $deadLetterUrl = $null
    if ($MaxReceiveCount -gt 0) {
        $deadLetterUrl = (Wait-Task ($sqs.CreateQueueAsync("$name-dlq"))).QueueUrl
        $names = [System.Collections.Generic.List[string]]::new(); $names.Add('QueueArn')
        $arn = (Wait-Task ($sqs.GetQueueAttributesAsync($deadLetterUrl, $names))).Attributes['QueueArn']
        $attributes['RedrivePolicy'] = (@{ deadLetterTargetArn = $arn; maxReceiveCount = "$MaxReceiveCount" } | ConvertTo-Json -Compress)
    }
    $url = (Wait-Task ($sqs.CreateQueueAsync([Amazon.SQS.Model.CreateQueueRequest]@{ QueueName = $name; Attributes = $attributes }))).QueueUrl
    @{ Url = $url; DeadLetterUrl = $deadLetterUrl }
}

# Messages in a queue: visible and in flight (SQS's approximate counts, exact on moto).
function Get-TestQueueCount([string] $Url) {
    $names = [System.Collections.Generic.List[string]]::new()
    $names.Add('ApproximateNumberOfMessages'); $names.Add('ApproximateNumberOfMessagesNotVisible')
    $a = (Wait-Task ((Get-TestSqsClient).GetQueueAttributesAsync($Url, $names))).Attributes
    [int]$a['ApproximateNumberOfMessages'] + [int]$a['ApproximateNumberOfMessagesNotVisible']
}

function Send-TestMessage([string] $Url, [string] $Body) {
    $null = Wait-Task ((Get-TestSqsClient).SendMessageAsync($Url, $Body))
}

function Remove-TestQueue([hashtable] $Queue) {
    $sqs = Get-TestSqsClient
    foreach ($url in @($Queue.Url, $Queue.DeadLetterUrl) | Where-Object { $_ }) { try { $null = Wait-Task ($sqs.DeleteQueueAsync($url)) } catch { } }
}

Export-ModuleMember -Function * -Variable moduleManifest, moduleDir
