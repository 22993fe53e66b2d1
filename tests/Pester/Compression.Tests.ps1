# Tar archives compressed with xz and bzip2, as GNU tar and Python's tarfile write them: indexed by Get-S3TarIndex
# exactly as tarfile lists them, and uploaded member by member (Send-S3Directory -Tar) byte-exact.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:bucket = New-TestBucket
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-xz-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $script:src = Join-Path $root 'src'
    foreach ($i in 1..5) { New-RandomFile (Join-Path $src ("d{0}/f{1}.bin" -f ($i % 2), $i)) (70000 * $i) $i }
    New-RandomFile (Join-Path $src 'big.bin') (6MB + 1) 9
    Set-Content (Join-Path $src 'nämé.txt') 'x' -NoNewline
    $script:archives = Join-Path $root 'archives'
    $null = New-Item -ItemType Directory $archives
    & tar --create --xz --file (Join-Path $archives 'gnu.tar.xz') --directory $src .
    & tar --create --bzip2 --file (Join-Path $archives 'gnu.tar.bz2') --directory $src .
    $py = "import tarfile, sys; [tarfile.open(sys.argv[1] + '/py.' + ext, 'w:' + mode).add(sys.argv[2], arcname='.') for ext, mode in (('txz', 'xz'), ('tbz2', 'bz2'))]"
    & python3 -c $py $archives $src
    $null = Send-S3Directory -Path $archives -BucketName $bucket -KeyPrefix arch/ @s3
    # What tarfile lists: the reference each index must equal.
    function Get-TarfileNames([string] $Path) { @(& python3 -c "import tarfile, sys; print('\n'.join(tarfile.open(sys.argv[1]).getnames()))" $Path) }
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'xz and bzip2 tar archives' {
    It 'Get-S3TarIndex lists <Name> exactly as tarfile does' -ForEach @(@{ Name = 'gnu.tar.xz'; Compression = 'Xz' }, @{ Name = 'gnu.tar.bz2'; Compression = 'Bzip2' }, @{ Name = 'py.txz'; Compression = 'Xz' }, @{ Name = 'py.tbz2'; Compression = 'Bzip2' }) {
        $entries = @(Get-S3TarIndex "s3://$bucket/arch/$Name" -Verbose @s3 4>&1)
        # tarfile drops the trailing / that GNU tar writes after a directory's name; the index keeps the name as stored.
        @($entries | Where-Object { $_ -is [S3Turbo.TarEntry] } | ForEach-Object { $_.Name.TrimEnd('/') }) | Should -Be (Get-TarfileNames (Join-Path $archives $Name))
        ($entries | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | Out-String) | Should -Match "arch/$([regex]::Escape($Name)): \d+ entries, read .* \($Compression\)"
    }

    It 'the default -Include finds them under a prefix' {
        $entries = @(Get-S3TarIndex -BucketName $bucket -Prefix arch/ @s3)
        ($entries.Archive | Sort-Object -Unique) | Should -Be @("s3://$bucket/arch/gnu.tar.bz2", "s3://$bucket/arch/gnu.tar.xz", "s3://$bucket/arch/py.tbz2", "s3://$bucket/arch/py.txz")
    }

    It 'Send-S3Directory -Tar uploads the members of <Name> byte-exact' -ForEach @(@{ Name = 'gnu.tar.xz' }, @{ Name = 'py.tbz2' }) {
        $prefix = "members-$($Name -replace '\W', '-')/"
        $results = @(Send-S3Directory -Path (Join-Path $archives $Name) -Tar -BucketName $bucket -KeyPrefix $prefix -MultipartThreshold 5MB -PartSize 5MB -PassThru @s3)
        @($results | Where-Object Status -eq 'Failed') | Should -HaveCount 0
        foreach ($file in Get-ChildItem $src -Recurse -File) {
            $key = $prefix + [System.IO.Path]::GetRelativePath($src, $file.FullName).Replace('\', '/')
            [System.Linq.Enumerable]::SequenceEqual((Get-TestObjectBytes $bucket $key), [System.IO.File]::ReadAllBytes($file.FullName)) | Should -BeTrue -Because $key
        }
    }

    It 'a damaged <Name> (<Damage>) is one error naming the archive, never a short index that looks whole' -ForEach @(
        @{ Name = 'gnu.tar.xz'; Damage = 'cut' }, @{ Name = 'gnu.tar.bz2'; Damage = 'cut' }, @{ Name = 'gnu.tar.xz'; Damage = 'flip' }, @{ Name = 'gnu.tar.bz2'; Damage = 'flip' }) {
        $bytes = [System.IO.File]::ReadAllBytes((Join-Path $archives $Name))
        $damaged = Join-Path $root "damaged-$Damage-$Name"
        # Cut in half, or one byte flipped a third of the way in (each codec's block check must catch it).
        if ($Damage -eq 'cut') { $bytes = $bytes[0..([int]($bytes.Length / 2))] } else { $bytes[[int]($bytes.Length / 3)] = $bytes[[int]($bytes.Length / 3)] -bxor 0x5A }
        [System.IO.File]::WriteAllBytes($damaged, $bytes)
        $null = Send-S3Directory -Path $damaged -BucketName $bucket -KeyPrefix damaged/ @s3
        $errors = $null
        $null = Get-S3TarIndex "s3://$bucket/damaged/damaged-$Damage-$Name" -ErrorVariable errors -ErrorAction SilentlyContinue @s3
        $errors | Should -HaveCount 1
        $errors[0].FullyQualifiedErrorId | Should -Match '^(InvalidTarArchive|TruncatedTarArchive),'
        $errors[0].TargetObject | Should -Be "s3://$bucket/damaged/damaged-$Damage-$Name"
        # The same archive uploaded member by member: the members before the damage go, then one error names it.
        $uploadErrors = $null
        $null = Send-S3Directory -Path $damaged -Tar -BucketName $bucket -KeyPrefix "damaged-members-$Damage-$Name/" -ErrorVariable uploadErrors -ErrorAction SilentlyContinue @s3
        @($uploadErrors | Where-Object { $_.FullyQualifiedErrorId -match '^(InvalidTarArchive|TruncatedTarArchive),' }) | Should -Not -BeNullOrEmpty -Because ($uploadErrors | Out-String)
        @($uploadErrors | Where-Object { $_.FullyQualifiedErrorId -notmatch '^(InvalidTarArchive|TruncatedTarArchive),' }) | Should -BeNullOrEmpty -Because ($uploadErrors | Out-String)
        ($uploadErrors | Out-String) | Should -Match ([regex]::Escape("damaged-$Damage-$Name"))
    }
}
