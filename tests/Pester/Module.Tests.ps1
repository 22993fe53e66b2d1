BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:module = Import-Module $moduleManifest -Force -PassThru
    $script:common = @([System.Management.Automation.Cmdlet]::CommonParameters) + @([System.Management.Automation.Cmdlet]::OptionalCommonParameters)
}

Describe 'The S3Turbo module' {
    It 'exports exactly the five cmdlets, and its manifest passes Test-ModuleManifest' {
        ($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be @('Copy-S3Prefix', 'Get-S3TarIndex', 'New-S3UploadStream', 'Open-S3Object', 'Send-S3Directory')
        $manifest = Test-ModuleManifest $moduleManifest -ErrorAction Stop
        $manifest.Version | Should -Be $module.Version
    }

    It '<_> has full help: a synopsis, a description, examples, and every parameter described' -ForEach @('Send-S3Directory', 'Copy-S3Prefix', 'New-S3UploadStream', 'Open-S3Object', 'Get-S3TarIndex') {
        $help = Get-Help $_ -Full
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match '^\s*\S+-\S+\s*\[' -Because 'a synopsis that is the syntax line means no help was found'
        ($help.description.Text -join '') | Should -Not -BeNullOrEmpty
        @($help.examples.example).Count | Should -BeGreaterThan 2
        $undocumented = (Get-Command $_).Parameters.Keys | Where-Object { $_ -notin $common } |
            Where-Object { -not ((($help.parameters.parameter | Where-Object Name -eq $_).description.Text) -join '') }
        $undocumented | Should -BeNullOrEmpty
        (Get-Command $_).OutputType | Should -Not -BeNullOrEmpty
    }

    It 'has an about_S3Turbo topic' {
        $about = Get-Help about_S3Turbo
        ($about | Out-String) | Should -Match 'MEMORY BOUNDS'
    }
}
