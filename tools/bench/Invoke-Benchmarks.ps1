<#
.SYNOPSIS
    Side-by-side upload benchmarks (build.ps1 -Task Bench): S3Turbo vs aws s3 cp, rclone and the AWS SDK's
    TransferUtility (what Write-S3Object -Folder uses), through a delaying TCP proxy (20 ms round trip) in front
    of the local S3 server. Every figure comes from one run of this script; results go to docs/benchmarks.md.
.NOTES
    Each tool runs as its own process under /usr/bin/time: wall seconds, CPU seconds (user+sys) and peak RSS
    include process start-up for every tool alike. The 2-core machine also runs the S3 server.
#>
param([string] $OutFile, [string] $Scenario = 'small,resync,large,large-https,copy-small,copy-large,download-small,download-large,download-large-https,stream,read,tar,queue,remove,proof,resume,limits')
$ErrorActionPreference = 'Stop'
$root = Split-Path (Split-Path $PSScriptRoot -Parent) -Parent
$manifest = $env:S3TURBO_MODULE
$moduleDir = Split-Path $manifest -Parent
# The module keeps its SDK in a private load context (dependencies/); this script loads its own copy.
Add-Type -Path (Join-Path $moduleDir 'dependencies/AWSSDK.Core.dll'), (Join-Path $moduleDir 'dependencies/AWSSDK.S3.dll'), (Join-Path $moduleDir 'dependencies/AWSSDK.SQS.dll')
$scenarios = $Scenario -split ','

# Peers from Debian packages (root can install them; a fresh machine has none).
$missing = @(@{ Path = '/usr/bin/aws'; Package = 'awscli' }, @{ Path = '/usr/bin/rclone'; Package = 'rclone' }, @{ Path = '/usr/bin/time'; Package = 'time' },
    @{ Path = '/usr/lib/python3/dist-packages/boto3'; Package = 'python3-boto3' }) | Where-Object { -not (Test-Path $_.Path) }
if ($missing) {
    & apt-get install -y --no-install-recommends $missing.Package 2>&1 | Out-Null
    if ($LASTEXITCODE -ne 0) { & apt-get update -qq 2>&1 | Out-Null; & apt-get install -y --no-install-recommends $missing.Package 2>&1 | Out-Null }
}

& dotnet build "$root/tools/S3Turbo.Bench" -c Release --nologo -v quiet -o "$root/output/bench-tool" | Out-Null
if ($LASTEXITCODE -ne 0) { throw 'bench tool build failed' }
$benchTool = "$root/output/bench-tool/S3Turbo.Bench.dll"

$serverPort = ([uri]$env:S3TURBO_TEST_ENDPOINT).Port
$proxyPort = 7481
$endpoint = "http://127.0.0.1:$proxyPort"
$proxy = Start-Process dotnet -ArgumentList $benchTool, 'proxy', $proxyPort, $serverPort, 10 -PassThru -RedirectStandardOutput /tmp/s3turbo-proxy.log
Start-Sleep -Seconds 2
$env:AWS_ACCESS_KEY_ID = $env:S3TURBO_TEST_ACCESS_KEY
$env:AWS_SECRET_ACCESS_KEY = $env:S3TURBO_TEST_SECRET_KEY
$env:AWS_DEFAULT_REGION = 'us-east-1'
$env:AWS_EC2_METADATA_DISABLED = 'true'

$client = [Amazon.S3.AmazonS3Client]::new($env:S3TURBO_TEST_ACCESS_KEY, $env:S3TURBO_TEST_SECRET_KEY, [Amazon.S3.AmazonS3Config]@{ ServiceURL = $env:S3TURBO_TEST_ENDPOINT; ForcePathStyle = $true; AuthenticationRegion = 'us-east-1' })
$bucket = 's3turbo-bench'
try { $null = $client.PutBucketAsync($bucket).GetAwaiter().GetResult() } catch [Amazon.S3.AmazonS3Exception] { }

function Clear-Bucket {
    do {
        $page = $client.ListObjectsV2Async([Amazon.S3.Model.ListObjectsV2Request]@{ BucketName = $bucket }).GetAwaiter().GetResult()
        if ($page.S3Objects.Count) {
            $req = [Amazon.S3.Model.DeleteObjectsRequest]@{ BucketName = $bucket }
            foreach ($o in $page.S3Objects) { $req.AddKey($o.Key) }
            $null = $client.DeleteObjectsAsync($req).GetAwaiter().GetResult()
        }
    } while ($page.IsTruncated)
}

function Count-Objects([string] $Prefix) { Count-ObjectsIn $bucket $Prefix }
function Count-ObjectsIn([string] $Bucket, [string] $Prefix) {
    $n = 0; $bytes = 0; $token = $null
    do {
        $page = $client.ListObjectsV2Async([Amazon.S3.Model.ListObjectsV2Request]@{ BucketName = $Bucket; Prefix = $Prefix; ContinuationToken = $token }).GetAwaiter().GetResult()
        foreach ($o in $page.S3Objects) { $n++; $bytes += $o.Size }
        $token = if ($page.IsTruncated) { $page.NextContinuationToken } else { $null }
    } while ($token)
    [pscustomobject]@{ Count = $n; Bytes = $bytes }
}

# A local directory's files and bytes (what a download stored).
function Count-LocalFiles([string] $Directory) {
    $files = @(Get-ChildItem $Directory -Recurse -File -Force -ErrorAction SilentlyContinue)
    [pscustomobject]@{ Count = $files.Count; Bytes = ($files | Measure-Object Length -Sum).Sum ?? 0 }
}

# One tool's run: $Reset prepares (by default: an empty bucket), $CountStored counts what it stored (by default: the
# objects under $Prefix); complete means exactly $Files items of $Bytes in all, and exit code 0.
function Measure-Tool([string] $Name, [string] $Prefix, [string] $Command, [long] $Files, [long] $Bytes,
    [scriptblock] $Reset = { Clear-Bucket }, [scriptblock] $CountStored = { Count-Objects $Prefix }) {
    & $Reset
    $timeFile = [System.IO.Path]::GetTempFileName()
    & /usr/bin/time -o $timeFile -f '%e %U %S %M' bash -c $Command *> /tmp/s3turbo-bench-last.log
    $exit = $LASTEXITCODE
    $wall, $user, $sys, $rssKb = (Get-Content $timeFile | Select-Object -Last 1) -split ' '
    Remove-Item $timeFile
    $stored = & $CountStored
    $row = [pscustomobject]@{
        Tool = $Name; Seconds = [double]$wall; FilesPerSec = [math]::Round($Files / [double]$wall, 1)
        MBps = [math]::Round($Bytes / 1MB / [double]$wall, 1); CpuSec = [math]::Round([double]$user + [double]$sys, 2)
        CpuSecPerGiB = $(if ($Bytes -gt 0) { [math]::Round(([double]$user + [double]$sys) / ($Bytes / 1GB), 2) } else { $null })
        Files = $Files; Bytes = $Bytes
        CpuMsPerObject = $(if ($Files -gt 1) { [math]::Round(([double]$user + [double]$sys) * 1000 / $Files, 2) } else { $null })
        PeakRssMB = [math]::Round([double]$rssKb / 1024, 0); Complete = ($stored.Count -eq $Files -and $stored.Bytes -eq $Bytes -and $exit -eq 0); Command = $Command
        # S3Turbo's own summary (printed by the command) gives the in-process rate, without pwsh start-up.
        InProcessItemsPerSec = [regex]::Match((Get-Content /tmp/s3turbo-bench-last.log -Raw) ?? '', 'ItemsPerSecond\s*:\s*([\d,]+)').Groups[1].Value -replace ',', ''
        InProcessMiBps = [regex]::Match((Get-Content /tmp/s3turbo-bench-last.log -Raw) ?? '', 'MegabytesPerSecond\s*:\s*([\d.,]+) MiB/s').Groups[1].Value -replace ',', ''
    }
    Write-Host ("{0,-34} {1,7:N2}s {2,8:N1} files/s {3,7:N1} MB/s cpu {4,6:N2}s rss {5,5} MB complete={6}" -f $row.Tool, $row.Seconds, $row.FilesPerSec, $row.MBps, $row.CpuSec, $row.PeakRssMB, $row.Complete)
    if (-not $row.Complete) { Write-Warning "$Name stored $($stored.Count) objects/$($stored.Bytes) bytes, exit $exit; see /tmp/s3turbo-bench-last.log" }
    $row
}

$pwsh = "dotnet $PSHOME/pwsh.dll -NoProfile -NonInteractive"
# Commands run under bash -c inside double quotes: PowerShell variables are written \$ so bash leaves them alone.
$s3t = "Import-Module $manifest; \`$ProgressPreference = 'SilentlyContinue'"
$s3tConn = "-EndpointUrl $endpoint -AccessKey $env:S3TURBO_TEST_ACCESS_KEY -SecretKey $env:S3TURBO_TEST_SECRET_KEY -WarningAction SilentlyContinue"

