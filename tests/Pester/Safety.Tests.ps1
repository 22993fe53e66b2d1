# What a hostile or careless input must never do: write outside a destination, skip data silently, end a run that did
# nothing as if it had succeeded, or put raw control characters on the terminal (docs/reliability.md, "Safety").
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:client = Get-TestS3Client
    $script:bucket = New-TestBucket
    $script:work = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-safety-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    New-Item -ItemType Directory $work | Out-Null
    function Put-Object([string] $Key, [string] $Body = 'x') {
        $null = Wait-Task ($client.PutObjectAsync([Amazon.S3.Model.PutObjectRequest]@{ BucketName = $bucket; Key = $Key; ContentBody = $Body }))
    }
    $script:esc = [char]27
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Receive-S3Prefix and links already in the destination' -Skip:$IsWindows {
    It 'writes nothing through a directory link, refuses the key by name, and downloads the rest' {
        Put-Object 'p/link/pwned.txt' 'pwned'
        Put-Object 'p/link/deeper/pwned2.txt' 'pwned'
        Put-Object 'p/ok.txt' 'ok'
        $elsewhere = New-Item -ItemType Directory (Join-Path $work 'elsewhere')
        $into = New-Item -ItemType Directory (Join-Path $work 'dl')
        New-Item -ItemType SymbolicLink -Path (Join-Path $into 'link') -Target $elsewhere | Out-Null
        $summary = Receive-S3Prefix "s3://$bucket/p/" $into -Mode Overwrite -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        @(Get-ChildItem $elsewhere -Recurse -Force) | Should -HaveCount 0
        $failed | Should -HaveCount 2
        $failed | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'PathThroughLink*' }
        ($failed.TargetObject | Sort-Object) | Should -Be @("s3://$bucket/p/link/deeper/pwned2.txt", "s3://$bucket/p/link/pwned.txt")
        "$($failed[0])" | Should -BeLike "*'$(Join-Path $into 'link')' is a symbolic link (to '$elsewhere')*"
        $summary.ItemsTransferred | Should -Be 1
        Get-Content (Join-Path $into 'ok.txt') -Raw | Should -Be 'ok'
    }

    It 'a local mirror never deletes through a link' {
        Put-Object 'm/a.txt' 'a'
        $outside = New-Item -ItemType Directory (Join-Path $work 'outside')
        Set-Content (Join-Path $outside 'precious.txt') 'keep'
        $into = New-Item -ItemType Directory (Join-Path $work 'mirror')
        New-Item -ItemType SymbolicLink -Path (Join-Path $into 'link') -Target $outside | Out-Null
        Set-Content (Join-Path $into 'extra.txt') 'local only'
        $summary = Receive-S3Prefix "s3://$bucket/m/" $into -Delete @s3
        $summary.ItemsDeleted | Should -Be 1
        Test-Path (Join-Path $into 'extra.txt') | Should -BeFalse
        Get-Content (Join-Path $outside 'precious.txt') -Raw | Should -BeLike 'keep*'
    }
}

Describe 'Keys that end in / but hold bytes' {
    It 'is reported with a way to fetch it, never skipped as an empty folder' {
        Put-Object 'trail/data/' 'five!'
        Put-Object 'trail/folder/' ''
        $into = Join-Path $work 'trail'
        $results = Receive-S3Prefix "s3://$bucket/trail/" $into -PassThru -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'FolderKeyHasData*'
        $failed[0].TargetObject | Should -Be "s3://$bucket/trail/data/"
        "$($failed[0])" | Should -BeLike '*holds 5 bytes*Open-S3Object*'
        ($results | Where-Object Key -eq 'trail/data/').Status | Should -Be 'Failed'
        ($results | Where-Object Key -eq 'trail/folder/').Status | Should -Be 'Skipped'
        Test-Path (Join-Path $into 'folder') -PathType Container | Should -BeTrue
    }
}

Describe 'Send-S3Directory -Tar and member names' {
    It 'refuses a member whose name climbs out of -KeyPrefix and uploads the rest' {
        $archive = Join-Path $work 'climb.tar'
        & python3 -c @"
import io, tarfile, sys
with tarfile.open(sys.argv[1], 'w') as t:
    for name in ('../evil.txt', 'ok/../../evil2.txt', 'ok/fine.txt'):
        data = b'x'; info = tarfile.TarInfo(name); info.size = len(data); t.addfile(info, io.BytesIO(data))
"@ $archive
        $LASTEXITCODE | Should -Be 0
        $summary = Send-S3Directory -LiteralPath $archive -Tar -BucketName $bucket -KeyPrefix tar/ -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        $failed | Should -HaveCount 2
        $failed | ForEach-Object { $_.FullyQualifiedErrorId | Should -BeLike 'KeyEscapesDestination*' }
        $summary.ItemsTransferred | Should -Be 1
        @(Get-TestObjects $bucket 'tar/').Key | Should -Be @('tar/ok/fine.txt')
    }
}

