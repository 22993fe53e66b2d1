# A store that refuses a setting the request carried (Ceph: InvalidArgument for a storage class it lacks,
# InvalidRequest for aws:kms without a KMS) is reported once, naming the parameter and its value, and the run stops
# instead of failing every file the same way. Where the store accepts the setting, the object carries it.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:bucket = New-TestBucket
    $script:src = New-TestTree @{ 'a.txt' = 'a'; 'b.txt' = 'b'; 'c/d.txt' = 'd' }
    # Whether the store takes a PutObject with these settings: asked with the plain SDK, so the test checks S3Turbo's
    # answer against the store's own.
    function Test-StoreAccepts([hashtable] $Setting) {
        $request = [Amazon.S3.Model.PutObjectRequest]@{ BucketName = $bucket; Key = 'probe/' + [guid]::NewGuid(); ContentBody = 'x' }
        if ($Setting.StorageClass) { $request.StorageClass = $Setting.StorageClass }
        if ($Setting.ServerSideEncryption) { $request.ServerSideEncryptionMethod = $Setting.ServerSideEncryption }
        try { $null = Wait-Task ((Get-TestS3Client).PutObjectAsync($request)); $true } catch { $false }
    }
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $src -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'A setting the store refuses' {
    It '<Named> is named in one SettingRefused error that stops the run, or stored where the store takes it' -ForEach @(
        @{ Setting = @{ StorageClass = 'STANDARD_IA' }; Named = '-StorageClass STANDARD_IA' }
        @{ Setting = @{ ServerSideEncryption = 'aws:kms' }; Named = '-ServerSideEncryption aws:kms' }
    ) {
        $accepted = Test-StoreAccepts $Setting
        $prefix = 'run-' + [guid]::NewGuid().ToString('N').Substring(0, 6) + '/'
        $failure = $null
        try { $summary = Send-S3Directory -Path $src -Recurse -BucketName $bucket -KeyPrefix $prefix @Setting -ErrorAction Stop @s3 }
        catch { $failure = $_ }
        if ($accepted) {
            $failure | Should -BeNullOrEmpty
            $summary.ItemsTransferred | Should -Be 3
        }
        else {
            $failure | Should -Not -BeNullOrEmpty -Because 'the store refuses the setting'
            "$($failure.FullyQualifiedErrorId): $($failure.Exception.Message)" | Should -BeLike 'SettingRefused,*'
            "$($failure.CategoryInfo.Category)" | Should -Be 'NotImplemented'
            $failure.Exception.Message | Should -BeLike "*$Named*"
            @(Get-TestObjects $bucket $prefix | Where-Object { $_ }) | Should -HaveCount 0
            # Without -ErrorAction Stop too: one failure for the run, not one per file. (A second run in the same
            # session also checks that the refused write left no connection behind that the store would misread.)
            $errors = $null; $thrown = $null
            try { $null = Send-S3Directory -Path $src -Recurse -BucketName $bucket -KeyPrefix $prefix @Setting -ErrorVariable errors -ErrorAction SilentlyContinue @s3 }
            catch { $thrown = $_ }
            $messages = @(@($errors) + @($thrown) | Where-Object { $_ } | ForEach-Object { $_.Exception.Message } | Sort-Object -Unique)
            $messages | Should -HaveCount 1
            $messages[0] | Should -BeLike "*$Named*"
        }
    }

    It 'New-S3UploadStream names the refused setting too' {
        if (Test-StoreAccepts @{ StorageClass = 'STANDARD_IA' }) { Set-ItResult -Skipped -Because 'this store takes STANDARD_IA' ; return }
        { 'hello' | New-S3UploadStream -BucketName $bucket -Key 'stream.txt' -StorageClass STANDARD_IA -ErrorAction Stop @s3 } |
            Should -Throw -ExpectedMessage '*-StorageClass STANDARD_IA*'
    }
}
