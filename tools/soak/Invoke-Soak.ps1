#Requires -Version 7.4
<#
.SYNOPSIS
    Load runs for issue "Reliability under faults, load and bad input": memory must stay flat as the item count
    grows. Run by `build.ps1 -Task Soak`, which builds the module and starts the test server first.
.DESCRIPTION
    Each measurement runs in its own child pwsh and reports the process's peak working set (VmHWM) right after
    Import-Module (the baseline) and after the run. Scenarios, each at three sizes:
      tree      Send-S3Directory -WhatIf -Mode Add over a tree of empty files on disk (up to 200,000).
      pipeline  Send-S3Directory -WhatIf -Mode Add over a pipeline of generated FileInfo objects for paths that
                are not on disk (up to 1,000,000): each is a PathNotFound error, discarded with -ErrorAction Ignore.
      copy      Copy-S3Prefix -WhatIf over listings of up to 100,000 keys (a real listing, page by page).
      tarindex  Get-S3TarIndex -Prefix over the same 100,000 keys, none of them an archive (listing only).
    The results replace the block between the soak markers in docs/reliability.md.
#>
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $ModuleManifest,
    [string] $WorkDirectory = (Join-Path ([System.IO.Path]::GetTempPath()) 's3turbo-soak'),
    [string] $ReportPath = (Join-Path $PSScriptRoot '../../docs/reliability.md'),
    [string] $Bucket = 's3turbo-soak'
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3
$s3 = @{
    EndpointUrl = $env:S3TURBO_TEST_ENDPOINT; AccessKey = $env:S3TURBO_TEST_ACCESS_KEY; SecretKey = $env:S3TURBO_TEST_SECRET_KEY
    Region = $env:S3TURBO_TEST_REGION ?? 'us-east-1'
}
if (-not $s3.EndpointUrl) { throw 'S3TURBO_TEST_ENDPOINT etc. must be set (build.ps1 -Task Soak sets them).' }
$tree = Join-Path $WorkDirectory 'tree'
$filesPerDirectory = 1000

# ---- fixtures ----

function New-SoakTree([int] $Directories) {
    # Empty files, 1,000 per directory; reused by later runs. Python creates them ~20× faster than a pwsh loop.
    $marker = Join-Path $tree ".complete-$Directories"
    if (Test-Path $marker) { return }
    Write-Host "Creating $($Directories * $filesPerDirectory) empty files under $tree"
    & python3 -c @"
import os, sys
root, dirs, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for d in range(dirs):
    path = os.path.join(root, 'd%03d' % d)
    os.makedirs(path, exist_ok=True)
    for f in range(per):
        open(os.path.join(path, 'f%04d.dat' % f), 'a').close()
"@ $tree $Directories $filesPerDirectory
    if ($LASTEXITCODE -ne 0) { throw 'creating the tree failed' }
    New-Item -ItemType File $marker | Out-Null
}

# ---- one measured run in a child pwsh ----

