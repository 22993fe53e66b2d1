BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:s3 = Get-TestS3Parameters
    $script:dist = [System.IO.Path]::GetFullPath((Join-Path $moduleDir '../../dist'))
    $script:version = (Import-PowerShellDataFile $moduleManifest).ModuleVersion
    $script:clean = Join-Path ([System.IO.Path]::GetTempPath()) ('s3turbo-modules-' + [guid]::NewGuid().ToString('N').Substring(0, 8))

    # Imports S3Turbo by name from only the given module path, in a child pwsh, and uploads one file with it.
    function Test-InstalledModule([string] $ModulePath, [string] $Bucket, [string] $Key) {
        $file = Join-Path $ModulePath 'probe.txt'
        Set-Content $file 'installed' -NoNewline
        $output = @(Invoke-ChildPwsh @"
`$ErrorActionPreference = 'Stop'
`$env:PSModulePath = '$ModulePath'
Import-Module S3Turbo
`$module = Get-Module S3Turbo
`$result = Send-S3Directory -LiteralPath '$file' -BucketName '$Bucket' -KeyPrefix '$Key' -PassThru ``
    -AccessKey '$($s3.AccessKey)' -SecretKey '$($s3.SecretKey)' -EndpointUrl '$($s3.EndpointUrl)' -WarningAction SilentlyContinue
"`$(`$module.Version)|`$(`$module.ModuleBase)|`$((`$module.ExportedCmdlets.Keys | Sort-Object) -join ',')|`$(`$result.Status)"
"@)
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $output[-1]
    }
}

Describe 'Packaging (build.ps1 -Task Package)' {
    BeforeAll {
        $script:bucket = New-TestBucket
        if (-not (Test-Path "$dist/S3Turbo.$version.nupkg")) { throw "No package in ${dist}: run build.ps1 -Task Package (the Test task does)." }
    }

    It 'the .nupkg carries the Gallery metadata from the manifest' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $archive = [System.IO.Compression.ZipFile]::OpenRead("$dist/S3Turbo.$version.nupkg")
        try {
            $names = $archive.Entries.FullName
            $reader = [System.IO.StreamReader]::new(($archive.Entries | Where-Object FullName -eq 'S3Turbo.nuspec').Open())
            [xml] $nuspec = $reader.ReadToEnd(); $reader.Dispose()
        } finally { $archive.Dispose() }
        $names | Should -Contain 'S3Turbo.psd1'
        $names | Should -Contain 'S3Turbo.dll'
        $names | Should -Contain 'dependencies/S3Turbo.Engine.dll'
        $names | Should -Contain 'en-US/S3Turbo.dll-Help.xml'
        $metadata = $nuspec.package.metadata
        $metadata.version | Should -Be $version
        $metadata.description | Should -Not -BeNullOrEmpty
        $metadata.tags | Should -Match 'S3'
        $metadata.licenseUrl | Should -Not -BeNullOrEmpty
        # No placeholder link: the project has no public home yet, so the manifest names none (a gallery shows it).
        $nuspec.OuterXml | Should -Not -Match 'example\.(invalid|com)'
        $metadata.releaseNotes | Should -Not -BeNullOrEmpty
        $metadata.description | Should -Match 'Receive-S3Prefix' -Because 'the description names the cmdlets'
    }

    It 'installs from the .nupkg into a clean module path with PSResourceGet, imports by name and works' {
        $null = New-Item -ItemType Directory $clean
        $repository = "S3TurboTest-$PID"
        Register-PSResourceRepository -Name $repository -Uri $dist -Trusted
        try { Save-PSResource -Name S3Turbo -Version $version -Repository $repository -Path $clean -TrustRepository -SkipDependencyCheck }
        finally { Unregister-PSResourceRepository -Name $repository }
        Test-Path "$clean/S3Turbo/$version/S3Turbo.psd1" | Should -BeTrue
        Test-ModuleManifest "$clean/S3Turbo/$version/S3Turbo.psd1" -ErrorAction Stop | Should -Not -BeNullOrEmpty
        Test-InstalledModule $clean $bucket 'nupkg/' |
            Should -Be "$version|$clean/S3Turbo/$version|Copy-S3Prefix,Get-S3TarIndex,New-S3UploadStream,Open-S3Object,Receive-S3Prefix,Remove-S3Prefix,Send-S3Directory,Send-S3WorkItem|Uploaded"
    }

    It 'the zip unpacks into a module path and imports by name' {
        $unzipped = "$clean-zip"
        Expand-Archive "$dist/S3Turbo-$version.zip" -DestinationPath $unzipped
        Test-InstalledModule $unzipped $bucket 'zip/' |
            Should -Be "$version|$unzipped/S3Turbo/$version|Copy-S3Prefix,Get-S3TarIndex,New-S3UploadStream,Open-S3Object,Receive-S3Prefix,Remove-S3Prefix,Send-S3Directory,Send-S3WorkItem|Uploaded"
        [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $bucket 'zip/probe.txt')) | Should -Be 'installed'
    }

    AfterAll {
        Remove-TestBucket $bucket
        Remove-Item $clean, "$clean-zip" -Recurse -Force -ErrorAction SilentlyContinue
    }
}
