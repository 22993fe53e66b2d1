BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
}

# `build.ps1 -Task Demo` runs tools/demo.ps1 against the module just built; the README promises it works.
Describe 'The README demo (tools/demo.ps1)' {
    It 'uploads the sample tree, then skips all of it in Update mode' {
        $demo = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot '../../tools/demo.ps1'))
        $output = @(Invoke-ChildPwsh "`$PSStyle.OutputRendering = 'PlainText'; `$env:S3TURBO_MODULE = '$moduleManifest'; & '$demo'")
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $text = $output -join "`n"
        $text | Should -Match 'Transferred\s*:\s*501 items'
        $text | Should -Match 'ItemsSkipped\s*:\s*501'
        $text | Should -Match 'demo/images/disk\.img\s+41943040'
    }
}
