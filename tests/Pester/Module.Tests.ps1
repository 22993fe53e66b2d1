BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:module = Import-Module $moduleManifest -Force -PassThru
    $script:common = @([System.Management.Automation.Cmdlet]::CommonParameters) + @([System.Management.Automation.Cmdlet]::OptionalCommonParameters)
}

Describe 'The S3Turbo module' {
    It 'exports exactly the eight cmdlets, and its manifest passes Test-ModuleManifest' {
        ($module.ExportedCmdlets.Keys | Sort-Object) | Should -Be @('Copy-S3Prefix', 'Get-S3TarIndex', 'New-S3UploadStream', 'Open-S3Object', 'Receive-S3Prefix', 'Remove-S3Prefix', 'Send-S3Directory', 'Send-S3WorkItem')
        $manifest = Test-ModuleManifest $moduleManifest -ErrorAction Stop
        $manifest.Version | Should -Be $module.Version
    }

    It 'says in its manifest what it is today: every cmdlet in the description and the release notes, no placeholder link' {
        $data = Import-PowerShellDataFile $moduleManifest
        foreach ($name in $module.ExportedCmdlets.Keys) {
            $data.Description | Should -Match ([regex]::Escape($name)) -Because 'a gallery shows the description'
        }
        # The release notes are CHANGELOG.md's newest section (build.ps1 puts it there).
        $changelog = Get-Content (Join-Path $PSScriptRoot '../../CHANGELOG.md') -Raw
        $newest = [regex]::Match($changelog, '(?ms)^## [^\r\n]*\r?\n(.*?)(?=^## |\z)').Groups[1].Value.Trim()
        $newest | Should -Not -BeNullOrEmpty
        $data.PrivateData.PSData.ReleaseNotes | Should -BeExactly $newest
        $data.PrivateData.PSData.Values | Where-Object { $_ -is [string] -and $_ -match 'example\.(invalid|com)' } | Should -BeNullOrEmpty
        $data.Description | Should -Not -Match 'no orphaned multipart uploads' -Because 'a killed run leaves them, for the next run to resume'
    }

    It 'declares output types that resolve by name in a script' {
        foreach ($command in $module.ExportedCmdlets.Values) {
            foreach ($type in $command.OutputType) { $type.Name -as [type] | Should -Not -BeNullOrEmpty -Because "$($command.Name) declares $($type.Name)" }
        }
        [S3Turbo.S3TurboException] | Should -Not -BeNullOrEmpty
    }

    It '<_> has full help: a synopsis, a description, examples, and every parameter described' -ForEach @('Send-S3Directory', 'Copy-S3Prefix', 'Receive-S3Prefix', 'Remove-S3Prefix', 'New-S3UploadStream', 'Open-S3Object', 'Get-S3TarIndex', 'Send-S3WorkItem') {
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

    It 'completes -BucketName from ListBuckets with the endpoint and keys typed so far, and -Region from the SDK' {
        $bucket = New-TestBucket
        $s3 = Get-TestS3Parameters
        $line = "Send-S3Directory -EndpointUrl $($s3.EndpointUrl) -AccessKey $($s3.AccessKey) -SecretKey $($s3.SecretKey) -Path . -BucketName $($bucket.Substring(0, 10))"
        try { $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText }
        finally { Remove-TestBucket $bucket }
        $completions | Should -Contain $bucket
        $completions | Where-Object { -not $_.StartsWith($bucket.Substring(0, 10)) } | Should -BeNullOrEmpty
        $line = 'Copy-S3Prefix -Region eu-west-'
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Contain 'eu-west-1'
    }

    It 'takes the region from -Region, else $StoredAWSRegion, and passes -RequestChecksumCalculation on' {
        $s3 = Get-TestS3Parameters
        $connection = @{ EndpointUrl = $s3.EndpointUrl; AccessKey = $s3.AccessKey; SecretKey = $s3.SecretKey; WarningAction = 'SilentlyContinue'; ErrorAction = 'SilentlyContinue' }
        $global:StoredAWSRegion = 'eu-west-3'
        try {
            # The connection is described (verbose) before any request, so a missing object is enough.
            $stored = Open-S3Object s3://no-such-bucket-s3turbo/k @connection -RequestChecksumCalculation WhenRequired -Verbose 4>&1 | Out-String
            $explicit = Open-S3Object s3://no-such-bucket-s3turbo/k @connection -Region us-west-2 -Verbose 4>&1 | Out-String
        } finally { Remove-Variable -Name StoredAWSRegion -Scope Global }
        $stored | Should -Match 'region eu-west-3, checksums WhenRequired'
        $explicit | Should -Match 'region us-west-2, checksums WhenSupported'
    }

    It 'completes nothing (and does not hang) when the endpoint cannot be reached' {
        $line = 'Copy-S3Prefix -EndpointUrl http://127.0.0.1:9 -AccessKey a -SecretKey b -SourceBucket x'
        $elapsed = Measure-Command { $completions = (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches }
        $completions | Should -BeNullOrEmpty
        $elapsed.TotalSeconds | Should -BeLessThan 15
    }
}
