# S3Turbo.dll holds the cmdlets; the engine and its libraries (AWSSDK, Parquet.Net…) live in dependencies/.
# On PowerShell 7 they load into a private AssemblyLoadContext, so another module's AWSSDK version cannot clash
# with ours. PowerShell loads every public type of a binary module as it imports it, and those types need the
# engine, so the loader is registered first, then the cmdlets are imported. Windows PowerShell 5.1 gets the
# .NET Framework build from desktop/.
if ($PSEdition -eq 'Desktop') {
    $cmdletAssemblyPath = Join-Path $PSScriptRoot 'desktop/S3Turbo.dll'
} else {
    if ($PSVersionTable.PSVersion -lt [version]'7.4') { throw "S3Turbo needs PowerShell 7.4 or later, or Windows PowerShell 5.1; this is $($PSVersionTable.PSVersion)." }
    $cmdletAssemblyPath = Join-Path $PSScriptRoot 'S3Turbo.dll'
}
[System.Reflection.Assembly]::LoadFrom($cmdletAssemblyPath).GetType('S3Turbo.Infrastructure.DependencyLoader', $true)::Register()
Import-Module $cmdletAssemblyPath
# The manifest's CmdletsToExport is the one list of what is exported.
Export-ModuleMember -Cmdlet *
