BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

# `build.ps1 -Task Demo` runs tools/demo.ps1 against the module just built; the README promises it works. Each step's
# printed result is checked here, as a user reading it would.
Describe 'The README demo (tools/demo.ps1)' {
    BeforeAll {
        $demo = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../../tools/demo.ps1'))
        $script:output = @(Invoke-ChildPwsh "`$PSStyle.OutputRendering = 'PlainText'; `$env:S3TURBO_MODULE = '$moduleManifest'; & '$demo'")
        $script:exitCode = $LASTEXITCODE
        $script:text = $output -join "`n"
        # The text of one step: from its '== title' line to the next.
        function Get-Step([string] $Title) {
            $start = $text.IndexOf("== $Title")
            if ($start -lt 0) { return $null }
            $next = $text.IndexOf("`n== ", $start + 3)
            if ($next -lt 0) { $text.Substring($start) } else { $text.Substring($start, $next - $start) }
        }
    }

    It 'ends without error' {
        $exitCode | Should -Be 0 -Because $text
        $text | Should -Match 'Demo finished\.'
    }

    It 'shows the command of each step, seven cmdlets in all' {
        foreach ($cmdlet in 'Send-S3Directory', 'Copy-S3Prefix', 'Receive-S3Prefix', 'Get-S3TarIndex', 'Open-S3Object', 'New-S3UploadStream', 'Remove-S3Prefix') {
            $text | Should -Match "PS> .*$cmdlet" -Because "the demo shows $cmdlet"
        }
    }

    It 'uploads the tree from the pipeline, then skips all of it in Update mode' {
        Get-Step 'Upload a tree from the pipeline' | Should -Match 'ItemsTransferred\s*:\s*201 transferred'
        Get-Step 'Upload a tree from the pipeline' | Should -Match 'BytesTransferred\s*:\s*[\d,]+ bytes \(40\.\d MiB\)'
        $again = Get-Step 'Run it again'
        $again | Should -Match 'ItemsTransferred\s*:\s*0 transferred'
        $again | Should -Match 'ItemsSkipped\s*:\s*201'
    }

    It 'copies server-side, downloads the copy and finds it equal to the source' {
        Get-Step 'Copy the prefix' | Should -Match 'ItemsTransferred\s*:\s*201 transferred'
        $download = Get-Step 'Download the copy'
        $download | Should -Match 'Downloaded\s+41,943,040'
        $download | Should -Match '(?m)^\s*201\s+Downloaded\s*$'
        Get-Step 'Compare the download' | Should -Match '201 files compared, 0 differences'
    }

    It 'indexes the tar archive in S3 and reads one member at its offset, equal to the local file' {
        Get-Step 'Upload the archives' | Should -Match 'ItemsTransferred\s*:\s*2 transferred'
        Get-Step 'Index the tar archive' | Should -Match '200 members indexed'
        $member = Get-Step 'Read one member'
        $member | Should -Match 'SameAsLocalFile\s*:\s*True'
        $member | Should -Match 'Bytes\s*:\s*4103'
    }

    It 'lists the zip reading a small share of it, uploads a generated stream and removes everything' {
        $zip = Get-Step 'List a zip'
        $zip -match '201 entries; ([\d,]+) of ([\d,]+) bytes fetched' | Should -BeTrue -Because $zip
        $fetched = [long]($Matches[1] -replace ',', ''); $length = [long]($Matches[2] -replace ',', '')
        $fetched | Should -BeLessThan $length -Because 'only the central directory is read'
        Get-Step 'Upload a generated stream' | Should -Match 'Uploaded\s+[\d,]+\s.*demo/generated\.txt'
        Get-Step 'Remove everything' | Should -Match 'ItemsTransferred\s*:\s*405 removed'
    }
}
