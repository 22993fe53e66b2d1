BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    $script:s3 = Get-TestS3Parameters
    # An AWS.Tools-era SDK (AWSSDK.Core 3.7, assembly version 3.3.0.0), restored by the test project's PackageDownload.
    $script:oldCore = Get-NuGetPackageFile 'awssdk.core' '3.7.402' 'lib/net8.0/AWSSDK.Core.dll'
}

Describe 'Dependency isolation' {
    BeforeAll {
        $script:bucket = New-TestBucket
        $script:tree = New-TestTree @{ 'a.txt' = 'alpha'; 'sub/b.txt' = 'beta' }
    }

    It 'imports and uploads and copies after another module loaded an older AWSSDK.Core, using its credential object' {
        # A child pwsh, so the older SDK is the first one in the process, as when AWS.Tools was imported first.
        $child = @"
`$ErrorActionPreference = 'Stop'
`$ProgressPreference = 'SilentlyContinue'
Add-Type -Path '$oldCore'
# What Set-AWSCredential leaves behind: a credential object of the older SDK's own type.
`$StoredAWSCredentials = [Amazon.Runtime.BasicAWSCredentials]::new('$($s3.AccessKey)', '$($s3.SecretKey)')
Import-Module '$moduleManifest'
`$common = @{ EndpointUrl = '$($s3.EndpointUrl)'; Region = '$($s3.Region)'; WarningAction = 'SilentlyContinue' }
`$upload = Get-ChildItem '$tree' -Recurse -File | Send-S3Directory -BasePath '$tree' -BucketName '$bucket' -KeyPrefix iso/ @common
`$copy = Copy-S3Prefix -SourceBucket '$bucket' -SourcePrefix iso/ -DestinationBucket '$bucket' -DestinationPrefix iso-copy/ @common
# Loading our SDK into the default context next to the older one is exactly the clash the private context avoids.
`$clash = try { Add-Type -Path '$moduleDir/dependencies/AWSSDK.Core.dll'; 'none' } catch { 'conflict' }
[pscustomobject]@{
    SessionCore = [Amazon.Runtime.AWSCredentials].Assembly.GetName().Version.ToString()
    Isolated    = [S3Turbo.Infrastructure.DependencyLoader]::IsIsolated
    Uploaded    = `$upload.ItemsTransferred
    Copied      = `$copy.ItemsTransferred
    Failed      = `$upload.ItemsFailed + `$copy.ItemsFailed
    Clash       = `$clash
} | ConvertTo-Json -Compress
"@
        $output = Invoke-ChildPwsh $child
        $LASTEXITCODE | Should -Be 0 -Because ($output -join "`n")
        $result = ($output | Select-Object -Last 1) | ConvertFrom-Json
        $result.SessionCore | Should -Be '3.3.0.0'
        $result.Isolated | Should -BeTrue
        $result.Uploaded | Should -Be 2
        $result.Copied | Should -Be 2
        $result.Failed | Should -Be 0
        $result.Clash | Should -Be 'conflict'
        [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $bucket 'iso-copy/sub/b.txt')) | Should -Be 'beta'
    }

    It 'keeps the cmdlet assembly free of SDK references (only the engine may name SDK types)' {
        $stream = [System.IO.File]::OpenRead("$moduleDir/S3Turbo.dll")
        try {
            $pe = [System.Reflection.PortableExecutable.PEReader]::new($stream)
            $reader = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($pe)
            $names = foreach ($handle in $reader.AssemblyReferences) { $reader.GetString($reader.GetAssemblyReference($handle).Name) }
        } finally { $stream.Dispose() }
        $names | Should -Contain 'S3Turbo.Engine'
        @($names | Where-Object { $_ -like 'AWSSDK*' }) | Should -HaveCount 0
        Test-Path "$moduleDir/AWSSDK.Core.dll" | Should -BeFalse
    }
}
