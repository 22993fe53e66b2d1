<#
.SYNOPSIS
    The large-copy comparison as a PowerShell user sees it (Invoke-Benchmarks.ps1, copy-large): in one pwsh session,
    Import-Module S3Turbo, then Copy-S3Prefix three times, and `rclone copy` started from the same session three
    times. Whole-process rows charge S3Turbo for pwsh start-up, which a user at a pwsh prompt or in a runbook has
    already paid; here both sides start from a running session. Prints one line of key=value seconds.
#>
param([string] $Manifest, [string] $Source, [string] $Bucket, [string] $Endpoint, [string] $Rclone, [string] $RcloneSource)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$clock = [Diagnostics.Stopwatch]::StartNew()
Import-Module $Manifest
$import = $clock.Elapsed.TotalSeconds
$connection = @{ EndpointUrl = $Endpoint; AccessKey = $env:AWS_ACCESS_KEY_ID; SecretKey = $env:AWS_SECRET_ACCESS_KEY; WarningAction = 'SilentlyContinue' }
$copies = foreach ($i in 1..3) {
    $clock.Restart()
    $summary = Copy-S3Prefix $Source "s3://$Bucket/session-s3t$i/" @connection
    if ($summary.ItemsFailed -or -not $summary.ItemsTransferred) { throw "Copy-S3Prefix run $i failed: $($summary | Out-String)" }
    $clock.Elapsed.TotalSeconds
}
$rclones = foreach ($i in 1..3) {
    $clock.Restart()
    & bash -c "$Rclone copy $RcloneSource :s3:$Bucket/session-rc$i"
    if ($LASTEXITCODE -ne 0) { throw "rclone run $i exited with $LASTEXITCODE" }
    $clock.Elapsed.TotalSeconds
}
'import={0:F3} s3turbo={1} rclone={2}' -f $import, (($copies | ForEach-Object { '{0:F3}' -f $_ }) -join ','), (($rclones | ForEach-Object { '{0:F3}' -f $_ }) -join ',')
