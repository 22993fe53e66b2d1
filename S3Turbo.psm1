# S3Turbo.dll holds the cmdlets; the engine and its libraries (AWSSDK, Parquet.Net…) live in dependencies/ and
# load into a private AssemblyLoadContext, so another module's AWSSDK version cannot clash with ours. PowerShell
# loads every public type of a binary module as it imports it, and those types need the engine, so the
# context is registered first, then the cmdlets are imported.
$cmdletAssemblyPath = Join-Path $PSScriptRoot 'S3Turbo.dll'
[System.Reflection.Assembly]::LoadFrom($cmdletAssemblyPath).GetType('S3Turbo.Infrastructure.DependencyLoader', $true)::Register()
Import-Module $cmdletAssemblyPath
Export-ModuleMember -Cmdlet 'Send-S3Directory', 'Copy-S3Prefix', 'New-S3UploadStream', 'Open-S3Object', 'Get-S3TarIndex'