# One pwsh command under /usr/bin/time, reporting the figure the format names (%e wall seconds, %M peak RSS KiB).
function Measure-Pwsh([string] $Format, [string] $Command) {
    $file = [System.IO.Path]::GetTempFileName()
    try {
        & /usr/bin/time -o $file -f $Format bash -c "$pwsh -Command `"$Command`"" *> $null
        # A format of several figures (CPU: '%U %S') gives their sum.
        (((Get-Content $file | Select-Object -Last 1) -split ' ') | ForEach-Object { [double]$_ } | Measure-Object -Sum).Sum
    } finally { Remove-Item $file }
}
# Peak RSS of a pwsh that only imports the module: the base the memory targets are measured above (once per run).
function Measure-IdleRss {
    if ($script:idleRssMB) { return }
    $script:idleRssMB = [math]::Round((Measure-Pwsh '%M' "$s3t; [GC]::Collect()") / 1024, 0)
}
# Fixed costs in every S3Turbo row's whole-process time: pwsh start-up, and start-up plus Import-Module (median
# of three runs each). Peers pay their own start-up (Python for awscli and boto3, ~0.01 s for rclone).
function Measure-StartUp([string] $Command, [string] $Format = '%e') {
    (1..3 | ForEach-Object { Measure-Pwsh $Format $Command } | Sort-Object)[1]
}
$pwshStartSeconds = Measure-StartUp 'exit'
$importStartSeconds = Measure-StartUp "$s3t; exit"
$importStartCpuSeconds = Measure-StartUp "$s3t; exit" '%U %S'
# The empty run (issue 33): start-up, Import-Module and one Send-S3Directory that finds nothing to send, through the
# same proxy. The CPU an S3Turbo row spends beyond it is what its objects cost.
$emptyDir = New-Item -ItemType Directory -Force (Join-Path ([System.IO.Path]::GetTempPath()) 's3turbo-bench-empty')
$emptyRunCommand = "$s3t; Send-S3Directory -Path $emptyDir -BucketName $bucket -KeyPrefix empty/ $s3tConn | Out-Null; exit"
$emptyRunSeconds = Measure-StartUp $emptyRunCommand
$emptyRunCpuSeconds = Measure-StartUp $emptyRunCommand '%U %S'
Write-Host "pwsh start-up: $pwshStartSeconds s; with Import-Module S3Turbo: $importStartSeconds s, $importStartCpuSeconds CPU s; empty run: $emptyRunSeconds s, $emptyRunCpuSeconds CPU s"

# rclone's S3 backend configured through its environment variables (an on-the-fly remote string would need
# quoting that does not survive bash -c).
$rclone = "env -u AWS_CA_BUNDLE RCLONE_S3_PROVIDER=Ceph RCLONE_S3_ENV_AUTH=true RCLONE_S3_ENDPOINT=$endpoint RCLONE_S3_FORCE_PATH_STYLE=true /usr/bin/rclone --config /dev/null"
$rcloneRemote = ":s3:$bucket"
# Today's peers (issue 33) beside Debian 12's: rclone 1.75 from sid, awscli 2.36 classic and with the CRT client from a
# forky chroot (tools/peers-install.sh). Their rows are left out, with a warning, where they cannot be installed.
$currentPeers = $false
try {
    $env:AWS_ACCESS_KEY_ID = $env:S3TURBO_TEST_ACCESS_KEY; $env:AWS_SECRET_ACCESS_KEY = $env:S3TURBO_TEST_SECRET_KEY
    & bash "$root/tools/peers-install.sh" | Write-Host
    $currentPeers = $LASTEXITCODE -eq 0
} catch { Write-Warning "current peers not installed: $_" }
$rcloneNow = $rclone -replace '/usr/bin/rclone', '/var/tmp/s3turbo-peers/rclone/usr/bin/rclone'
$awsNow = '/var/tmp/s3turbo-peers/aws-chroot.sh'
# The rows of the current peers for one transfer: rclone 1.75 (with the options the 1.60 row beside it used), awscli
# 2.36 classic and with the CRT client. Uploads go to rc175/, aws236/ and crt236/ in the bench bucket; downloads
# (-Into) to the directory the other rows of the table use.
function Measure-CurrentPeers([string] $Source, [string] $RcloneSource, [string] $RcloneOptions, [switch] $Recursive, [string] $Into, [long] $Files, [long] $Bytes, [scriptblock] $Reset, [scriptblock] $Count) {
    if (-not $currentPeers) { return }
    $rec = if ($Recursive) { '--recursive' } else { '' }
    # ($peer, not $client: Clear-Bucket, called from Measure-Tool, reads the scripts $client by dynamic scope.)
    $label = "rclone 1.75 copy $RcloneOptions".Trim()
    if ($Into) {
        Measure-Tool $label '' "$rcloneNow copy $RcloneOptions $RcloneSource $Into" $Files $Bytes $Reset $Count
        foreach ($peer in @{ Name = 'classic'; Profile = '' }, @{ Name = 'CRT'; Profile = '--profile crt' }) {
            Measure-Tool "aws 2.36 s3 cp $rec ($($peer.Name))" '' "$awsNow s3 cp $rec $($peer.Profile) --only-show-errors --endpoint-url $endpoint $Source $Into" $Files $Bytes $Reset $Count
        }
        return
    }
    Measure-Tool $label 'rc175/' "$rcloneNow copy $RcloneOptions $Source $rcloneRemote/rc175" $Files $Bytes
    foreach ($peer in @{ Name = 'classic'; Profile = ''; Prefix = 'aws236/' }, @{ Name = 'CRT'; Profile = '--profile crt'; Prefix = 'crt236/' }) {
        $to = if ($Recursive) { "s3://$bucket/$($peer.Prefix)" } else { "s3://$bucket/$($peer.Prefix)$(Split-Path $Source -Leaf)" }
        Measure-Tool "aws 2.36 s3 cp $rec ($($peer.Name))" $peer.Prefix "$awsNow s3 cp $rec $($peer.Profile) --only-show-errors --endpoint-url $endpoint $Source $to" $Files $Bytes
    }
}
$data = '/var/tmp/s3turbo-bench'
# The 1 GiB file the large-object scenarios send and seed from (random bytes, written once).
function Get-BigFile {
    $path = Join-Path $data 'large/big.bin'
    if (-not (Test-Path $path) -or (Get-Item $path).Length -ne 1GB) {
        [void](New-Item -ItemType Directory -Force (Split-Path $path))
        & head -c 1073741824 /dev/urandom > $path
    }
    $path
}
$results = [ordered]@{}

if ($scenarios -contains 'small') {
    $small = Join-Path $data 'small'
    if (-not (Test-Path $small) -or @(Get-ChildItem $small -Recurse -File).Count -ne 2000) {
        Remove-Item $small -Recurse -Force -ErrorAction SilentlyContinue
        $random = [System.Random]::new(1)
        foreach ($i in 0..1999) { $dir = Join-Path $small ('d{0:D2}' -f ($i % 20)); [void](New-Item -ItemType Directory -Force $dir); $b = [byte[]]::new(4096); $random.NextBytes($b); [System.IO.File]::WriteAllBytes((Join-Path $dir "f$i.bin"), $b) }
    }
    $files = 2000; $bytes = 2000 * 4096
    Write-Host "`n== 2,000 x 4 KiB files, 20 ms RTT proxy =="
    # The default and Overwrite rows differ by a few percent, less than this machine's run-to-run noise: each is
    # the median of three runs, interleaved, so neither always runs first after the bucket was emptied.
    $rounds = foreach ($round in 1..3) {
        [pscustomobject]@{
            Default = Measure-Tool 'S3Turbo Send-S3Directory' 's3t/' "$pwsh -Command `"$s3t; Get-ChildItem $small -Recurse -File | Send-S3Directory -BucketName $bucket -KeyPrefix s3t $s3tConn | Format-List | Out-String | Write-Host`"" $files $bytes
            Overwrite = Measure-Tool 'for reference: Send-S3Directory -Mode Overwrite' 's3o/' "$pwsh -Command `"$s3t; Get-ChildItem $small -Recurse -File | Send-S3Directory -BucketName $bucket -KeyPrefix s3o -Mode Overwrite $s3tConn | Format-List | Out-String | Write-Host`"" $files $bytes
        }
    }
    $script:smallRounds = "default $(($rounds.Default.Seconds) -join ' s, ') s; -Mode Overwrite $(($rounds.Overwrite.Seconds) -join ' s, ') s"
    $results['small'] = @(
        ($rounds.Default | Sort-Object Seconds)[1]
        ($rounds.Overwrite | Sort-Object Seconds)[1]
        Measure-Tool 'aws s3 cp --recursive (defaults)' 'aws/' "/usr/bin/aws s3 cp --recursive --only-show-errors --endpoint-url $endpoint $small s3://$bucket/aws/" $files $bytes
        Measure-Tool 'rclone copy (defaults)' 'rc/' "$rclone copy $small $rcloneRemote/rc" $files $bytes
        Measure-Tool 'rclone copy --transfers 32' 'rc32/' "$rclone copy --transfers 32 $small $rcloneRemote/rc32" $files $bytes
        Measure-CurrentPeers -Source $small -RcloneOptions '--transfers 32' -Recursive -Files $files -Bytes $bytes
        Measure-Tool 'TransferUtility.UploadDirectoryAsync' 'tu/' "dotnet $benchTool transferutility-dir $endpoint $bucket tu $small" $files $bytes
    )
    Clear-Bucket
    $script:putCeiling = (& dotnet $benchTool put-ceiling $endpoint $bucket 'ceiling/' $small '16,32,64,128' 2>&1) -join "`n"
    Write-Host $putCeiling
    Clear-Bucket
}

if ($scenarios -contains 'large') {
    $large = Get-BigFile
    Write-Host "`n== one 1 GiB file, 20 ms RTT proxy =="
    Measure-IdleRss
    $results['large'] = @(
        Measure-Tool 'S3Turbo Send-S3Directory' 's3t/' "$pwsh -Command `"$s3t; Send-S3Directory -Path $large -BucketName $bucket -KeyPrefix s3t $s3tConn | Format-List | Out-String | Write-Host`"" 1 1GB
        Measure-Tool 'aws s3 cp (defaults)' 'aws/' "/usr/bin/aws s3 cp --only-show-errors --endpoint-url $endpoint $large s3://$bucket/aws/big.bin" 1 1GB
        Measure-Tool 'rclone copy (defaults)' 'rc/' "$rclone copy $large $rcloneRemote/rc" 1 1GB
        Measure-CurrentPeers -Source $large -Files 1 -Bytes 1GB
        Measure-Tool 'TransferUtility.UploadAsync' 'tu/' "dotnet $benchTool transferutility-file $endpoint $bucket tu/big.bin $large" 1 1GB
    )
}
# ---- re-runs over 200,000 small files: nothing changed, then 10% changed (same sizes, new content and times) ----
if ($scenarios -contains 'resync') {
    $tree = Join-Path $data 'resync'
    $resyncBucket = 's3turbo-bench-resync'   # its own bucket: the other scenarios empty theirs, seeding this one takes minutes
    $fileCount = 200000; $fileSize = 1024; $perDir = 1000
    try { $null = $client.PutBucketAsync($resyncBucket).GetAwaiter().GetResult() } catch [Amazon.S3.AmazonS3Exception] { }
    $marker = "$tree.complete"
    if (-not (Test-Path $marker)) {
        Write-Host "Writing $fileCount local files of $fileSize bytes..."
        Remove-Item $tree -Recurse -Force -ErrorAction SilentlyContinue
        $random = [System.Random]::new(7); $b = [byte[]]::new($fileSize)
        for ($i = 0; $i -lt $fileCount; $i++) {
            $dir = Join-Path $tree ('d{0:D3}' -f [int][math]::Floor($i / $perDir))
            if ($i % $perDir -eq 0) { [void](New-Item -ItemType Directory -Force $dir) }
            $random.NextBytes($b); [System.IO.File]::WriteAllBytes((Join-Path $dir "f$i.bin"), $b)
        }
        Set-Content $marker 'written'
    }
    $resyncConn = $s3tConn -replace [regex]::Escape($endpoint), $env:S3TURBO_TEST_ENDPOINT
    function Count-Resync([datetime] $Since = [datetime]::MinValue) {
        $n = 0; $bytes = 0; $written = 0; $token = $null
        do {
            $page = $client.ListObjectsV2Async([Amazon.S3.Model.ListObjectsV2Request]@{ BucketName = $resyncBucket; Prefix = 'r/'; ContinuationToken = $token }).GetAwaiter().GetResult()
            foreach ($o in $page.S3Objects) { $n++; $bytes += $o.Size; if ($o.LastModified.ToUniversalTime() -ge $Since) { $written++ } }
            $token = if ($page.IsTruncated) { $page.NextContinuationToken } else { $null }
        } while ($token)
        [pscustomobject]@{ Count = $n; Bytes = $bytes; Written = $written }
    }
    if ((Count-Resync).Count -ne $fileCount) {
        Write-Host "Seeding s3://$resyncBucket/r/ directly (no proxy)..."
        & bash -c "$pwsh -Command `"$s3t; Send-S3Directory -Path $tree -Recurse -BucketName $resyncBucket -KeyPrefix r/ $resyncConn | Out-Null`"" *> /tmp/s3turbo-bench-seed.log
    }
    $bytes = [long]$fileCount * $fileSize
    # Each row starts from the same state: the bucket holds exactly what is on disk. For the 10% rows the reset
    # rewrites every tenth file (same size, new bytes, a new time) first, so each tool has exactly 20,000 to send.
    $script:resyncSince = [datetime]::UtcNow
    $script:changeRound = 0
    $unchanged = { Start-Sleep -Milliseconds 1100; $script:resyncSince = [datetime]::UtcNow }
    $changeTenth = {
        $script:changeRound++
        $random = [System.Random]::new(1000 + $script:changeRound); $b = [byte[]]::new($fileSize)
        for ($i = 0; $i -lt $fileCount; $i += 10) {
            $random.NextBytes($b); [System.IO.File]::WriteAllBytes((Join-Path $tree ('d{0:D3}/f{1}.bin' -f [int][math]::Floor($i / $perDir), $i)), $b)
        }
        Start-Sleep -Milliseconds 1100; $script:resyncSince = [datetime]::UtcNow
    }
    $countRun = { ($script:lastResync = Count-Resync $script:resyncSince) }
    $send = "$pwsh -Command `"$s3t; \`$s = Get-ChildItem $tree -Recurse -File | Send-S3Directory -BucketName $resyncBucket -KeyPrefix r/ $s3tConn; \`$s | Format-List | Out-String | Write-Host; 'Requests: ' + (\`$s.RequestsByOperation.Values | Measure-Object -Sum).Sum | Write-Host`""
    # The same defaults with S3Turbo's own directory walk instead of Get-ChildItem's piped objects.
    $sendPath = "$pwsh -Command `"$s3t; \`$s = Send-S3Directory -Path $tree -Recurse -BucketName $resyncBucket -KeyPrefix r/ $s3tConn; \`$s | Format-List | Out-String | Write-Host; 'Requests: ' + (\`$s.RequestsByOperation.Values | Measure-Object -Sum).Sum | Write-Host`""
    $aws = "/usr/bin/aws s3 sync --only-show-errors --endpoint-url $endpoint $tree s3://$resyncBucket/r/"
    # --checksum: compare by size and MD5 from the listing, as S3Turbo does; rclone's default (modification times)
    # reads each object's x-amz-meta-mtime with a HEAD, 200,000 of them.
    $rc = "$rclone sync --checksum $tree :s3:$resyncBucket/r"
    foreach ($case in @(@{ Name = 'resync-unchanged'; Reset = $unchanged; Expect = 0 }, @{ Name = 'resync-changed'; Reset = $changeTenth; Expect = $fileCount / 10 })) {
        Write-Host "`n== $($case.Name): $fileCount x $fileSize B, 20 ms RTT proxy =="
        $results[$case.Name] = @(
            foreach ($tool in @(@{ Name = 'S3Turbo Send-S3Directory'; Command = $send }, @{ Name = 'for reference: Send-S3Directory -Path (defaults)'; Command = $sendPath }, @{ Name = 'aws s3 sync (defaults)'; Command = $aws }, @{ Name = 'rclone sync --checksum'; Command = $rc })) {
                $row = Measure-Tool $tool.Name 'r/' $tool.Command $fileCount $bytes -Reset $case.Reset -CountStored $countRun
                $written = $script:lastResync.Written
                $requests = [regex]::Match((Get-Content /tmp/s3turbo-bench-last.log -Raw) ?? '', 'Requests: (\d+)').Groups[1].Value
                $row | Add-Member Written $written -PassThru | Add-Member Requests $requests -PassThru | Add-Member ExpectWritten $case.Expect -PassThru
                Write-Host "   written during the run: $written (expected $($case.Expect)); S3Turbo requests: $requests"
            }
        )
    }
}
# ---- server-side copy: a source bucket seeded once (directly, not through the proxy), copied into $bucket ----
$sourceBucket = 's3turbo-bench-src'
function Initialize-CopySource([string] $Prefix, [string] $Directory, [long] $Count, [string] $Options = '') {
    try { $null = $client.PutBucketAsync($sourceBucket).GetAwaiter().GetResult() } catch [Amazon.S3.AmazonS3Exception] { }
    & dotnet "$PSHOME/pwsh.dll" -NoProfile -NonInteractive -Command "Import-Module $manifest; `$ProgressPreference = 'SilentlyContinue'; `$null = Send-S3Directory -Path $Directory -Recurse -BucketName $sourceBucket -KeyPrefix $Prefix $Options -EndpointUrl $env:S3TURBO_TEST_ENDPOINT -AccessKey $env:S3TURBO_TEST_ACCESS_KEY -SecretKey $env:S3TURBO_TEST_SECRET_KEY -WarningAction SilentlyContinue"
}
$boto3 = "/usr/bin/python3 $root/tools/bench/boto3_copy_pool.py $endpoint"
foreach ($kind in 'copy-small', 'copy-large') {
    if ($scenarios -notcontains $kind) { continue }
    if ($kind -eq 'copy-small') {
        $dir = Join-Path $data 'small'
        if (-not (Test-Path $dir) -or @(Get-ChildItem $dir -Recurse -File).Count -ne 2000) {
            Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
            $random = [System.Random]::new(1)
            foreach ($i in 0..1999) { $d = Join-Path $dir ('d{0:D2}' -f ($i % 20)); [void](New-Item -ItemType Directory -Force $d); $b = [byte[]]::new(4096); $random.NextBytes($b); [System.IO.File]::WriteAllBytes((Join-Path $d "f$i.bin"), $b) }
        }
        $count = 2000; $bytes = 2000 * 4096; $title = '2,000 objects of 4 KiB'
    } else {
        $dir = Join-Path $data 'copy-large'
        [void](New-Item -ItemType Directory -Force $dir)
        foreach ($i in 1..4) { $f = Join-Path $dir "obj$i.bin"; if (-not (Test-Path $f) -or (Get-Item $f).Length -ne 256MB) { & head -c 268435456 /dev/urandom > $f } }
        $count = 4; $bytes = 4 * 256MB; $title = '4 objects of 256 MiB'
    }
    $prefix = "$kind/"
    Initialize-CopySource $prefix $dir $count
    Write-Host "`n== server-side copy: $title, 20 ms RTT proxy =="
    $results[$kind] = @(
        Measure-Tool 'S3Turbo Copy-S3Prefix' 's3t/' "$pwsh -Command `"$s3t; Copy-S3Prefix s3://$sourceBucket/$prefix s3://$bucket/s3t/ $s3tConn | Format-List | Out-String | Write-Host`"" $count $bytes
        Measure-Tool 'aws s3 cp --recursive (defaults)' 'aws/' "/usr/bin/aws s3 cp --recursive --only-show-errors --endpoint-url $endpoint s3://$sourceBucket/$prefix s3://$bucket/aws/" $count $bytes
        Measure-Tool 'rclone copy (defaults, server-side)' 'rc/' "$rclone copy :s3:$sourceBucket/$prefix $rcloneRemote/rc" $count $bytes
        Measure-Tool 'rclone copy --transfers 32' 'rc32/' "$rclone copy --transfers 32 :s3:$sourceBucket/$prefix $rcloneRemote/rc32" $count $bytes
        Measure-Tool 'boto3 copy_object pool (cpu+4 threads)' 'boto/' "$boto3 $sourceBucket $prefix $bucket boto/" $count $bytes
    )
    if ($kind -eq 'copy-large') {
        Clear-Bucket
        $script:copySession = (& dotnet "$PSHOME/pwsh.dll" -NoProfile -NonInteractive -File "$PSScriptRoot/Measure-CopySession.ps1" -Manifest $manifest `
            -Source "s3://$sourceBucket/$prefix" -Bucket $bucket -Endpoint $endpoint -Rclone $rclone -RcloneSource ":s3:$sourceBucket/$prefix" 2>&1) -join ' '
        Write-Host "one pwsh session: $copySession"
    }
    if ($kind -eq 'copy-small') {
        Clear-Bucket
        $script:copyCeiling = (& dotnet $benchTool copy-ceiling $endpoint $sourceBucket $prefix $bucket '8,16,32,64,128' 2>&1) -join "`n"
        Write-Host $copyCeiling
    }
}
foreach ($kind in 'download-small', 'download-large') {
    if ($scenarios -notcontains $kind) { continue }
    # The source is seeded once, directly; each tool downloads it through the proxy into an empty directory.
    if ($kind -eq 'download-small') {
        $dir = Join-Path $data 'small'
        if (-not (Test-Path $dir) -or @(Get-ChildItem $dir -Recurse -File).Count -ne 2000) {
            Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
            $random = [System.Random]::new(1)
            foreach ($i in 0..1999) { $d = Join-Path $dir ('d{0:D2}' -f ($i % 20)); [void](New-Item -ItemType Directory -Force $d); $b = [byte[]]::new(4096); $random.NextBytes($b); [System.IO.File]::WriteAllBytes((Join-Path $d "f$i.bin"), $b) }
        }
        $count = 2000; $bytes = 2000 * 4096; $title = '2,000 objects of 4 KiB'; $source = $dir
    } else {
        $source = Get-BigFile
        $count = 1; $bytes = 1GB; $title = 'one 1 GiB object'
    }
    $prefix = "$kind/"
    Initialize-CopySource $prefix $source $count
    $into = Join-Path $data "$kind-into"
    $reset = { Remove-Item $into -Recurse -Force -ErrorAction SilentlyContinue; [void](New-Item -ItemType Directory -Force $into) }.GetNewClosure()
    $countInto = { Count-LocalFiles $into }.GetNewClosure()
    Write-Host "`n== download: $title, 20 ms RTT proxy =="
    Measure-IdleRss
    $rows = @(Measure-Tool 'S3Turbo Receive-S3Prefix' '' "$pwsh -Command `"$s3t; Receive-S3Prefix s3://$sourceBucket/$prefix $into $s3tConn | Format-List | Out-String | Write-Host`"" $count $bytes $reset $countInto
        Measure-Tool 'aws s3 cp --recursive (defaults)' '' "/usr/bin/aws s3 cp --recursive --only-show-errors --endpoint-url $endpoint s3://$sourceBucket/$prefix $into" $count $bytes $reset $countInto
        Measure-Tool 'rclone copy (defaults)' '' "$rclone copy :s3:$sourceBucket/$prefix $into" $count $bytes $reset $countInto)
    if ($kind -eq 'download-small') {
        $rows += Measure-Tool 'rclone copy --transfers 32' '' "$rclone copy --transfers 32 :s3:$sourceBucket/$prefix $into" $count $bytes $reset $countInto
        $rows += Measure-CurrentPeers -Source "s3://$sourceBucket/$prefix" -RcloneSource ":s3:$sourceBucket/$prefix" -RcloneOptions '--transfers 32' -Recursive -Into $into -Files $count -Bytes $bytes -Reset $reset -Count $countInto
        $rows += Measure-Tool 'TransferUtility.DownloadDirectoryAsync' '' "dotnet $benchTool transferutility-download-dir $endpoint $sourceBucket $prefix $into" $count $bytes $reset $countInto
        & $reset
        $script:getCeiling = (& dotnet $benchTool get-ceiling $endpoint $sourceBucket $prefix '16,32,64,128' 2>&1) -join "`n"
        Write-Host $getCeiling
    } else {
        $rows += Measure-Tool 'rclone copy --multi-thread-streams 16' '' "$rclone copy --multi-thread-streams 16 :s3:$sourceBucket/$prefix $into" $count $bytes $reset $countInto
        $rows += Measure-CurrentPeers -Source "s3://$sourceBucket/$prefix" -RcloneSource ":s3:$sourceBucket/$prefix" -Recursive -Into $into -Files $count -Bytes $bytes -Reset $reset -Count $countInto
        $rows += Measure-Tool 'TransferUtility.DownloadAsync' '' "dotnet $benchTool transferutility-download $endpoint $sourceBucket ${prefix}big.bin $into/big.bin" $count $bytes $reset $countInto
    }
    Remove-Item $into -Recurse -Force -ErrorAction SilentlyContinue
    $results[$kind] = $rows
}
# ---- over https (issue 33): users reach AWS over TLS, where payloads are encrypted and not SHA-256-signed ----
# A second proxy (same 10 ms each way) terminates TLS with a self-signed certificate that every tool is told to trust:
# S3Turbo (.NET on Linux) through SSL_CERT_FILE, rclone with --ca-cert, awscli with --ca-bundle.
foreach ($kind in 'large-https', 'download-large-https') {
    if ($scenarios -notcontains $kind) { continue }
    if (-not $tlsProxy) {
        $script:caPem = Join-Path $data 'proxy-ca.pem'
        $script:tlsEndpoint = 'https://127.0.0.1:7482'
        $script:tlsProxy = Start-Process dotnet -ArgumentList $benchTool, 'proxy', 7482, $serverPort, 10, 0, '-', $caPem -PassThru -RedirectStandardOutput /tmp/s3turbo-tls-proxy.log
        Start-Sleep -Seconds 2
    }
    $big = Get-BigFile
    $s3tTls = "env SSL_CERT_FILE=$caPem $pwsh -Command"
    $connTls = $s3tConn -replace [regex]::Escape($endpoint), $tlsEndpoint
    $rcloneTls = ($rcloneNow -replace [regex]::Escape($endpoint), $tlsEndpoint) + " --ca-cert $caPem"
    $awsTls = "--ca-bundle $caPem --only-show-errors --endpoint-url $tlsEndpoint"
    Measure-IdleRss
    if ($kind -eq 'large-https') {
        Write-Host "`n== one 1 GiB file over https, 20 ms RTT TLS proxy =="
        $rows = @(Measure-Tool 'S3Turbo Send-S3Directory' 's3t/' "$s3tTls `"$s3t; Send-S3Directory -Path $big -BucketName $bucket -KeyPrefix s3t $connTls | Format-List | Out-String | Write-Host`"" 1 1GB)
        if ($currentPeers) {
            $rows += Measure-Tool 'rclone 1.75 copy' 'rc175/' "$rcloneTls copy $big $rcloneRemote/rc175" 1 1GB
            $rows += Measure-Tool 'aws 2.36 s3 cp (classic)' 'aws236/' "$awsNow s3 cp $awsTls $big s3://$bucket/aws236/big.bin" 1 1GB
            $rows += Measure-Tool 'aws 2.36 s3 cp (CRT)' 'crt236/' "$awsNow s3 cp --profile crt $awsTls $big s3://$bucket/crt236/big.bin" 1 1GB
        }
    } else {
        $prefix = 'download-large/'
        Initialize-CopySource $prefix $big 1
        $into = Join-Path $data "$kind-into"
        $reset = { Remove-Item $into -Recurse -Force -ErrorAction SilentlyContinue; [void](New-Item -ItemType Directory -Force $into) }.GetNewClosure()
        $countInto = { Count-LocalFiles $into }.GetNewClosure()
        Write-Host "`n== download: one 1 GiB object over https, 20 ms RTT TLS proxy =="
        $rows = @(Measure-Tool 'S3Turbo Receive-S3Prefix' '' "$s3tTls `"$s3t; Receive-S3Prefix s3://$sourceBucket/$prefix $into $connTls | Format-List | Out-String | Write-Host`"" 1 1GB $reset $countInto)
        if ($currentPeers) {
            $rows += Measure-Tool 'rclone 1.75 copy' '' "$rcloneTls copy :s3:$sourceBucket/$prefix $into" 1 1GB $reset $countInto
            $rows += Measure-Tool 'aws 2.36 s3 cp --recursive (classic)' '' "$awsNow s3 cp --recursive $awsTls s3://$sourceBucket/$prefix $into" 1 1GB $reset $countInto
            $rows += Measure-Tool 'aws 2.36 s3 cp --recursive (CRT)' '' "$awsNow s3 cp --recursive --profile crt $awsTls s3://$sourceBucket/$prefix $into" 1 1GB $reset $countInto
        }
        Remove-Item $into -Recurse -Force -ErrorAction SilentlyContinue
    }
    $results[$kind] = $rows
}
if ($scenarios -contains 'remove') {
    # Each tool removes 10,000 objects that were just put there directly (not through the proxy); complete means
    # none is left under its prefix.
    function Measure-Removal([string] $Name, [string] $Prefix, [string] $Command, [long] $Count) {
        Clear-Bucket
        & dotnet $benchTool seed $env:S3TURBO_TEST_ENDPOINT $bucket $Prefix $Count
        if ((Count-Objects $Prefix).Count -ne $Count) { throw "seeding $Prefix did not store $Count objects" }
        $timeFile = [System.IO.Path]::GetTempFileName()
        & /usr/bin/time -o $timeFile -f '%e %U %S %M' bash -c $Command *> /tmp/s3turbo-bench-last.log
        $exit = $LASTEXITCODE
        $wall, $user, $sys, $rssKb = (Get-Content $timeFile | Select-Object -Last 1) -split ' '
        Remove-Item $timeFile
        $left = (Count-Objects $Prefix).Count
        $row = [pscustomobject]@{
            Tool = $Name; Seconds = [double]$wall; FilesPerSec = [math]::Round($Count / [double]$wall, 1); MBps = 0
            CpuSec = [math]::Round([double]$user + [double]$sys, 2); CpuSecPerGiB = $null; PeakRssMB = [math]::Round([double]$rssKb / 1024, 0)
            Complete = ($left -eq 0 -and $exit -eq 0); Command = $Command
            InProcessItemsPerSec = [regex]::Match((Get-Content /tmp/s3turbo-bench-last.log -Raw) ?? '', 'ItemsPerSecond\s*:\s*([\d,]+)').Groups[1].Value -replace ',', ''
            InProcessMiBps = $null
        }
        Write-Host ("{0,-34} {1,7:N2}s {2,8:N1} objects/s cpu {3,6:N2}s rss {4,5} MB complete={5}" -f $row.Tool, $row.Seconds, $row.FilesPerSec, $row.CpuSec, $row.PeakRssMB, $row.Complete)
        if (-not $row.Complete) { Write-Warning "$Name left $left objects, exit $exit; see /tmp/s3turbo-bench-last.log" }
        $row
    }
    Write-Host "`n== removing 10,000 objects, 20 ms RTT proxy =="
    $results['remove'] = @(
        Measure-Removal 'S3Turbo Remove-S3Prefix' 's3t/' "$pwsh -Command `"$s3t; Remove-S3Prefix s3://$bucket/s3t/ -Force $s3tConn | Format-List | Out-String | Write-Host`"" 10000
        Measure-Removal 'aws s3 rm --recursive (defaults)' 'aws/' "/usr/bin/aws s3 rm --recursive --only-show-errors --endpoint-url $endpoint s3://$bucket/aws/" 10000
        Measure-Removal 'rclone delete (defaults)' 'rc/' "$rclone delete $rcloneRemote/rc" 10000
    )
}
if ($scenarios -contains 'stream') {
    # One source for every tool: a 1 GiB file of random bytes read as a stream (stdin for the CLIs), so no tool
    # pays for generating data.
    $large = Get-BigFile
    Write-Host "`n== a 1 GiB stream of unknown length, 20 ms RTT proxy =="
    Measure-IdleRss
    $results['stream'] = @(
        Measure-Tool 'S3Turbo New-S3UploadStream' 's3t/' "$pwsh -Command `"$s3t; \`$s = New-S3UploadStream -BucketName $bucket -Key s3t/stream.bin $s3tConn; \`$in = [Console]::OpenStandardInput(); \`$in.CopyTo(\`$s, 1MB); \`$s.Complete() | Format-List | Out-String | Write-Host`" < $large" 1 1GB
        # The same command in a pwsh started without the runtime's profile-guided re-compilation of hot methods
        # (a process start-up setting no module can change): how much of the row is the host's tier-up JIT.
        Measure-Tool 'for reference: the same with DOTNET_TieredPGO=0 set for pwsh' 's3p/' "env DOTNET_TieredPGO=0 $pwsh -Command `"$s3t; \`$s = New-S3UploadStream -BucketName $bucket -Key s3p/stream.bin $s3tConn; \`$in = [Console]::OpenStandardInput(); \`$in.CopyTo(\`$s, 1MB); \`$s.Complete() | Format-List | Out-String | Write-Host`" < $large" 1 1GB
        Measure-Tool 'aws s3 cp - (stdin)' 'aws/' "/usr/bin/aws s3 cp --only-show-errors --endpoint-url $endpoint - s3://$bucket/aws/stream.bin < $large" 1 1GB
        Measure-Tool 'rclone rcat' 'rc/' "$rclone rcat $rcloneRemote/rc/stream.bin < $large" 1 1GB
    )
    # Each tool's fixed cost: the same command on an empty stream (process start-up, connection, one PutObject). What
    # the 1 GiB row costs beyond it is the per-byte cost plus what only a longer run pays (for .NET, tier-up JIT).
    $streamFixedCpu = [ordered]@{}
    foreach ($r in $results['stream']) {
        $timeFile = [System.IO.Path]::GetTempFileName()
        & /usr/bin/time -o $timeFile -f '%U %S' bash -c ($r.Command -replace '< \S+$', '< /dev/null') *> $null
        $streamFixedCpu[$r.Tool] = [math]::Round((((Get-Content $timeFile | Select-Object -Last 1) -split ' ') | ForEach-Object { [double]$_ } | Measure-Object -Sum).Sum, 2)
        Remove-Item $timeFile
        Write-Host ("{0,-34} empty stream: cpu {1,6:N2}s; beyond it: {2,6:N2} CPU s for 1 GiB" -f $r.Tool, $streamFixedCpu[$r.Tool], ($r.CpuSec - $streamFixedCpu[$r.Tool]))
    }
}
# Commands that read rather than write: completeness is what the command itself prints (bytes=..., entries=...),
# and seconds=... (when printed) is the work timed inside the process, without interpreter or pwsh start-up.
function Measure-Run([string] $Name, [string] $Command, [long] $ExpectBytes = -1) {
    $timeFile = [System.IO.Path]::GetTempFileName()
    & /usr/bin/time -o $timeFile -f '%e %U %S %M' bash -c $Command *> /tmp/s3turbo-bench-last.log
    $exit = $LASTEXITCODE
    $wall, $user, $sys, $rssKb = (Get-Content $timeFile | Select-Object -Last 1) -split ' '
    Remove-Item $timeFile
    $log = (Get-Content /tmp/s3turbo-bench-last.log -Raw) ?? ''
    $inner = [regex]::Match($log, 'seconds=([\d.]+)').Groups[1].Value
    $bytes = [regex]::Match($log, 'bytes=(\d+)').Groups[1].Value
    $row = [pscustomobject]@{
        Tool = $Name; Seconds = [double]$wall; InProcessSeconds = $(if ($inner) { [double]$inner } else { $null })
        CpuSec = [math]::Round([double]$user + [double]$sys, 2); PeakRssMB = [math]::Round([double]$rssKb / 1024, 0)
        CpuSecPerGiB = $(if ($ExpectBytes -gt 0) { [math]::Round(([double]$user + [double]$sys) / ($ExpectBytes / 1GB), 2) } else { $null })
        Complete = ($exit -eq 0 -and ($ExpectBytes -lt 0 -or $bytes -eq "$ExpectBytes")); Command = $Command; Log = $log.Trim()
    }
    Write-Host ("{0,-40} {1,7:N2}s (in-process {2,7}s) cpu {3,6:N2}s rss {4,5} MB complete={5}" -f $row.Tool, $row.Seconds, $row.InProcessSeconds, $row.CpuSec, $row.PeakRssMB, $row.Complete)
    if (-not $row.Complete) { Write-Warning "$Name exit $exit, output: $($row.Log)" }
    $row
}
$runResults = [ordered]@{}

if ($scenarios -contains 'read') {
    $large = Get-BigFile
    try { $null = $client.PutBucketAsync($sourceBucket).GetAwaiter().GetResult() } catch [Amazon.S3.AmazonS3Exception] { }
    Initialize-CopySource 'read/' $large 1
    Measure-IdleRss
    Write-Host "`n== reading a 1 GiB object, 20 ms RTT proxy =="
    $readScript = "$s3t; \`$s = Open-S3Object s3://$sourceBucket/read/big.bin $s3tConn; \`$b = [byte[]]::new(1MB); \`$t = [Diagnostics.Stopwatch]::StartNew(); \`$n = 0L; while ((\`$r = \`$s.Read(\`$b, 0, \`$b.Length)) -gt 0) { \`$n += \`$r }; 'seconds={0:F3} bytes={1} requests={2} peak_cache={3}' -f \`$t.Elapsed.TotalSeconds, \`$n, \`$s.Stats.Requests, \`$s.Stats.PeakCachedBytes"
    $randomScript = "$s3t; \`$s = Open-S3Object s3://$sourceBucket/read/big.bin -BlockSize 64KB $s3tConn; \`$b = [byte[]]::new(4KB); \`$rnd = [Random]::new(4); \`$t = [Diagnostics.Stopwatch]::StartNew(); foreach (\`$i in 1..200) { \`$s.Position = \`$rnd.NextInt64(\`$s.Length - 4KB); \`$null = \`$s.Read(\`$b, 0, 4KB) }; 'seconds={0:F3} reads=200 requests={1} requests_per_read={2:F2} ms_per_read={3:F1} bytes_requested={4}' -f \`$t.Elapsed.TotalSeconds, \`$s.Stats.Requests, (\`$s.Stats.Requests / 200), (\`$t.Elapsed.TotalMilliseconds / 200), \`$s.Stats.BytesRequested"
    $runResults['read'] = @(
        Measure-Run 'S3Turbo Open-S3Object (sequential)' "$pwsh -Command `"$readScript`"" 1GB
        Measure-Run 'single GetObject stream (AWS SDK)' "dotnet $benchTool get-single $endpoint $sourceBucket read/big.bin" 1GB
        Measure-Run 'aws s3 cp s3://... - (defaults)' "/usr/bin/aws s3 cp --only-show-errors --endpoint-url $endpoint s3://$sourceBucket/read/big.bin - | wc -c | sed 's/^/bytes=/'" 1GB
        Measure-Run 'S3Turbo Open-S3Object (200 random 4 KiB reads)' "$pwsh -Command `"$randomScript`""
    )
    # The same through a proxy that also caps each connection at 100 MB/s, as one real S3 stream is capped.
    $readCapProxy = Start-Process dotnet -ArgumentList $benchTool, 'proxy', 7483, $serverPort, 10, 100 -PassThru -RedirectStandardOutput /tmp/s3turbo-proxy-readcap.log
    Start-Sleep -Seconds 2
    $capEndpoint = 'http://127.0.0.1:7483'
    $capRead = $readScript -replace [regex]::Escape($endpoint), $capEndpoint
    $runResults['read-capped'] = @(
        Measure-Run 'S3Turbo Open-S3Object (sequential)' "$pwsh -Command `"$capRead`"" 1GB
        Measure-Run 'single GetObject stream (AWS SDK)' "dotnet $benchTool get-single $capEndpoint $sourceBucket read/big.bin" 1GB
        Measure-Run 'aws s3 cp s3://... - (defaults)' "/usr/bin/aws s3 cp --only-show-errors --endpoint-url $capEndpoint s3://$sourceBucket/read/big.bin - | wc -c | sed 's/^/bytes=/'" 1GB
    )
    Stop-Process -Id $readCapProxy.Id -ErrorAction SilentlyContinue
}

if ($scenarios -contains 'tar') {
    # A second proxy that also caps each connection at 100 MB/s, about what one S3 stream gives a Lambda or EC2.
    $capPort = 7482
    $capProxy = Start-Process dotnet -ArgumentList $benchTool, 'proxy', $capPort, $serverPort, 10, 100 -PassThru -RedirectStandardOutput /tmp/s3turbo-proxy-cap.log
    Start-Sleep -Seconds 2
    $capEndpoint = "http://127.0.0.1:$capPort"
    $tarDir = Join-Path $data 'tar'
    [void](New-Item -ItemType Directory -Force $tarDir)
    function New-Archive([string] $Name, [int] $Members, [long] $MemberSize, [int] $Seed) {
        $file = Join-Path $tarDir $Name
        if (Test-Path $file) { return $file }
        $src = Join-Path $tarDir "src-$Name"; Remove-Item $src -Recurse -Force -ErrorAction SilentlyContinue; [void](New-Item -ItemType Directory $src)
        foreach ($i in 1..$Members) { & head -c $MemberSize /dev/urandom > (Join-Path $src ("m{0:D5}.bin" -f $i)) }
        & tar --create --file $file --directory $src .
        Remove-Item $src -Recurse -Force
        $file
    }
    $tarSets = [ordered]@{
        'tar-small-members' = @(New-Archive 'a-2000x4k.tar' 2000 4096 1)
        'tar-large-members' = @(New-Archive 'b-40x25m.tar' 40 (25MB) 2)
        'tar-many-archives' = @(1..50 | ForEach-Object { New-Archive ('c-{0:D2}-200.tar' -f $_) 200 4096 (100 + $_) })
    }
    foreach ($set in $tarSets.Keys) {
        $prefix = "$set/"
        $stage = Join-Path $tarDir "stage-$set"; Remove-Item $stage -Recurse -Force -ErrorAction SilentlyContinue; [void](New-Item -ItemType Directory $stage)
        foreach ($f in $tarSets[$set]) { $null = New-Item -ItemType HardLink -Path (Join-Path $stage (Split-Path $f -Leaf)) -Target $f }
        Initialize-CopySource $prefix $stage $tarSets[$set].Count
        Remove-Item $stage -Recurse -Force
        $keys = ($tarSets[$set] | ForEach-Object { "$prefix$(Split-Path $_ -Leaf)" }) -join ' '
        $archiveBytes = ($tarSets[$set] | Get-Item | Measure-Object Length -Sum).Sum
        Write-Host "`n== tar index: $set ($($tarSets[$set].Count) archives, $([math]::Round($archiveBytes / 1MB, 1)) MiB), 20 ms RTT, 100 MB/s per connection =="
        $capConn = $s3tConn -replace [regex]::Escape($endpoint), $capEndpoint
        # Run twice in one process: the first run (timed as 'seconds', like the baseline's single run) includes .NET's
        # JIT compilation of the code paths; the second shows the steady state a runbook indexing many prefixes sees.
        $tarScript = "$s3t; \`$r = Get-S3TarIndex -BucketName $sourceBucket -Prefix $prefix -DestinationBucket $bucket -DestinationPrefix s3t-idx/ $capConn; \`$w = Get-S3TarIndex -BucketName $sourceBucket -Prefix $prefix -DestinationBucket $bucket -DestinationPrefix s3t-idx2/ $capConn; 'seconds={0:F3} warm_seconds={5:F3} entries={1} bytes={2} archive_bytes={3} percent_read={4:F3}' -f \`$r.Elapsed.TotalSeconds, \`$r.Entries, \`$r.BytesRead, \`$r.ArchiveBytes, \`$r.PercentRead, \`$w.Elapsed.TotalSeconds"
        $runResults[$set] = @(
            Measure-Run 'S3Turbo Get-S3TarIndex' "$pwsh -Command `"$tarScript`""
            Measure-Run 'boto3 + tarfile r| (seed baseline)' "/usr/bin/python3 $root/tools/bench/tarfile_index_baseline.py $capEndpoint $sourceBucket py-idx/ $keys"
        )
    }
    Stop-Process -Id $capProxy.Id -ErrorAction SilentlyContinue
}

# ---- queue-fed workers: 1, 2 and 4 Get-S3TarIndex processes on one SQS queue (moto) of 400 archives ----
$queueRows = @()
if ($scenarios -contains 'queue') {
    $queueDir = Join-Path $data 'queue'
    $queueStage = Join-Path $queueDir 'stage'
    if (-not (Test-Path $queueStage) -or @(Get-ChildItem $queueStage -File).Count -ne 400) {
        Remove-Item $queueDir -Recurse -Force -ErrorAction SilentlyContinue
        $members = Join-Path $queueDir 'members'; [void](New-Item -ItemType Directory -Force $members, $queueStage)
        $random = [System.Random]::new(7)
        foreach ($i in 1..50) { $b = [byte[]]::new(4096); $random.NextBytes($b); [System.IO.File]::WriteAllBytes((Join-Path $members "m$i.bin"), $b) }
        & tar --create --file (Join-Path $queueDir 'one.tar') --directory $members .
        foreach ($i in 1..400) { $null = New-Item -ItemType HardLink -Path (Join-Path $queueStage ('q{0:D3}.tar' -f $i)) -Target (Join-Path $queueDir 'one.tar') }
    }
    Initialize-CopySource 'queue/' $queueStage 400
    $sqsEndpoint = $env:S3TURBO_TEST_SQS_ENDPOINT ?? 'http://127.0.0.1:5055'
    $sqs = [Amazon.SQS.AmazonSQSClient]::new($env:S3TURBO_TEST_ACCESS_KEY, $env:S3TURBO_TEST_SECRET_KEY, [Amazon.SQS.AmazonSQSConfig]@{ ServiceURL = $sqsEndpoint; AuthenticationRegion = 'us-east-1' })
    function Get-QueueDepth([string] $Url) {
        $names = [System.Collections.Generic.List[string]]::new(); $names.Add('ApproximateNumberOfMessages'); $names.Add('ApproximateNumberOfMessagesNotVisible')
        $a = $sqs.GetQueueAttributesAsync($Url, $names).GetAwaiter().GetResult().Attributes
        [int]$a['ApproximateNumberOfMessages'] + [int]$a['ApproximateNumberOfMessagesNotVisible']
    }
    Write-Host "`n== queue-fed workers: 400 archives of 50 x 4 KiB members, one SQS queue (moto), S3 through the 20 ms RTT proxy =="
    $script:queueCeiling = (& dotnet $benchTool get-ceiling $endpoint $sourceBucket 'queue/' '8,16,32,64' 2>&1) -join "`n"
    Write-Host $queueCeiling
    # The queue server's own ceiling: 400 messages taken by one bare client, ten per ReceiveMessage, none deleted.
    $probe = $sqs.CreateQueueAsync("s3turbo-bench-probe-$([guid]::NewGuid().ToString('N').Substring(0, 8))").GetAwaiter().GetResult().QueueUrl
    foreach ($b in 1..40) {
        $entries = [System.Collections.Generic.List[Amazon.SQS.Model.SendMessageBatchRequestEntry]]::new()
        foreach ($i in 1..10) { $entries.Add([Amazon.SQS.Model.SendMessageBatchRequestEntry]@{ Id = "$i"; MessageBody = '{"s3turbo":1,"bucket":"probe","key":"k"}' }) }
        $null = $sqs.SendMessageBatchAsync($probe, $entries).GetAwaiter().GetResult()
    }
    $clock = [System.Diagnostics.Stopwatch]::StartNew(); $taken = 0; $calls = 0
    while ($taken -lt 400 -and $clock.Elapsed.TotalSeconds -lt 120) {
        $taken += @($sqs.ReceiveMessageAsync([Amazon.SQS.Model.ReceiveMessageRequest]@{ QueueUrl = $probe; MaxNumberOfMessages = 10; WaitTimeSeconds = 0 }).GetAwaiter().GetResult().Messages | Where-Object { $_ }).Count
        $calls++
    }
    $script:queueServerCeiling = "queue server (moto): $taken messages in $calls ReceiveMessage calls in $([math]::Round($clock.Elapsed.TotalSeconds, 2)) s = $([math]::Round($taken / $clock.Elapsed.TotalSeconds, 1)) messages/s from one client"
    $null = $sqs.DeleteQueueAsync($probe).GetAwaiter().GetResult()
    Write-Host $queueServerCeiling
    $idle = 3
    foreach ($workers in 1, 2, 4) {
        $url = $sqs.CreateQueueAsync("s3turbo-bench-$workers-$([guid]::NewGuid().ToString('N').Substring(0, 8))").GetAwaiter().GetResult().QueueUrl
        & dotnet "$PSHOME/pwsh.dll" -NoProfile -NonInteractive -Command "Import-Module $manifest; `$null = Send-S3WorkItem s3://$sourceBucket/queue/ -QueueUrl $url -Operation Get-S3TarIndex -EndpointUrl $env:S3TURBO_TEST_ENDPOINT -AccessKey $env:S3TURBO_TEST_ACCESS_KEY -SecretKey $env:S3TURBO_TEST_SECRET_KEY -WarningAction SilentlyContinue"
        if ((Get-QueueDepth $url) -ne 400) { throw "the queue for $workers workers did not get 400 work items" }
        $command = "$s3t; Get-S3TarIndex -QueueUrl $url -DestinationBucket $bucket -DestinationPrefix qidx-$workers/ -IdleTimeout $idle $s3tConn | Out-Null"
        $timeFiles = @()
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $procs = foreach ($w in 1..$workers) {
            $tf = [System.IO.Path]::GetTempFileName(); $timeFiles += $tf
            $start = [System.Diagnostics.ProcessStartInfo]::new('/usr/bin/time')
            foreach ($a in '-o', $tf, '-f', '%e %U %S %M', 'bash', '-c', "$pwsh -Command `"$command`" > /tmp/s3turbo-bench-queue-$w.log 2>&1") { $start.ArgumentList.Add($a) }
            [System.Diagnostics.Process]::Start($start)
        }
        # Done when every archive's index object is stored (a worker deletes a message only after that). Not the
        # queue's depth: moto's threaded server loses a concurrent DeleteMessage now and then (seen: 2 of 400 with 4
        # workers), and such a message only comes back after its visibility timeout, for a harmless second indexing.
        while ((Count-Objects "qidx-$workers/").Count -lt 400 -and $clock.Elapsed.TotalMinutes -lt 10) { Start-Sleep -Milliseconds 250 }
        $drained = $clock.Elapsed.TotalSeconds
        $procs | ForEach-Object { $_.WaitForExit() }
        $wall = $clock.Elapsed.TotalSeconds
        $left = Get-QueueDepth $url
        $cpu = 0.0; $rss = 0
        foreach ($tf in $timeFiles) { $f = (Get-Content $tf | Select-Object -Last 1) -split ' '; $cpu += [double]$f[1] + [double]$f[2]; $rss = [math]::Max($rss, [int]([double]$f[3] / 1024)); Remove-Item $tf }
        $indexed = (Count-Objects "qidx-$workers/").Count
        $null = $sqs.DeleteQueueAsync($url).GetAwaiter().GetResult()
        $row = [pscustomobject]@{ Workers = $workers; DrainSeconds = [math]::Round($drained, 2); WallSeconds = [math]::Round($wall, 2); ArchivesPerSec = [math]::Round(400 / $drained, 1)
            CpuSec = [math]::Round($cpu, 2); PeakRssMB = $rss; Indexed = $indexed; Left = $left; Command = $command }
        Write-Host ("{0} worker(s): all indexed in {1,6:N2}s ({2,6:N1} archives/s), all exited {3,6:N2}s, cpu {4,6:N2}s, {5} index objects, {6} messages left" -f $workers, $row.DrainSeconds, $row.ArchivesPerSec, $row.WallSeconds, $row.CpuSec, $indexed, $left)
        $queueRows += $row
    }
}

# ---- proof (issue 31): what proves each object, and what it costs, through the same 20 ms RTT proxy ----
$proofChecks = @()
if ($scenarios -contains 'proof') {
    $large = Get-BigFile
    # The same 1 GiB twice: as S3Turbo writes it (a FULL_OBJECT CRC64NVME) and without a checksum (-ChecksumAlgorithm
    # None: the ETag, MD5 of parts, is all that proves it), so the two downloads differ only in their proof.
    Initialize-CopySource 'proof-crc/' $large 1
    Initialize-CopySource 'proof-md5/' $large 1 '-ChecksumAlgorithm None'
    # An object a streaming uploader wrote in uneven parts, with the CRC64NVME current SDKs send, and one without.
    & dotnet $benchTool put-uneven $env:S3TURBO_TEST_ENDPOINT $sourceBucket proof-uneven/with-checksum.bin checksum
    & dotnet $benchTool put-uneven $env:S3TURBO_TEST_ENDPOINT $sourceBucket proof-uneven/no-checksum.bin none
    $into = Join-Path $data 'proof-into'
    Write-Host "`n== proof: downloads and Update re-runs, 20 ms RTT proxy =="
    $receive = { param($prefix, $dir) "$pwsh -Command `"$s3t; \`$r = @(Receive-S3Prefix s3://$sourceBucket/$prefix $dir -PassThru $s3tConn); \`$r | ForEach-Object { '{0}: {1} ({2}) verification={3}' -f \`$_.Key, \`$_.Status, \`$_.Reason, \`$_.Verification }; 'bytes=' + (\`$r | Measure-Object Size -Sum).Sum`"" }
    Remove-Item $into -Recurse -Force -ErrorAction SilentlyContinue
    $runResults['proof'] = @(
        Measure-Run 'S3Turbo Receive-S3Prefix, 1 GiB with its CRC64NVME' (& $receive 'proof-crc/' "$into/crc") 1GB
        Measure-Run 'S3Turbo Receive-S3Prefix, the same 1 GiB without a checksum' (& $receive 'proof-md5/' "$into/md5") 1GB
        Measure-Run 'for reference: CRC64NVME and MD5 of 1 GiB in memory (S3Turbo.Bench hash-cost)' "dotnet $benchTool hash-cost $large"
        Measure-Run 'S3Turbo Receive-S3Prefix, objects of uneven parts' (& $receive 'proof-uneven/' "$into/uneven") 54000000
        Measure-Run 'S3Turbo Receive-S3Prefix, the same again (Update)' (& $receive 'proof-uneven/' "$into/uneven")
        Measure-Run 'S3Turbo Send-S3Directory of the downloaded files onto their objects (Update)' "$pwsh -Command `"$s3t; Send-S3Directory $into/uneven -Recurse -BucketName $sourceBucket -KeyPrefix proof-uneven/ -PassThru $s3tConn | ForEach-Object { '{0}: {1} ({2})' -f \`$_.Key, \`$_.Status, \`$_.Reason }`""
    )
    Remove-Item $into -Recurse -Force -ErrorAction SilentlyContinue
    # The proof cases of the engine's tests, run against the same proxy (the fault proxy in front of it strips
    # checksums, refuses GetObjectAttributes, shows ETags that are no MD5s, flips bytes; moto is the second store).
    $proofResults = Join-Path $root 'output/bench-proof'
    Remove-Item $proofResults -Recurse -Force -ErrorAction SilentlyContinue
    $filter = 'FullyQualifiedName~RunProofTests|FullyQualifiedName~StreamProofTests|FullyQualifiedName~MotoProofTests'
    $saved = $env:S3TURBO_TEST_ENDPOINT
    try {
        $env:S3TURBO_TEST_ENDPOINT = $endpoint
        & dotnet test "$root/tests/S3Turbo.Engine.Tests" -c Release --nologo --filter $filter --logger 'trx;LogFileName=proof.trx' --results-directory $proofResults *> /tmp/s3turbo-bench-proof.log
    } finally { $env:S3TURBO_TEST_ENDPOINT = $saved }
    $trx = Get-ChildItem $proofResults -Filter proof.trx -Recurse | Select-Object -First 1
    if ($trx) {
        $proofChecks = @(([xml](Get-Content $trx.FullName -Raw)).TestRun.Results.UnitTestResult | ForEach-Object {
            [pscustomobject]@{ Test = $_.testName -replace '^S3Turbo\.Engine\.Tests\.', ''; Outcome = $_.outcome; Seconds = [math]::Round([timespan]::Parse($_.duration).TotalSeconds, 2) } } | Sort-Object Test)
    }
    Write-Host "proof checks: $(@($proofChecks | Where-Object Outcome -eq 'Passed').Count) passed, $(@($proofChecks | Where-Object Outcome -ne 'Passed').Count) not"
}

# ---- resume (issue 32): a 1 GiB upload and download killed with kill -9 and run again; a copy stopped by -TimeLimit ----
$resumeRows = @()
if ($scenarios -contains 'resume') {
    $large = Get-BigFile
    # A proxy of its own (the same 20 ms round trip) that counts the bytes each way.
    $stats = '/tmp/s3turbo-proxy-resume.stats'
    Remove-Item $stats -ErrorAction SilentlyContinue
    $countingProxy = Start-Process dotnet -ArgumentList $benchTool, 'proxy', 7484, $serverPort, 10, 0, $stats -PassThru -RedirectStandardOutput /tmp/s3turbo-proxy-resume.log
    Start-Sleep -Seconds 2
    $resumeConn = $s3tConn -replace [regex]::Escape($endpoint), 'http://127.0.0.1:7484'
    function Get-ProxyBytes { $m = [regex]::Match((Get-Content $stats -Raw), 'up=(\d+) down=(\d+)'); [pscustomobject]@{ Up = [long]$m.Groups[1].Value; Down = [long]$m.Groups[2].Value } }
    function Get-Crc64Nvme([string] $Path) { & dotnet $benchTool crc64nvme $Path }
    # Starts the command in a fresh pwsh (no bash in between, so the kill reaches pwsh itself) and kills it with
    # SIGKILL once $Enough says so; returns the seconds it ran.
    function Invoke-Killed([string] $Command, [scriptblock] $Enough) {
        $start = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        # The command is written for bash -c (\$ for $); here it goes to pwsh as it is.
        foreach ($a in "$PSHOME/pwsh.dll", '-NoProfile', '-NonInteractive', '-Command', ($Command -replace '\\\$', '$')) { $start.ArgumentList.Add($a) }
        $start.RedirectStandardOutput = $true
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $process = [System.Diagnostics.Process]::Start($start)
        while (-not $process.HasExited -and -not (& $Enough) -and $clock.Elapsed.TotalMinutes -lt 10) { Start-Sleep -Milliseconds 50 }
        if ($process.HasExited) { throw "the run ended before it was killed: $Command" }
        $process.Kill(); $process.WaitForExit()
        [math]::Round($clock.Elapsed.TotalSeconds, 2)
    }
    function Measure-Again([string] $Name, [string] $Command, [long] $Bytes, [string] $Direction) {
        $before = Get-ProxyBytes
        $row = Measure-Run $Name $Command
        Start-Sleep -Milliseconds 400 # the proxy writes its counts every 200 ms
        $after = Get-ProxyBytes
        $moved = if ($Direction -eq 'up') { $after.Up - $before.Up } else { $after.Down - $before.Down }
        $row | Add-Member BytesMoved $moved -PassThru | Add-Member PercentMoved ([math]::Round(100.0 * $moved / $Bytes, 1)) -PassThru
    }
    Write-Host "`n== resume: a 1 GiB upload and download killed with kill -9, then run again; 20 ms RTT proxy counting bytes =="
    $upKey = 'resume/big.bin'
    $parts = 32 # the default part size for 1 GiB: a sixteenth of the file, within 8 to 32 MiB
    # At most 4 requests in flight, in both runs: with the default concurrency all 32 parts are in flight at once and
    # finish together, so no kill could land between "half stored" and "all stored".
    $upload = "$s3t; Send-S3Directory -Path $large -BucketName $bucket -KeyPrefix resume/ -MaxConcurrency 4 $resumeConn"
    $storedParts = {
        $u = @($client.ListMultipartUploadsAsync($bucket, 'resume/').GetAwaiter().GetResult().MultipartUploads | Where-Object Key -eq $upKey) | Select-Object -First 1
        if (-not $u) { return $false }
        @($client.ListPartsAsync($bucket, $upKey, $u.UploadId).GetAwaiter().GetResult().Parts).Count -ge ($parts / 2 + 1)
    }
    Clear-Bucket
    $killedAfter = Invoke-Killed $upload $storedParts
    $u = @($client.ListMultipartUploadsAsync($bucket, 'resume/').GetAwaiter().GetResult().MultipartUploads) | Select-Object -First 1
    $keptParts = @($client.ListPartsAsync($bucket, $upKey, $u.UploadId).GetAwaiter().GetResult().Parts).Count
    $again = Measure-Again 'S3Turbo Send-S3Directory -MaxConcurrency 4, the same command after kill -9' "$pwsh -Command `"$s3t; Send-S3Directory -Path $large -BucketName $bucket -KeyPrefix resume/ -MaxConcurrency 4 -PassThru $resumeConn | ForEach-Object { 'status={0} reason={1} checksum={2}' -f \`$_.Status, \`$_.Reason, \`$_.Checksum }`"" 1GB 'up'
    $head = $client.GetObjectMetadataAsync([Amazon.S3.Model.GetObjectMetadataRequest]@{ BucketName = $bucket; Key = $upKey; ChecksumMode = 'ENABLED' }).GetAwaiter().GetResult()
    # The store's list of uploads can name a just-completed one for a moment: asked again for up to 5 s.
    foreach ($try in 1..20) { $openLeft = @($client.ListMultipartUploadsAsync($bucket, 'resume/').GetAwaiter().GetResult().MultipartUploads | Where-Object { $_ }).Count; if (-not $openLeft) { break }; Start-Sleep -Milliseconds 250 }
    $localCrc = Get-Crc64Nvme $large
    $resumeRows += $again | Add-Member Note "killed after $killedAfter s with $keptParts of $parts parts stored; the object: $($head.ContentLength) bytes, $($head.ChecksumType) CRC64NVME $($head.ChecksumCRC64NVME) (the file's: $localCrc), open uploads left: $openLeft" -PassThru

    $into = Join-Path $data 'resume-into'
    Remove-Item $into -Recurse -Force -ErrorAction SilentlyContinue
    $download = "$s3t; Receive-S3Prefix s3://$bucket/resume/ $into $resumeConn"
    $ranges = 128 # Receive-S3Prefix's default range size (8 MiB) for an object whose whole CRC64NVME proves it
    $journaled = { (@(Get-ChildItem $into -Filter '.s3turbo-*.journal' -Force -ErrorAction SilentlyContinue | ForEach-Object { (Get-Content $_.FullName).Count - 1 }) | Measure-Object -Sum).Sum -ge ($ranges / 2 + 1) }
    $killedAfter = Invoke-Killed $download $journaled
    $keptRanges = (@(Get-ChildItem $into -Filter '.s3turbo-*.journal' -Force | ForEach-Object { (Get-Content $_.FullName).Count - 1 }) | Measure-Object -Sum).Sum
    $again = Measure-Again 'S3Turbo Receive-S3Prefix, the same command after kill -9' "$pwsh -Command `"$s3t; Receive-S3Prefix s3://$bucket/resume/ $into -PassThru $resumeConn | ForEach-Object { 'status={0} reason={1} verification={2}' -f \`$_.Status, \`$_.Reason, \`$_.Verification }`"" 1GB 'down'
    $leftovers = @(Get-ChildItem $into -Filter '.s3turbo-*' -Force).Count
    $fileCrc = Get-Crc64Nvme (Join-Path $into 'big.bin')
    $resumeRows += $again | Add-Member Note "killed after $killedAfter s with $keptRanges of $ranges ranges journaled; the file's CRC64NVME $fileCrc (the object's: $($head.ChecksumCRC64NVME)), temporary files left: $leftovers" -PassThru
    Remove-Item $into -Recurse -Force -ErrorAction SilentlyContinue

    # 5,000 small copies take about 7 s here, so a 10 s limit would not stop them: the limit is 3 s.
    Write-Host "`n== a copy of 5,000 objects with -TimeLimit 3s, then the same command without it; 20 ms RTT proxy =="
    try { $null = $client.PutBucketAsync($sourceBucket).GetAwaiter().GetResult() } catch [Amazon.S3.AmazonS3Exception] { }
    if ((Count-ObjectsIn $sourceBucket 'limit/').Count -ne 5000) { & dotnet $benchTool seed $env:S3TURBO_TEST_ENDPOINT $sourceBucket 'limit/' 5000 text }
    Clear-Bucket
    $limited = Measure-Run 'S3Turbo Copy-S3Prefix -TimeLimit 3s' "$pwsh -Command `"$s3t; Copy-S3Prefix s3://$sourceBucket/limit/ s3://$bucket/limit/ -TimeLimit 3s $s3tConn | ForEach-Object { 'incomplete={0} copied={1} left={2} failed={3}' -f \`$_.Incomplete, \`$_.ItemsTransferred, \`$_.ItemsLeft, \`$_.ItemsFailed }`""
    $rest = Measure-Run 'S3Turbo Copy-S3Prefix, the same command without the limit' "$pwsh -Command `"$s3t; Copy-S3Prefix s3://$sourceBucket/limit/ s3://$bucket/limit/ $s3tConn | ForEach-Object { 'incomplete={0} copied={1} skipped={2} failed={3}' -f \`$_.Incomplete, \`$_.ItemsTransferred, \`$_.ItemsSkipped, \`$_.ItemsFailed }`""
    # Every copy equal to its source: each object holds its own source key.
    $mismatched = 0; $count = 0; $token = $null
    do {
        $page = $client.ListObjectsV2Async([Amazon.S3.Model.ListObjectsV2Request]@{ BucketName = $bucket; Prefix = 'limit/'; ContinuationToken = $token }).GetAwaiter().GetResult()
        foreach ($o in $page.S3Objects) {
            $count++
            $body = $client.GetObjectAsync($bucket, $o.Key).GetAwaiter().GetResult()
            $text = [System.IO.StreamReader]::new($body.ResponseStream).ReadToEnd(); $body.Dispose()
            if ($text -ne $o.Key) { $mismatched++ }
        }
        $token = if ($page.IsTruncated) { $page.NextContinuationToken } else { $null }
    } while ($token)
    $resumeRows += $limited | Add-Member Note '' -PassThru
    $resumeRows += $rest | Add-Member Note "after both runs: $count objects under limit/, $mismatched differing from their source" -PassThru
    Stop-Process -Id $countingProxy.Id -ErrorAction SilentlyContinue
    Clear-Bucket
}

$limitRows = @()
if ($scenarios -contains 'limits') {
    # Through the bench's proxy (no bandwidth cap of its own): what is measured is the cap. The summary's own Elapsed is
    # the figure (pwsh's start-up is outside the cap); the wall time is beside it.
    $capped = Join-Path $data 'limits/capped.bin'
    if (-not (Test-Path $capped) -or (Get-Item $capped).Length -ne 200MB) { [void](New-Item -ItemType Directory -Force (Split-Path $capped)); & head -c 209715200 /dev/urandom > $capped }
    $print = "ForEach-Object { 'seconds={0:F2} bytes={1} cap={2}' -f \`$_.Elapsed.TotalSeconds, \`$_.BytesTransferred, \`$_.MaxBytesPerSecond }"
    Write-Host "`n== limits: 200 MiB up and down with -MaxBytesPerSecond 20MB, then two Add writers racing on 1,000 keys =="
    Clear-Bucket
    $up = Measure-Run 'Send-S3Directory -MaxBytesPerSecond 20MB (200 MiB file)' "$pwsh -Command `"$s3t; Send-S3Directory -Path $capped -BucketName $bucket -KeyPrefix limits/ -MaxBytesPerSecond 20MB $s3tConn | $print`"" 200MB
    $limitRows += $up | Add-Member Note ('{0:N1} MiB/s over the run (10.0 s would be the cap exactly)' -f (200 / $up.InProcessSeconds)) -PassThru
    $into = Join-Path $data 'limits-into'
    Remove-Item $into -Recurse -Force -ErrorAction SilentlyContinue
    $down = Measure-Run 'Receive-S3Prefix -MaxBytesPerSecond 20MB (the same object)' "$pwsh -Command `"$s3t; Receive-S3Prefix s3://$bucket/limits/ $into -MaxBytesPerSecond 20MB $s3tConn | $print`"" 200MB
    $limitRows += $down | Add-Member Note ('{0:N1} MiB/s over the run' -f (200 / $down.InProcessSeconds)) -PassThru
    Remove-Item $into -Recurse -Force -ErrorAction SilentlyContinue

    # Two writers, started together, each with its own bytes for the same 1,000 keys, in Add mode.
    $writers = 'a', 'b'
    foreach ($w in $writers) {
        $dir = Join-Path $data "limits-race/$w"
        Remove-Item $dir -Recurse -Force -ErrorAction SilentlyContinue
        [void](New-Item -ItemType Directory -Force $dir)
        foreach ($i in 0..999) { [System.IO.File]::WriteAllText((Join-Path $dir ('k{0:D4}.txt' -f $i)), "writer $w key $i") }
    }
    $race = foreach ($w in $writers) {
        $out = Join-Path $data "limits-race/$w.out"
        $command = "$s3t; Send-S3Directory -Path $(Join-Path $data "limits-race/$w") -BucketName $bucket -KeyPrefix race/ -Mode Add -PassThru $s3tConn | ForEach-Object { '{0} {1} {2}' -f `$_.Status, `$_.Key, `$_.Reason } | Set-Content $out"
        # Straight to pwsh (the command is written for bash -c: \$ for $).
        $start = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($a in "$PSHOME/pwsh.dll", '-NoProfile', '-NonInteractive', '-Command', ($command -replace '\\\$', '$')) { $start.ArgumentList.Add($a) }
        [pscustomobject]@{ Writer = $w; Out = $out; Process = [System.Diagnostics.Process]::Start($start) }
    }
    $race | ForEach-Object { $_.Process.WaitForExit() }
    $reported = @{}
    foreach ($r in $race) { foreach ($line in Get-Content $r.Out) { $status, $key, $reason = $line -split ' ', 3; $reported["$($r.Writer)|$key"] = $status } }
    $wrong = 0; $twice = 0; $neither = 0; $uploadedBy = @{ a = 0; b = 0 }; $skippedMeanwhile = @{ a = 0; b = 0 }
    foreach ($r in $race) { $skippedMeanwhile[$r.Writer] = @(Get-Content $r.Out | Where-Object { $_ -like 'Skipped * *meanwhile*' }).Count }
    foreach ($i in 0..999) {
        $key = 'race/k{0:D4}.txt' -f $i
        $body = $client.GetObjectAsync($bucket, $key).GetAwaiter().GetResult()
        $text = [System.IO.StreamReader]::new($body.ResponseStream).ReadToEnd(); $body.Dispose()
        $winners = @($writers | Where-Object { $reported["$_|$key"] -eq 'Uploaded' })
        if ($winners.Count -gt 1) { $twice++ } elseif ($winners.Count -eq 0) { $neither++ }
        elseif ($text -ne "writer $($winners[0]) key $i") { $wrong++ } else { $uploadedBy[$winners[0]]++ }
    }
    $limitRows += [pscustomobject]@{ Tool = 'Two Send-S3Directory -Mode Add writers started together on the same 1,000 keys'; Seconds = ''; CpuSec = ''; PeakRssMB = ''; InProcessSeconds = ''
        Log = "a uploaded $($uploadedBy.a), b uploaded $($uploadedBy.b)"
        Note = "keys written by both: $twice; by neither: $neither; holding the other writer's bytes: $wrong; skipped as 'stored meanwhile by another writer': a $($skippedMeanwhile.a), b $($skippedMeanwhile.b)"
        Command = ($race | ForEach-Object { "Send-S3Directory -Path <dir $($_.Writer)> -BucketName <bucket> -KeyPrefix race/ -Mode Add -PassThru" }) -join '; ' }
    Clear-Bucket
}

$titles = @{ 'small' = '2,000 files of 4 KiB (upload)'; 'large' = 'One 1 GiB file (upload)'; 'copy-small' = 'Server-side copy: 2,000 objects of 4 KiB'; 'copy-large' = 'Server-side copy: 4 objects of 256 MiB'; 'stream' = 'Upload of a 1 GiB stream of unknown length (New-S3UploadStream defaults: 8 MiB parts, 4 in flight)'
    'read' = 'Reading a 1 GiB object (Open-S3Object defaults: 1 MiB blocks, 64 MiB read-ahead in 8 MiB GETs, 64 MiB cap)'
    'read-capped' = 'Reading a 1 GiB object through a proxy that also caps each connection at 100 MB/s (as one S3 stream is)'
    'tar-small-members' = 'Tar index (a): 1 archive of 2,000 x 4 KiB members'; 'tar-large-members' = 'Tar index (b): 1 archive of 40 x 25 MiB members'
    'tar-many-archives' = 'Tar index (c): 50 archives of 200 x 4 KiB members'
    'remove' = 'Removing 10,000 objects under a prefix (Remove-S3Prefix defaults: DeleteObjects batches of 1,000)'
    'resync-unchanged' = 'Re-run over 200,000 files of 1 KiB, nothing changed (Send-S3Directory defaults: Update, -Compare Checksum)'
    'resync-changed' = 'Re-run over 200,000 files of 1 KiB, 10% changed (20,000 files with new bytes of the same size and a new time)'
    'download-small' = 'Download: 2,000 objects of 4 KiB (Receive-S3Prefix defaults)'; 'download-large' = 'Download: one 1 GiB object (Receive-S3Prefix defaults: ranged GETs of 32 MiB, verified by the object''s CRC64NVME)'
    'large-https' = 'One 1 GiB file (upload) over https: the same proxy terminating TLS (self-signed certificate, trusted by every tool)'
    'download-large-https' = 'Download: one 1 GiB object over https (the same TLS proxy)'
    'proof' = 'Proof: the 1 GiB download verified by its CRC64NVME against the same bytes proven by MD5 of parts; objects of uneven parts verified and not fetched or sent again' }

Clear-Bucket
Stop-Process -Id $proxy.Id -ErrorAction SilentlyContinue
if ($tlsProxy) { Stop-Process -Id $tlsProxy.Id -ErrorAction SilentlyContinue }

# ---- report ----
# A command as the report shows it: the test store's secret key replaced.
function Hide-Secret([string] $Command) { $Command -replace [regex]::Escape($env:S3TURBO_TEST_SECRET_KEY), '<secret>' }
# The "Commands:" list that ends each section.
function Add-CommandList($Rows) {
    [void]$md.AppendLine("`nCommands:`n")
    foreach ($r in $Rows) { [void]$md.AppendLine("- $($r.Tool): ``$(Hide-Secret $r.Command)``") }
    [void]$md.AppendLine()
}
# A server's ceiling for bare requests (S3Turbo.Bench.dll <command>) and how much of it the S3Turbo row reached.
function Add-CeilingSection([string] $Ceiling, [string] $Requests, [string] $Command, [string] $Cmdlet, [string] $Included, $Row, [string] $SummaryUnit) {
    $best = [double]([regex]::Match($Ceiling, 'ceiling: (\d+)').Groups[1].Value)
    [void]$md.AppendLine("`nCeiling: $Requests (``dotnet output/bench-tool/S3Turbo.Bench.dll $Command``):`n")
    [void]$md.AppendLine('```'); [void]$md.AppendLine($Ceiling); [void]$md.AppendLine('```')
    if ($best -gt 0) {
        [void]$md.AppendLine("`n$Cmdlet reached $([math]::Round(100 * $Row.FilesPerSec / $best, 0))% of that ceiling over the whole process ($Included)" +
            $(if ($Row.InProcessItemsPerSec) { ", and $([math]::Round(100 * [double]$Row.InProcessItemsPerSec / $best, 0))% by its own summary ($($Row.InProcessItemsPerSec) $SummaryUnit)." } else { '.' }))
    }
}
$md = [System.Text.StringBuilder]::new()
[void]$md.AppendLine("# Benchmarks`n")
$store = if (Test-Path /var/tmp/s3turbo-ceph/rootfs/usr/bin/radosgw) { ((& chroot /var/tmp/s3turbo-ceph/rootfs radosgw --version 2>$null) -replace '^ceph version (\S+) \(\w+\) (\w+).*$', 'Ceph $1 "$2"') + ' RGW' } else { "the S3 store at $env:S3TURBO_TEST_ENDPOINT" }
[void]$md.AppendLine("Generated by ``dotnet tool restore && dotnet pwsh ./build.ps1 -Task Bench`` on $(Get-Date -Format 'yyyy-MM-dd HH:mm') UTC, $([Environment]::ProcessorCount) cores, against the local $store through ``tools/S3Turbo.Bench proxy`` (10 ms each way, so 20 ms round trip, bandwidth not capped). Every tool runs as its own process under ``/usr/bin/time``: the times include process start-up (pwsh and module import for S3Turbo, Python for awscli, the .NET host for TransferUtility), and CPU seconds are user+sys of that process. The S3 server shares the 2 cores, so small-file rates are bound by the server's CPU. All rows of a table come from the same run; this machine is shared and noisy, so compare ratios rather than absolute figures.`n")
[void]$md.AppendLine("Fixed costs inside every S3Turbo whole-process time in this run: pwsh start-up $pwshStartSeconds s, start-up plus ``Import-Module S3Turbo`` $importStartSeconds s and $importStartCpuSeconds CPU s (medians of three). CPU s/GiB is the process's CPU seconds over the bytes moved, start-up included, so on 1 GiB it carries each tool's fixed costs (for S3Turbo: pwsh start-up, module import, and .NET's first-call and tier-up JIT compilation of the SDK and HTTP code). The gateway sets TCP_NODELAY (``tools/s3-server-start.sh``); runs before 2026-11-26 22:00 UTC had a ~40 ms delayed-ACK stall on small responses (listings, CopyObject results), which slowed tools with few requests in flight more than S3Turbo, so their ratios are not comparable with these.`n")
foreach ($name in $results.Keys) {
    $rows = $results[$name]
    $title = $titles[$name]
    $us = $rows | Where-Object Tool -like 'S3Turbo*' | Select-Object -First 1
    [void]$md.AppendLine("## $title`n")
    [void]$md.AppendLine('| Tool | Seconds | Files/s | MB/s | CPU s | CPU s/GiB | CPU ms/object | Peak RSS MB | All objects stored | In-process (S3Turbo summary) |')
    [void]$md.AppendLine('|---|---:|---:|---:|---:|---:|---:|---:|---|---|')
    foreach ($r in $rows) {
        $inProcess = if ($r.InProcessMiBps) { "$($r.InProcessMiBps) MiB/s, $($r.InProcessItemsPerSec) items/s" } else { '' }
        $perObject = if ($r.PSObject.Properties['CpuMsPerObject']) { $r.CpuMsPerObject } else { '' }
        [void]$md.AppendLine("| $($r.Tool) | $($r.Seconds) | $($r.FilesPerSec) | $($r.MBps) | $($r.CpuSec) | $($r.CpuSecPerGiB) | $perObject | $($r.PeakRssMB) | $($r.Complete) | $inProcess |")
    }
    # Beyond the empty run: what S3Turbo's objects or bytes cost, without start-up and import.
    if ($us -and $emptyRunCpuSeconds) {
        $beyond = [math]::Round(([double]$us.CpuSec - [double]$emptyRunCpuSeconds), 2)
        [void]$md.AppendLine("`nS3Turbo beyond the empty run ($emptyRunSeconds s, $emptyRunCpuSeconds CPU s: start-up, import and a Send-S3Directory with nothing to send): $beyond CPU s" +
            $(if ($us.PSObject.Properties['Files'] -and $us.Files -gt 1) { ", $([math]::Round($beyond * 1000 / $us.Files, 2)) CPU ms per object" } elseif ($us.PSObject.Properties['Bytes'] -and $us.Bytes -gt 0) { ", $([math]::Round($beyond / ($us.Bytes / 1GB), 2)) CPU s per GiB" } else { '' }) + '.')
    }
    $us = $rows | Where-Object Tool -like 'S3Turbo*'
    $peers = @($rows | Where-Object { $_.Tool -notlike 'S3Turbo*' -and $_.Tool -notlike 'for reference*' })
    $ratios = foreach ($r in $peers) { "$([math]::Round($r.Seconds / $us.Seconds, 2))x $($r.Tool)" }
    [void]$md.AppendLine("`nS3Turbo speed-up (peer seconds / S3Turbo seconds): $($ratios -join '; ').")
    foreach ($reference in $rows | Where-Object Tool -like 'for reference*') {
        $against = foreach ($r in $peers) { "$([math]::Round($r.Seconds / $reference.Seconds, 2))x $($r.Tool)" }
        [void]$md.AppendLine("`nThe row ""$($reference.Tool)"" against the same peers: $($against -join '; '); against the S3Turbo row: $([math]::Round($reference.Seconds / $us.Seconds, 2)) of its time.")
    }
    if ($name -eq 'small' -and $smallRounds) {
        [void]$md.AppendLine("`nThe two Send-S3Directory rows are the medians of three runs each, interleaved: $smallRounds.")
    }
    if ($name -eq 'small' -and $putCeiling) {
        Add-CeilingSection $putCeiling 'bare PutObject requests of the same files (read into memory first) at a fixed concurrency, same proxy' 'put-ceiling' 'Send-S3Directory' 'pwsh start-up, module import, Get-ChildItem, reading, checksums, uploading' $us 'files/s'
    }
    if ($name -eq 'copy-small' -and $copyCeiling) {
        Add-CeilingSection $copyCeiling 'bare CopyObject requests at a fixed concurrency, same keys, same proxy' 'copy-ceiling' 'Copy-S3Prefix' 'pwsh start-up, module import, listing and copying' $us 'objects/s from the first request to the last'
    }
    if ($name -eq 'copy-large' -and $copySession -match 'import=([\d.]+) s3turbo=([\d.,]+) rclone=([\d.,]+)') {
        [void]$md.AppendLine("`nFrom one running pwsh session, as a PowerShell user or runbook sees it (``tools/bench/Measure-CopySession.ps1``): ``Import-Module S3Turbo`` $($Matches[1]) s; Copy-S3Prefix three times in a row: $($Matches[2] -replace ',', ' s, ') s; ``rclone copy`` (defaults) started from the same session three times: $($Matches[3] -replace ',', ' s, ') s. The first Copy-S3Prefix of a session includes .NET's first-call JIT compilation.")
    } elseif ($name -eq 'copy-large') { [void]$md.AppendLine("`nThe one-session measurement failed: $copySession") }
    if ($name -eq 'stream' -and $streamFixedCpu) {
        $lines = foreach ($r in $rows) { "$($r.Tool) $($streamFixedCpu[$r.Tool]) CPU s (1 GiB costs $([math]::Round($r.CpuSec - $streamFixedCpu[$r.Tool], 2)) beyond it)" }
        [void]$md.AppendLine("`nThe same commands on an empty stream (``< /dev/null``: start-up, connection, one PutObject): $($lines -join '; ').")
    }
    if ($name -eq 'download-small' -and $getCeiling) {
        Add-CeilingSection $getCeiling 'bare GetObject requests (body read and dropped) at a fixed concurrency, same keys, same proxy' 'get-ceiling' 'Receive-S3Prefix' 'pwsh start-up, module import, listing, downloading, verifying, renaming' $us 'objects/s'
    }
    if ($name -like 'resync-*') {
        $lines = foreach ($r in $rows) { "$($r.Tool) wrote $($r.Written) objects (expected $($r.ExpectWritten))" }
        [void]$md.AppendLine("`nObjects written during each run (LastModified after the run started): $($lines -join '; ').")
        if ($us.Requests) { [void]$md.AppendLine("`nS3Turbo made $($us.Requests) requests: one per $([math]::Round(200000 / [double]$us.Requests, 0)) files.") }
    }
    if ($name -in 'large', 'stream', 'download-large', 'large-https', 'download-large-https') { [void]$md.AppendLine("`nS3Turbo peak RSS above an idle pwsh with the module imported ($idleRssMB MB): $($us.PeakRssMB - $idleRssMB) MB.") }
    Add-CommandList $rows
}
if ($queueRows) {
    [void]$md.AppendLine("## Queue-fed workers: 400 archives (50 x 4 KiB members each) on one SQS queue, 1 vs 2 vs 4 worker processes`n")
    [void]$md.AppendLine("Each row: a fresh queue (moto's server, on this machine) gets 400 work items from ``Send-S3WorkItem``; then N ``Get-S3TarIndex -QueueUrl`` processes start at once, each in a fresh pwsh, S3 through the 20 ms RTT proxy. *Indexed* is the time from starting them until all 400 index objects are stored (a message is deleted only after its archive's index is); *all exited* adds each worker's $idle s idle timeout and its exit. CPU s is the sum over the workers. *Messages left* counts deletes that moto's threaded server lost (such a message returns after its visibility timeout and is indexed again, harmlessly).`n")
    [void]$md.AppendLine('| Workers | Indexed (s) | Archives/s | Speed-up | All exited (s) | CPU s (all workers) | Peak RSS MB (one worker) | Index objects | Messages left |')
    [void]$md.AppendLine('|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
    $one = ($queueRows | Where-Object Workers -eq 1).DrainSeconds
    foreach ($r in $queueRows) { [void]$md.AppendLine("| $($r.Workers) | $($r.DrainSeconds) | $($r.ArchivesPerSec) | $([math]::Round($one / $r.DrainSeconds, 2))x | $($r.WallSeconds) | $($r.CpuSec) | $($r.PeakRssMB) | $($r.Indexed) | $($r.Left) |") }
    [void]$md.AppendLine("`nThe servers' ceilings for this work. S3: bare GetObject of the same archives (each one GET when indexed) at fixed concurrency, same proxy (``S3Turbo.Bench.dll get-ceiling``); every archive also costs one PUT of its index. The queue: one bare client taking the same number of messages, ten per ReceiveMessage (every message is received once, whatever the number of workers; moto is one Python process, so more clients do not raise it).`n")
    [void]$md.AppendLine('```'); [void]$md.AppendLine($queueCeiling); [void]$md.AppendLine($queueServerCeiling); [void]$md.AppendLine('```')
    [void]$md.AppendLine("`nWorker command: ``$(Hide-Secret $queueRows[0].Command)```n")
}
foreach ($name in $runResults.Keys) {
    $rows = $runResults[$name]
    [void]$md.AppendLine("## $($titles[$name])`n")
    [void]$md.AppendLine('| Tool | Seconds (process) | Seconds (work, in-process) | CPU s | CPU s/GiB | Peak RSS MB | Complete | What it printed |')
    [void]$md.AppendLine('|---|---:|---:|---:|---:|---:|---|---|')
    foreach ($r in $rows) { [void]$md.AppendLine("| $($r.Tool) | $($r.Seconds) | $($r.InProcessSeconds) | $($r.CpuSec) | $($r.CpuSecPerGiB) | $($r.PeakRssMB) | $($r.Complete) | ``$($r.Log -replace '\s+', ' ')`` |") }
    $us = @($rows | Where-Object Tool -like 'S3Turbo*')[0]
    foreach ($r in $rows | Where-Object { $_.Tool -notlike 'S3Turbo*' -and $_.Tool -notlike 'for reference*' }) {
        $ratio = if ($us.InProcessSeconds -and $r.InProcessSeconds) { "$([math]::Round($r.InProcessSeconds / $us.InProcessSeconds, 2))x by in-process work time, " } else { '' }
        [void]$md.AppendLine("`nS3Turbo vs $($r.Tool): $ratio$([math]::Round($r.Seconds / $us.Seconds, 2))x by whole-process time.")
    }
    if ($name -like 'read*' -and $idleRssMB) { [void]$md.AppendLine("`nS3Turbo sequential read peak RSS above an idle pwsh with the module imported ($idleRssMB MB): $($us.PeakRssMB - $idleRssMB) MB (cache cap 64 MiB).") }
    Add-CommandList $rows
}
if ($limitRows) {
    [void]$md.AppendLine("## Limits (issue 34): -MaxBytesPerSecond and Add mode's If-None-Match`n")
    [void]$md.AppendLine("Through the same 20 ms proxy (bandwidth not capped). Seconds is the fresh pwsh's wall time; the cap is judged on the run's own Elapsed (in-process), which excludes pwsh's start-up. The race starts two pwsh processes at once, each sending its own bytes for the same 1,000 keys with -Mode Add; every object is then read back.`n")
    [void]$md.AppendLine('| Run | Seconds | In-process s | CPU s | Peak RSS MB | What it printed | Checks |')
    [void]$md.AppendLine('|---|---:|---:|---:|---:|---|---|')
    foreach ($r in $limitRows) { [void]$md.AppendLine("| $($r.Tool) | $($r.Seconds) | $($r.InProcessSeconds) | $($r.CpuSec) | $($r.PeakRssMB) | ``$($r.Log -replace '\s+', ' ')`` | $($r.Note) |") }
    Add-CommandList $limitRows
}
if ($resumeRows) {
    [void]$md.AppendLine("## Resume (issue 32): runs killed with kill -9, and a run stopped by -TimeLimit`n")
    [void]$md.AppendLine("Each killed run is a fresh pwsh running the command, killed with SIGKILL once more than half of the 1 GiB file's 32 parts are stored (ListParts) or more than half of the object's 128 ranges journaled; the row is the same command run again. The upload runs with -MaxConcurrency 4 (both times): with the default concurrency all 32 parts are in flight at once and finish together, so a kill cannot land between half and all of them. The download uses the defaults. Bytes moved are counted by the proxy (its own instance, the same 20 ms round trip) during that second run, and include the requests' headers and the responses.`n")
    [void]$md.AppendLine('| Run | Seconds | CPU s | Peak RSS MB | Bytes moved (% of 1 GiB) | What it printed | Checks |')
    [void]$md.AppendLine('|---|---:|---:|---:|---:|---|---|')
    foreach ($r in $resumeRows) {
        $moved = if ($r.PSObject.Properties['BytesMoved']) { "$($r.BytesMoved) ($($r.PercentMoved)%)" } else { '' }
        [void]$md.AppendLine("| $($r.Tool) | $($r.Seconds) | $($r.CpuSec) | $($r.PeakRssMB) | $moved | ``$($r.Log -replace '\s+', ' ')`` | $($r.Note) |")
    }
    Add-CommandList $resumeRows
}
if ($proofChecks) {
    [void]$md.AppendLine("## Proof checks through the same proxy (issue 31)`n")
    [void]$md.AppendLine("The engine's proof tests, run in this bench with ``S3TURBO_TEST_ENDPOINT`` set to the 20 ms RTT proxy (``dotnet test tests/S3Turbo.Engine.Tests --filter '$filter'``): a fault proxy in front of it strips checksums (as Ceph 18), refuses GetObjectAttributes, shows ETags that are no MD5s (as SSE-KMS and directory buckets), refuses checksum headers or flips a byte; moto is the second store. Each name says what it shows; its assertions are in ``tests/S3Turbo.Engine.Tests/ProofTests.cs`` and ``ProofRunTests.cs``.`n")
    [void]$md.AppendLine('| Check | Outcome | Seconds |')
    [void]$md.AppendLine('|---|---|---:|')
    foreach ($c in $proofChecks) { [void]$md.AppendLine("| $($c.Test -replace '\|', '\|') | $($c.Outcome) | $($c.Seconds) |") }
    [void]$md.AppendLine()
}
if ($OutFile) { Set-Content -Path $OutFile -Value $md.ToString() -Encoding utf8NoBOM; Write-Host "`nWrote $OutFile" }
