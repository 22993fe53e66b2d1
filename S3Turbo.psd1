@{
    RootModule           = 'S3Turbo.psm1'
    # The one place the version is written: the assemblies (Directory.Build.props), the package and build.ps1 read it here.
    ModuleVersion        = '0.1.0'
    CompatiblePSEditions = @('Core', 'Desktop')
    GUID                 = '5e2b8f6c-7a1d-4c39-9b54-3f0d1e8a6c21'
    Author               = 'S3Turbo developers'
    CompanyName          = 'S3Turbo'
    Copyright            = '(c) S3Turbo developers. Apache-2.0.'
    Description          = 'Fast, safe bulk transfers to and from Amazon S3 and S3-compatible stores: directory upload and mirroring (Send-S3Directory), download (Receive-S3Prefix), server-side copy of any size (Copy-S3Prefix), bulk removal (Remove-S3Prefix), writable and seekable streams (New-S3UploadStream, Open-S3Object), tar indexes without downloads (Get-S3TarIndex) and queue-fed workers (Send-S3WorkItem). Every object carries and is proven by the store''s own checksum; a run stopped by a time limit or killed is finished by the next one from what the store holds.'
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
            ReleaseNotes = 'Send-S3Directory, Receive-S3Prefix, Copy-S3Prefix, Remove-S3Prefix, New-S3UploadStream, Open-S3Object, Get-S3TarIndex and Send-S3WorkItem. This release: every object written carries a CRC64NVME checksum (-ChecksumAlgorithm) and every transfer and Update comparison is proven by the store''s checksums; killed or time-limited runs (-TimeLimit) are resumed by the next run; Remove-S3Prefix -IncompleteUploads; -MaxBytesPerSecond; Add mode never overwrites (If-None-Match); xz and bzip2 tar archives. See CHANGELOG.md.'
        }
    }
}