Describe 'A file whose name is not valid UTF-8' -Skip:$IsWindows {
    It 'is refused with the true reason, and the other files go up' {
        $tree = New-TestTree @{ 'good.txt' = 'good' }
        & bash -c "printf 'latin' > '$tree'/`$'caf\xe9.txt'"
        $LASTEXITCODE | Should -Be 0
        $summary = Send-S3Directory -Path $tree -BucketName $bucket -KeyPrefix names/ -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'InvalidFileName*'
        "$($failed[0])" | Should -BeLike '*not valid UTF-8*'
        "$($failed[0])" | Should -Not -BeLike '*deleted after it was listed*'
        $summary.ItemsTransferred | Should -Be 1
        & rm -rf $tree # Remove-Item cannot name the file either
    }
}

Describe 'Control characters in keys' {
    BeforeAll {
        $script:escKey = "esc/red${esc}[31mtext${esc}[0m.txt"
        Put-Object $escKey 'colour'
        function Assert-Escaped([object[]] $Results) {
            $text = $Results | Format-Table | Out-String -Width 400
            $text | Should -Not -BeNullOrEmpty
            $text.Contains($esc) | Should -BeFalse -Because 'a raw ESC would reach the terminal'
            $text | Should -BeLike '*`u{1B}*'
        }
    }

    It 'shows them escaped in every result table' {
        $into = Join-Path $work 'esc'
        Assert-Escaped @(Receive-S3Prefix "s3://$bucket/esc/" $into -PassThru @s3)
        Assert-Escaped @(Copy-S3Prefix "s3://$bucket/esc/" "s3://$bucket/esc-copy/" -PassThru @s3)
        $file = Get-ChildItem $into -File | Select-Object -First 1
        Assert-Escaped @(Send-S3Directory -LiteralPath $file.FullName -BucketName $bucket -KeyPrefix esc-up/ -Mode Overwrite -PassThru @s3)
        $queue = New-TestQueue
        try { Assert-Escaped @(Send-S3WorkItem "s3://$bucket/esc/" -QueueUrl $queue.Url -PassThru @s3) }
        finally { Remove-TestQueue $queue }
        $removed = @(Remove-S3Prefix "s3://$bucket/esc-copy/" -Force -PassThru @s3)
        $removed.Status | Should -Be @('Deleted') -Because 'a key an XML body cannot carry is removed on its own'
        Assert-Escaped $removed
        $tar = Join-Path $work 'esc.tar'
        & python3 -c "import io, tarfile, sys; t = tarfile.open(sys.argv[1], 'w'); i = tarfile.TarInfo('a\x1b[2Jb.txt'); i.size = 1; t.addfile(i, io.BytesIO(b'x')); t.close()" $tar
        $null = Send-S3Directory -LiteralPath $tar -BucketName $bucket -KeyPrefix esc-tar/ @s3
        Assert-Escaped @(Get-S3TarIndex -BucketName $bucket -Key esc-tar/esc.tar @s3)
    }

    It 'shows them escaped in error messages and warnings' {
        Put-Object "esc2/${esc}]0;title${esc}\/../x.txt" 'escapes'
        $null = Receive-S3Prefix "s3://$bucket/esc2/" (Join-Path $work 'esc2') -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        $failed | Should -HaveCount 1
        ($failed | Out-String).Contains($esc) | Should -BeFalse
        "$($failed[0])" | Should -BeLike '*`u{1B}]0;title*'
        $failed[0].TargetObject | Should -BeLike "*${esc}]0;title*" -Because 'the target object is the key itself, for scripts'
    }
}

Describe 'Runs that cannot succeed stop, and say so' {
    It 'a refused manifest ends the run with one terminating error' {
        $missing = Join-Path $work 'none.csv'
        { Receive-S3Prefix -ManifestPath $missing -Destination (Join-Path $work 'man') -ErrorAction SilentlyContinue @s3 } | Should -Throw -ErrorId 'ManifestNotFound*'
        $bad = Join-Path $work 'bad.csv'
        Set-Content $bad "$bucket,a,b,c,d,e"
        { Remove-S3Prefix -ManifestPath $bad -Force -ErrorAction SilentlyContinue @s3 } | Should -Throw -ErrorId 'InvalidManifest*'
    }

    It 'a rejected input counts as a failed item in the summary' {
        Put-Object 'rej/a.txt' 'a'
        $summary = Copy-S3Prefix -Source "s3://$bucket/rej/", 'not-a-uri' -Destination "s3://$bucket/rej-copy/" -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'InvalidS3Uri*'
        $summary.ItemsTransferred | Should -Be 1
        $summary.ItemsFailed | Should -Be 1
    }

    It 'New-S3UploadStream reports a wrong secret as InvalidCredentials, like every other cmdlet' {
        $wrong = $s3.Clone(); $wrong.SecretKey = 'not-the-secret'
        $thrown = { 'line' | New-S3UploadStream -BucketName $bucket -Key creds.txt -ErrorAction Stop @wrong } | Should -Throw -ErrorId 'InvalidCredentials*' -PassThru
        $thrown.CategoryInfo.Category | Should -Be 'AuthenticationError'
    }
}
