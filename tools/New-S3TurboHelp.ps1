<#
.SYNOPSIS
    Generates MAML help (en-US/S3Turbo.dll-Help.xml) and docs/cmdlets/*.md from docs/help/*.psd1.
.DESCRIPTION
    platyPS is not obtainable from this project's package sources, so help is authored as data (one .psd1 per
    cmdlet plus _Common.psd1 for the shared credential parameters) and rendered here. Syntax, types, positions,
    pipeline input and aliases come from the compiled cmdlets themselves, so they cannot drift. The build fails
    when a parameter has no description or a cmdlet has no example.
#>
param([Parameter(Mandatory)] [string] $ModuleDirectory)
$ModuleDirectory = (Resolve-Path $ModuleDirectory).Path
$ErrorActionPreference = 'Stop'
$root = Split-Path $PSScriptRoot -Parent
# The running pwsh, as a command line: a local dotnet tool runs as "dotnet pwsh.dll".
function Invoke-Pwsh { $exe = [Environment]::ProcessPath; if ((Split-Path $exe -Leaf) -match '^dotnet(\.exe)?$') { & $exe (Join-Path $PSHOME 'pwsh.dll') @args } else { & $exe @args } }
$helpDir = Join-Path $root 'docs/help'
$markdownDir = Join-Path $root 'docs/cmdlets'

# Runs in a child pwsh so the build process never holds the freshly built assembly.
$json = Invoke-Pwsh -NoProfile -NonInteractive -Command {
    param($manifest)
    $ErrorActionPreference = "Stop"
    $module = Import-Module $manifest -PassThru
    $common = @([System.Management.Automation.Cmdlet]::CommonParameters) + @([System.Management.Automation.Cmdlet]::OptionalCommonParameters)
    $all = foreach ($command in $module.ExportedCmdlets.Values) {
        $parameters = foreach ($p in $command.Parameters.Values) {
            if ($p.Name -in $common) { continue }
            $attrs = $p.ParameterSets.GetEnumerator() | ForEach-Object { [pscustomobject]@{ Set = $_.Key; Mandatory = $_.Value.IsMandatory; Position = $_.Value.Position; ByValue = $_.Value.ValueFromPipeline; ByName = $_.Value.ValueFromPipelineByPropertyName } }
            # A nullable parameter ([ChecksumAlgorithm?]) is documented as its underlying type, with an enum's names.
            $type = [Nullable]::GetUnderlyingType($p.ParameterType) ?? $p.ParameterType
            $values = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | ForEach-Object ValidValues)
            if (-not $values.Count -and $type.IsEnum) { $values = [Enum]::GetNames($type) }
            [pscustomobject]@{
                Name = $p.Name; Type = $type.FullName; TypeName = $type.Name; Aliases = @($p.Aliases)
                IsSwitch = $p.SwitchParameter; Sets = @($attrs)
                Globbing = [bool]($p.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
                ValidValues = $values
            }
        }
        [pscustomobject]@{
            Name = $command.Name; Verb = $command.Verb; Noun = $command.Noun; Parameters = @($parameters)
            Sets = @($command.ParameterSets | ForEach-Object { [pscustomobject]@{ Name = $_.Name; Parameters = @($_.Parameters | Where-Object Name -notin $common | ForEach-Object Name) } })
            OutputTypes = @($command.OutputType | ForEach-Object Name)
        }
    }
    ConvertTo-Json -InputObject @($all) -Depth 6  # JSON text: process boundaries serialize objects only one level deep
} -args (Join-Path $ModuleDirectory 'S3Turbo.psd1')
$commands = @(($json -join "`n") | ConvertFrom-Json)
if ($env:S3TURBO_HELP_DEBUG) { $json | Set-Content /tmp/help.json }
$commonHelp = Import-PowerShellDataFile (Join-Path $helpDir '_Common.psd1')

function X([string] $text) { [System.Security.SecurityElement]::Escape($text) }
function Paras([string] $text) { (($text -split "\r?\n\r?\n") | ForEach-Object { "<maml:para>$(X $_.Trim())</maml:para>" }) -join '' }

$problems = [System.Collections.Generic.List[string]]::new()
$sb = [System.Text.StringBuilder]::new()
[void]$sb.AppendLine('<?xml version="1.0" encoding="utf-8"?>')
[void]$sb.AppendLine('<helpItems schema="maml" xmlns="http://msh">')
New-Item -ItemType Directory $markdownDir -Force | Out-Null
foreach ($c in $commands) {
    $sourcePath = Join-Path $helpDir "$($c.Name).psd1"
    if (-not (Test-Path $sourcePath)) { $problems.Add("$($c.Name): no help source $sourcePath"); continue }
    $h = Import-PowerShellDataFile $sourcePath
    $paramHelp = @{} + $commonHelp.Parameters
    foreach ($k in $h.Parameters.Keys) { $paramHelp[$k] = $h.Parameters[$k] }
    if (-not $h.Examples -or $h.Examples.Count -eq 0) { $problems.Add("$($c.Name): no example") }
    foreach ($p in $c.Parameters) { if (-not $paramHelp[$p.Name]) { $problems.Add("$($c.Name) -$($p.Name): no description") } }

    [void]$sb.AppendLine('<command:command xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10">')
    [void]$sb.AppendLine("<command:details><command:name>$($c.Name)</command:name><command:verb>$($c.Verb)</command:verb><command:noun>$($c.Noun)</command:noun><maml:description>$(Paras $h.Synopsis)</maml:description></command:details>")
    [void]$sb.AppendLine("<maml:description>$(Paras $h.Description)</maml:description>")
    [void]$sb.AppendLine('<command:syntax>')
    foreach ($set in $c.Sets) {
        [void]$sb.Append("<command:syntaxItem><maml:name>$($c.Name)</maml:name>")
        foreach ($name in $set.Parameters) {
            $p = $c.Parameters | Where-Object Name -eq $name
            $s = $p.Sets | Where-Object { $_.Set -eq $set.Name -or $_.Set -eq '__AllParameterSets' } | Select-Object -First 1
            $pos = if ($s.Position -ge 0) { $s.Position } else { 'named' }
            $value = if ($p.IsSwitch) { '' } else { "<command:parameterValue required=`"true`">$(X $p.TypeName)</command:parameterValue>" }
            [void]$sb.Append("<command:parameter required=`"$($s.Mandatory.ToString().ToLower())`" position=`"$pos`"><maml:name>$($p.Name)</maml:name>$value</command:parameter>")
        }
        [void]$sb.AppendLine('</command:syntaxItem>')
    }
    [void]$sb.AppendLine('</command:syntax><command:parameters>')
    $md = [System.Text.StringBuilder]::new()
    [void]$md.AppendLine("# $($c.Name)`n`n$($h.Synopsis)`n`n## Syntax`n")
    foreach ($set in $c.Sets) { [void]$md.AppendLine("``````powershell`n$($c.Name) $(($set.Parameters | ForEach-Object { "-$_" }) -join ' ')`n``````") }
    [void]$md.AppendLine("`n## Description`n`n$($h.Description)`n`n## Parameters`n")
    foreach ($p in $c.Parameters | Sort-Object Name) {
        $s = $p.Sets | Select-Object -First 1
        $pipeline = if ($p.Sets.ByValue -contains $true) { 'true (ByValue)' } elseif ($p.Sets.ByName -contains $true) { 'true (ByPropertyName)' } else { 'false' }
        $pos = if ($s.Position -ge 0) { $s.Position } else { 'named' }
        $desc = $paramHelp[$p.Name]
        if ($p.ValidValues.Count) { $desc += "`n`nValid values: $($p.ValidValues -join ', ')." }
        $aliases = $p.Aliases -join ', '
        [void]$sb.AppendLine("<command:parameter required=`"$((($p.Sets.Mandatory -contains $true)).ToString().ToLower())`" variableLength=`"$($p.Type.EndsWith('[]').ToString().ToLower())`" globbing=`"$($p.Globbing.ToString().ToLower())`" pipelineInput=`"$pipeline`" position=`"$pos`" aliases=`"$(X ($aliases ? $aliases : 'none'))`"><maml:name>$($p.Name)</maml:name><maml:description>$(Paras $desc)</maml:description><command:parameterValue required=`"$((-not $p.IsSwitch).ToString().ToLower())`">$(X $p.TypeName)</command:parameterValue><dev:type><maml:name>$(X $p.Type)</maml:name></dev:type></command:parameter>")
        [void]$md.AppendLine("### -$($p.Name)`n`n$desc`n`n| Type | Position | Pipeline input | Wildcards | Aliases |`n|---|---|---|---|---|`n| ``$($p.TypeName)`` | $pos | $pipeline | $($p.Globbing) | $($aliases ? $aliases : 'none') |`n")
    }
    [void]$sb.AppendLine('</command:parameters>')
    [void]$sb.AppendLine("<command:inputTypes>$(($h.Inputs.GetEnumerator() | Sort-Object Key | ForEach-Object { "<command:inputType><dev:type><maml:name>$(X $_.Key)</maml:name></dev:type><maml:description>$(Paras $_.Value)</maml:description></command:inputType>" }) -join '')</command:inputTypes>")
    [void]$sb.AppendLine("<command:returnValues>$(($h.Outputs.GetEnumerator() | Sort-Object Key | ForEach-Object { "<command:returnValue><dev:type><maml:name>$(X $_.Key)</maml:name></dev:type><maml:description>$(Paras $_.Value)</maml:description></command:returnValue>" }) -join '')</command:returnValues>")
    if ($h.Notes) { [void]$sb.AppendLine("<maml:alertSet><maml:alert>$(Paras $h.Notes)</maml:alert></maml:alertSet>") }
    [void]$sb.AppendLine('<command:examples>')
    [void]$md.AppendLine("## Inputs`n`n$(($h.Inputs.GetEnumerator() | Sort-Object Key | ForEach-Object { "- ``$($_.Key)``: $($_.Value)" }) -join "`n")`n`n## Outputs`n`n$(($h.Outputs.GetEnumerator() | Sort-Object Key | ForEach-Object { "- ``$($_.Key)``: $($_.Value)" }) -join "`n")`n`n## Examples`n")
    $i = 0
    foreach ($e in $h.Examples) {
        $i++
        [void]$sb.AppendLine("<command:example><maml:title>-------------------------- Example $i`: $(X $e.Title) --------------------------</maml:title><dev:code>$(X $e.Code)</dev:code><dev:remarks>$(Paras $e.Remarks)</dev:remarks></command:example>")
        [void]$md.AppendLine("### Example $i`: $($e.Title)`n`n``````powershell`n$($e.Code)`n```````n`n$($e.Remarks)`n")
    }
    [void]$sb.AppendLine('</command:examples>')
    if ($h.Notes) { [void]$md.AppendLine("## Notes`n`n$($h.Notes)`n") }
    [void]$sb.AppendLine('</command:command>')
    Set-Content -Path (Join-Path $markdownDir "$($c.Name).md") -Value $md.ToString() -Encoding utf8NoBOM
}
[void]$sb.AppendLine('</helpItems>')
if ($problems.Count) { throw "Help is incomplete:`n  $($problems -join "`n  ")" }
$out = Join-Path $ModuleDirectory 'en-US'
New-Item -ItemType Directory $out -Force | Out-Null
Set-Content -Path (Join-Path $out 'S3Turbo.dll-Help.xml') -Value $sb.ToString() -Encoding utf8NoBOM
foreach ($about in Get-ChildItem $helpDir -Filter 'about_*.help.txt') { Copy-Item $about.FullName $out }
Write-Host "Help: $($commands.Count) cmdlet(s) → $out"
