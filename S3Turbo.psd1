@{
    RootModule           = 'S3Turbo.psm1'
    # The one place the version is written: the assemblies (Directory.Build.props), the package and build.ps1 read it here.
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core', 'Desktop')
    GUID                 = '5e2b8f6c-7a1d-4c39-9b54-3f0d1e8a6c21'
    Author               = 'S3Turbo developers'
    CompanyName          = 'S3Turbo'
    Copyright            = '(c) S3Turbo developers. Apache-2.0.'
    Description          = 'Fast, safe bulk transfers to and from Amazon S3 and S3-compatible stores: concurrent directory upload, server-side prefix copy, upload and seekable download streams, and tar indexing without downloads; adaptive concurrency, and no half-written objects or orphaned multipart uploads.'
    # 7.4+ on Core (S3Turbo.psm1 checks), 5.1 on Desktop.
    PowerShellVersion    = '5.1'
    FormatsToProcess     = @('S3Turbo.Format.ps1xml')
    CmdletsToExport      = @('Send-S3Directory', 'Copy-S3Prefix', 'Receive-S3Prefix', 'Remove-S3Prefix', 'New-S3UploadStream', 'Open-S3Object', 'Get-S3TarIndex', 'Send-S3WorkItem')
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('S3', 'AWS', 'Upload', 'Transfer', 'Copy', 'Stream', 'Tar', 'Ceph', 'MinIO', 'Multipart', 'PSEdition_Core', 'PSEdition_Desktop', 'Linux', 'Windows', 'MacOS')
            LicenseUri   = 'https://www.apache.org/licenses/LICENSE-2.0'
            ProjectUri   = 'https://example.invalid/s3turbo'
            ReleaseNotes = 'Send-S3Directory, Copy-S3Prefix, New-S3UploadStream, Open-S3Object and Get-S3TarIndex.'
        }
    }
}
