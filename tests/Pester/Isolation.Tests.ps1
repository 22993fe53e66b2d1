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
    AfterAll { Remove-TestBucket $bucket }

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
    # The output types resolve by name in a script while the SDK stays private.
    TypedByName = (`$upload -is [S3Turbo.TransferSummary]) -and (`$copy -is [S3Turbo.TransferSummary]) -and ([S3Turbo.UploadStatus]'Uploaded' -eq 'Uploaded')
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
        $result.TypedByName | Should -BeTrue
        $result.Uploaded | Should -Be 2
        $result.Copied | Should -Be 2
        $result.Failed | Should -Be 0
        $result.Clash | Should -Be 'conflict'
        [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $bucket 'iso-copy/sub/b.txt')) | Should -Be 'beta'
    }

    It 'keeps the cmdlet assembly free of SDK references (only the engine may name SDK types)' {
        $names = Get-AssemblyReferenceNames "$moduleDir/S3Turbo.dll"
        $names | Should -Contain 'S3Turbo.Engine'
        @($names | Where-Object { $_ -like 'AWSSDK*' }) | Should -HaveCount 0
        Test-Path "$moduleDir/AWSSDK.Core.dll" | Should -BeFalse
    }

    # Windows PowerShell 5.1 cannot run on these Linux machines; this checks what can be checked here.
    It 'ships a .NET Framework build for Windows PowerShell 5.1 in desktop/, which the module selects on Desktop' {
        Get-AssemblyReferenceNames "$moduleDir/desktop/S3Turbo.dll" | Should -Contain 'mscorlib'
        Get-AssemblyReferenceNames "$moduleDir/desktop/dependencies/S3Turbo.Engine.dll" | Should -Contain 'mscorlib'
        Get-AssemblyReferenceNames "$moduleDir/S3Turbo.dll" | Should -Not -Contain 'mscorlib'
        Test-Path "$moduleDir/desktop/dependencies/AWSSDK.S3.dll" | Should -BeTrue
        Test-Path "$moduleDir/desktop/en-US/S3Turbo.dll-Help.xml" | Should -BeTrue
        (Import-PowerShellDataFile $moduleManifest).CompatiblePSEditions | Should -Be @('Core', 'Desktop')
        $loader = [System.Management.Automation.Language.Parser]::ParseFile((Join-Path $moduleDir 'S3Turbo.psm1'), [ref]$null, [ref]$null)
        $desktopBranch = $loader.Find({ param($a) $a -is [System.Management.Automation.Language.IfStatementAst] -and $a.Clauses[0].Item1.Extent.Text -match "PSEdition -eq 'Desktop'" }, $true)
        $desktopBranch.Clauses[0].Item2.Extent.Text | Should -Match ([regex]::Escape("'desktop/S3Turbo.dll'"))
    }
}

Describe 'Precompiled (ReadyToRun) dependencies' {
    BeforeAll {
        $script:bucket = New-TestBucket
        $null = Wait-Task ((Get-TestS3Client).PutObjectAsync([Amazon.S3.Model.PutObjectRequest]@{ BucketName = $bucket; Key = 'r2r/a.bin'; ContentBody = 'x' * 4096 }))
        # The same first call in two fresh sessions: the module as built, and a copy without dependencies/linux-x64.
        $script:ilOnly = Join-Path ([IO.Path]::GetTempPath()) "s3turbo-il-$PID"
        Copy-Item $moduleDir $ilOnly -Recurse -Force
        Remove-Item (Join-Path $ilOnly 'dependencies/linux-x64') -Recurse -Force
        function Measure-FirstCall([string] $Manifest) {
            $child = @"
`$ErrorActionPreference = 'Stop'
Import-Module '$Manifest'
`$before = [System.Runtime.JitInfo]::GetCompiledMethodCount(`$false)
`$s = Open-S3Object s3://$bucket/r2r/a.bin -AccessKey '$($s3.AccessKey)' -SecretKey '$($s3.SecretKey)' -EndpointUrl '$($s3.EndpointUrl)' -Region '$($s3.Region)' -WarningAction SilentlyContinue
`$read = `$s.Read([byte[]]::new(4096), 0, 4096); `$s.Dispose()
[pscustomobject]@{ Jitted = [System.Runtime.JitInfo]::GetCompiledMethodCount(`$false) - `$before; Read = `$read
    EnginePath = ([System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { `$_.GetName().Name -eq 'S3Turbo.Engine' }).Location } | ConvertTo-Json -Compress
"@
            $output = Invoke-ChildPwsh $child
            if ($LASTEXITCODE -ne 0) { throw ($output -join "`n") }
            ($output | Select-Object -Last 1) | ConvertFrom-Json
        }
    }
    AfterAll { Remove-Item $ilOnly -Recurse -Force -ErrorAction SilentlyContinue; Remove-TestBucket $bucket }

    It 'loads the linux-x64 ReadyToRun images, so a first call JITs far fewer methods than from IL' -Skip:(-not $IsLinux -or [System.Runtime.InteropServices.RuntimeInformation]::RuntimeIdentifier -ne 'linux-x64') {
        $precompiled = Measure-FirstCall $moduleManifest
        $il = Measure-FirstCall (Join-Path $ilOnly 'S3Turbo.psd1')
        $precompiled.Read | Should -Be 4096
        $il.Read | Should -Be 4096
        $precompiled.EnginePath | Should -Be (Join-Path $moduleDir 'dependencies/linux-x64/S3Turbo.Engine.dll')
        $il.EnginePath | Should -Be (Join-Path $ilOnly 'dependencies/S3Turbo.Engine.dll')
        # Measured: about 700 vs 2,100 methods for this call. ReadyToRun code the runtime rejects (made
        # for another .NET version) would leave the two counts alike.
        $precompiled.Jitted | Should -BeLessThan ($il.Jitted * 0.6) -Because "$($precompiled.Jitted) methods were JIT-compiled with ReadyToRun images, $($il.Jitted) without"
    }
}