function Invoke-Measured([string] $Scenario, [long] $Items, [string] $Body) {
    $result = Join-Path $WorkDirectory "result-$Scenario-$Items.json"
    Remove-Item $result -ErrorAction Ignore
    $script = @"
`$ErrorActionPreference = 'Stop'
`$ProgressPreference = 'SilentlyContinue'
function Get-PeakWorkingSet { [long]((Get-Content /proc/self/status | Where-Object { `$_ -like 'VmHWM:*' }) -replace '\D', '') * 1KB }
Import-Module '$ModuleManifest'
`$s3 = @{ EndpointUrl = '$($s3.EndpointUrl)'; AccessKey = '$($s3.AccessKey)'; SecretKey = '$($s3.SecretKey)'; Region = '$($s3.Region)'; WarningAction = 'SilentlyContinue' }
[GC]::Collect()
`$baseline = Get-PeakWorkingSet
`$clock = [System.Diagnostics.Stopwatch]::StartNew()
`$summary = & {
$Body
}
`$elapsed = `$clock.Elapsed.TotalSeconds
[pscustomobject]@{ Baseline = `$baseline; Peak = Get-PeakWorkingSet; Seconds = `$elapsed; Summary = (`$summary | Select-Object -Last 1 | Select-Object Items*) } |
    ConvertTo-Json -Depth 3 | Set-Content '$result'
"@
    $encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($script))
    $exe = [Environment]::ProcessPath
    $prefix = @(if ((Split-Path $exe -Leaf) -match '^dotnet(\.exe)?$') { Join-Path $PSHOME 'pwsh.dll' })
    Write-Host "  $Scenario, $Items items..." -NoNewline
    & $exe @prefix -NoProfile -NonInteractive -EncodedCommand $encoded *> (Join-Path $WorkDirectory "log-$Scenario-$Items.txt")
    if (-not (Test-Path $result)) { throw "$Scenario at $Items items failed: see $WorkDirectory/log-$Scenario-$Items.txt" }
    $r = Get-Content $result -Raw | ConvertFrom-Json
    $row = [pscustomobject]@{
        Scenario = $Scenario; Items = $Items; Seconds = [math]::Round($r.Seconds, 1)
        ItemsPerSecond = [math]::Round($Items / [math]::Max($r.Seconds, 0.001))
        BaselineMB = [math]::Round($r.Baseline / 1MB); PeakMB = [math]::Round($r.Peak / 1MB)
        GrowthMB = [math]::Round(($r.Peak - $r.Baseline) / 1MB)
        Reported = if ($r.Summary) { ($r.Summary.PSObject.Properties | ForEach-Object { "$($_.Name -replace '^Items', '') $([math]::Round([double]$_.Value))" }) -join ', ' } else { '' }
    }
    Write-Host " $($row.Seconds) s, peak $($row.PeakMB) MB (+$($row.GrowthMB) MB)"
    $row
}

# ---- scenarios ----

New-Item -ItemType Directory -Force $WorkDirectory | Out-Null
New-SoakTree 200
$rows = [System.Collections.Generic.List[object]]::new()
$dependencies = Join-Path (Split-Path $ModuleManifest -Parent) 'dependencies'
$null = Invoke-Measured 'bucket' 1 @"
Add-Type -Path '$dependencies/AWSSDK.Core.dll', '$dependencies/AWSSDK.S3.dll'
`$client = [Amazon.S3.AmazonS3Client]::new(`$s3.AccessKey, `$s3.SecretKey, [Amazon.S3.AmazonS3Config]@{ ServiceURL = `$s3.EndpointUrl; ForcePathStyle = `$true; AuthenticationRegion = `$s3.Region })
try { `$null = `$client.PutBucketAsync('$Bucket').GetAwaiter().GetResult() } catch { <# it may exist from an earlier run #> }
"@

Write-Host 'tree: Send-S3Directory -WhatIf -Mode Add over empty files on disk'
foreach ($directories in 50, 100, 200) {
    $paths = (0..($directories - 1) | ForEach-Object { "'$tree/d{0:D3}'" -f $_ }) -join ','
    $rows.Add((Invoke-Measured 'tree' ($directories * $filesPerDirectory) "Send-S3Directory -Path $paths -Recurse -BasePath '$tree' -BucketName '$Bucket' -KeyPrefix whatif/ -Mode Add -WhatIf @s3 6>`$null"))
}

Write-Host 'pipeline: generated FileInfo objects, not on disk'
foreach ($count in 100000, 300000, 1000000) {
    $rows.Add((Invoke-Measured 'pipeline' $count "1..$count | ForEach-Object { [System.IO.FileInfo]::new(""$WorkDirectory/virtual/d`$(`$_ % 1000)/f`$_.dat"") } | Send-S3Directory -BasePath '$WorkDirectory/virtual' -BucketName '$Bucket' -KeyPrefix virtual/ -Mode Add -WhatIf -ErrorAction Ignore @s3"))
}

# Nested prefixes of 10,000, 30,000 and 100,000 keys: tree/a/a/, tree/a/, tree/.
$groups = @(@{ Prefix = 'tree/a/a/'; First = 0; Last = 9 }, @{ Prefix = 'tree/a/b/'; First = 10; Last = 29 }, @{ Prefix = 'tree/b/'; First = 30; Last = 99 })
$listings = @(@{ Prefix = 'tree/a/a/'; Keys = 10000 }, @{ Prefix = 'tree/a/'; Keys = 30000 }, @{ Prefix = 'tree/'; Keys = 100000 })
Write-Host "Listing fixture: 100,000 empty objects under s3://$Bucket/tree/ (Add mode: only what is missing is sent)"
$upload = foreach ($g in $groups) {
    $paths = ($g.First..$g.Last | ForEach-Object { "'$tree/d{0:D3}'" -f $_ }) -join ','
    "Send-S3Directory -Path $paths -Recurse -BasePath '$tree' -BucketName '$Bucket' -KeyPrefix '$($g.Prefix)' -Mode Add @s3"
}
$null = Invoke-Measured 'fixture' 100000 ($upload -join "`n")

Write-Host 'copy: Copy-S3Prefix -WhatIf over one listing each'
foreach ($l in $listings) {
    $rows.Add((Invoke-Measured 'copy' $l.Keys "Copy-S3Prefix -SourceBucket '$Bucket' -SourcePrefix '$($l.Prefix)' -DestinationBucket '$Bucket' -DestinationPrefix copy/ -Mode Add -WhatIf @s3 6>`$null"))
}

Write-Host 'tarindex: Get-S3TarIndex over listings without archives'
foreach ($l in $listings) {
    $rows.Add((Invoke-Measured 'tarindex' $l.Keys "`$null = Get-S3TarIndex -BucketName '$Bucket' -Prefix '$($l.Prefix)' @s3"))
}

# ---- report ----

$table = @('| Scenario | Items | Seconds | Items/s | Peak working set (MB) | Growth over baseline (MB) | Summary |', '|---|---:|---:|---:|---:|---:|---|')
$table += $rows | ForEach-Object { "| $($_.Scenario) | $('{0:N0}' -f $_.Items) | $($_.Seconds) | $('{0:N0}' -f $_.ItemsPerSecond) | $($_.PeakMB) | $($_.GrowthMB) | $($_.Reported) |" }
$verdicts = foreach ($group in $rows | Group-Object Scenario) {
    $first = $group.Group[0]; $last = $group.Group[-1]
    $itemRatio = $last.Items / $first.Items
    $growthRatio = [math]::Max($last.GrowthMB, 1) / [math]::Max($first.GrowthMB, 1)
    "- $($group.Name): items ×$([math]::Round($itemRatio, 1)), growth over baseline ×$([math]::Round($growthRatio, 2)) ($($first.GrowthMB) → $($last.GrowthMB) MB): " +
        $(if ($growthRatio -lt $itemRatio / 2) { 'flat (not linear in the item count)' } else { 'GROWS WITH THE ITEM COUNT' })
}
$block = @(
    '<!-- soak:begin -->'
    "Measured $((Get-Date).ToUniversalTime().ToString('yyyy-MM-dd HH:mm')) UTC by ``dotnet tool restore && dotnet pwsh ./build.ps1 -Task Soak``"
    "($([Environment]::ProcessorCount) cores; each row is its own pwsh process; baseline = peak working set right after Import-Module)."
    ''
    $table
    ''
    $verdicts
    '<!-- soak:end -->'
) -join "`n"
$report = Get-Content $ReportPath -Raw
if ($report -notmatch '(?s)<!-- soak:begin -->.*<!-- soak:end -->') { throw "$ReportPath has no soak markers" }
[System.IO.File]::WriteAllText($ReportPath, ($report -replace '(?s)<!-- soak:begin -->.*<!-- soak:end -->', $block.Replace('$', '$$')))
Write-Host $block
if ($verdicts -match 'GROWS') { exit 1 }
