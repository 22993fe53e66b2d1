BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:bucket = New-TestBucket
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-tar-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $src = Join-Path $root 'src'
    foreach ($i in 1..12) { New-RandomFile (Join-Path $src ("d{0}/f{1}.bin" -f ($i % 3), $i)) (1000 * $i) $i }
    Set-Content -Path (Join-Path $src 'nämé with space.txt') -Value 'x' -NoNewline
    $archives = Join-Path $root 'archives'
    New-Item -ItemType Directory $archives | Out-Null
    & tar --create --format=pax --file (Join-Path $archives 'a.tar') --directory $src .
    & tar --create --gzip --file (Join-Path $archives 'b.tar.gz') --directory $src d1
    [System.IO.File]::WriteAllBytes((Join-Path $archives 'broken.tar'), [byte[]](1..700 | ForEach-Object { $_ % 256 }))
    Set-Content -Path (Join-Path $archives 'notes.txt') -Value 'not an archive'
    $null = Send-S3Directory -Path $archives -BucketName $bucket -KeyPrefix 'arch/2026/' @s3
    $script:expectedA = @(& tar --list --file (Join-Path $archives 'a.tar'))
    $script:expectedB = @(& tar --list --file (Join-Path $archives 'b.tar.gz'))
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Get-S3TarIndex' {
    It 'lists an archive''s members as tar does, as TarEntry objects' {
        $entries = Get-S3TarIndex "s3://$bucket/arch/2026/a.tar" @s3
        $entries[0].PSObject.TypeNames[0] | Should -Be 'S3Turbo.TarEntry'
        $entries[0] -is [S3Turbo.TarEntry] | Should -BeTrue -Because 'output types resolve by name in scripts'
        $entries.Name | Should -Be $expectedA
        ($entries | Where-Object Name -eq './d1/f1.bin').Size | Should -Be 1000
        ($entries | Where-Object Name -eq './nämé with space.txt').Type | Should -Be 'File'
    }

    It 'indexes every archive under a prefix; a damaged one is a non-terminating error and the others go on' {
        $entries = Get-S3TarIndex -BucketName $bucket -Prefix 'arch/' -Include '*.tar', '*.tar.gz' -ErrorVariable errs -ErrorAction SilentlyContinue @s3
        ($entries | Where-Object Key -eq 'arch/2026/a.tar').Name | Should -Be $expectedA
        ($entries | Where-Object Key -eq 'arch/2026/b.tar.gz').Name | Should -Be $expectedB
        $errs | Should -HaveCount 1
        $errs[0].FullyQualifiedErrorId | Should -Be 'NotATarArchive,S3Turbo.Commands.GetS3TarIndexCommand'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidData'
        $errs[0].TargetObject | Should -Be "s3://$bucket/arch/2026/broken.tar"
        $errs[0].Exception.Message | Should -Match 'offset 0'
    }

    It 'writes JSONL and CSV files that read back as the entries, and a summary' {
        $jsonl = Join-Path $root 'index.jsonl'
        $summary = Get-S3TarIndex "s3://$bucket/arch/2026/a.tar", "s3://$bucket/arch/2026/b.tar.gz" -OutFile $jsonl @s3
        $summary.PSObject.TypeNames[0] | Should -Be 'S3Turbo.TarIndexSummary'
        $summary -is [S3Turbo.TransferSummary] | Should -BeTrue -Because 'every bulk cmdlet ends with the one summary shape'
        $summary.Archives | Should -Be 2
        $summary.Entries | Should -Be ($expectedA.Count + $expectedB.Count)
        $summary.Outputs | Should -Be $jsonl
        $rows = Get-Content $jsonl | ConvertFrom-Json
        ($rows | Where-Object archive -eq "s3://$bucket/arch/2026/a.tar").filename | Should -Be $expectedA
        ($rows | Where-Object filename -eq './d2/f2.bin' | Select-Object -First 1).size | Should -Be 2000
        $csv = Join-Path $root 'index.csv'
        $null = Get-S3TarIndex "s3://$bucket/arch/2026/a.tar" -OutFile $csv @s3
        (Import-Csv $csv).filename | Should -Be $expectedA
        Get-ChildItem $root -Filter '*.partial-*' | Should -BeNullOrEmpty
    }

    It 'writes one index per archive back to S3, mirroring the archive keys' {
        $summary = Get-S3TarIndex -BucketName $bucket -Prefix 'arch/' -DestinationBucket $bucket -DestinationPrefix 'index/' -Format Csv -ErrorAction SilentlyContinue @s3
        $keys = (Get-TestObjects $bucket 'index/').Key | Sort-Object
        $keys | Should -Be @('index/arch/2026/a.tar.csv', 'index/arch/2026/b.tar.gz.csv')   # none for the broken archive
        $summary.ArchivesFailed | Should -Be 1
        $text = [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $bucket 'index/arch/2026/b.tar.gz.csv'))
        ($text | ConvertFrom-Csv).filename | Should -Be $expectedB
        Get-TestOpenUploads $bucket | Should -BeNullOrEmpty
    }

    It 'writes one Parquet index object to S3' {
        $summary = Get-S3TarIndex "s3://$bucket/arch/2026/a.tar" -DestinationBucket $bucket -DestinationKey 'idx/all.parquet' @s3
        $summary.Outputs | Should -Be "s3://$bucket/idx/all.parquet"
        $bytes = Get-TestObjectBytes $bucket 'idx/all.parquet'
        [System.Text.Encoding]::ASCII.GetString($bytes, 0, 4) | Should -Be 'PAR1'
        [System.Text.Encoding]::ASCII.GetString($bytes, $bytes.Length - 4, 4) | Should -Be 'PAR1'
    }

    It 'an output whose format cannot be told is InvalidOutputFormat' {
        { Get-S3TarIndex "s3://$bucket/arch/2026/a.tar" -OutFile (Join-Path $root 'index.xyz') @s3 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidOutputFormat,S3Turbo.Commands.GetS3TarIndexCommand'
    }
}
