BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:client = Get-TestS3Client
    $script:bucket = New-TestBucket
    # The local source: what a mirror must end up with.
    $script:tree = New-TestTree @{ 'a.txt' = 'a'; 'b.log' = 'b'; 'sub/c.txt' = 'c'; 'sub/deep/d.txt' = 'd' }
    $script:sourceKeys = @('a.txt', 'b.log', 'sub/c.txt', 'sub/deep/d.txt')

    function Get-Keys([string] $Prefix) { @(Get-TestObjects $bucket $Prefix | Where-Object { $_ } | ForEach-Object Key | Sort-Object) }
    function Put-Objects([string] $Prefix, [string[]] $Names) {
        foreach ($name in $Names) { $null = Wait-Task ($client.PutObjectAsync([Amazon.S3.Model.PutObjectRequest]@{ BucketName = $bucket; Key = "$Prefix$name"; ContentBody = 'old' })) }
    }
    # The destination as a previous run left it (the source files), plus objects whose files are gone.
    function Initialize-Destination([string] $Prefix, [string[]] $Extras) {
        $null = Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix $Prefix -Mode Overwrite @s3
        Put-Objects $Prefix $Extras
    }
    $script:extras = @('gone.txt', 'sub/gone.txt', 'sub/deep/gone.log')
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $tree -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Send-S3Directory -Delete' {
    It 'removes exactly the objects without a file, in one DeleteObjects request, and nothing beside the prefix' {
        Initialize-Destination 'm/' $extras
        Put-Objects 'm2/' 'gone.txt'
        Put-Objects '' 'm-other.txt'
        $summary = Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix m -Delete @s3
        $summary.ItemsFailed | Should -Be 0
        $summary.ItemsSkipped | Should -Be 4 -Because 'the files are unchanged, and still count as sources'
        $summary.ItemsDeleted | Should -Be 3
        $summary.RequestsByOperation['DeleteObjects'] | Should -Be 1
        Get-Keys 'm/' | Should -Be ($sourceKeys | ForEach-Object { "m/$_" } | Sort-Object)
        Get-Keys 'm2/' | Should -Be @('m2/gone.txt')
        Get-Keys 'm-other' | Should -Be @('m-other.txt')
    }

    It 'keeps the objects that -Include/-Exclude reject, and passes removals on with -PassThru' {
        Initialize-Destination 'f/' $extras
        $results = Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix f/ -Include *.txt -Delete -PassThru @s3
        $removed = @($results | Where-Object { $_ -is [S3Turbo.RemoveResult] })
        ($removed.Key | Sort-Object) | Should -Be @('f/gone.txt', 'f/sub/gone.txt')
        $removed | ForEach-Object { $_.Status | Should -Be 'Deleted' }
        Get-Keys 'f/' | Should -Contain 'f/sub/deep/gone.log'
        Get-Keys 'f/' | Should -Contain 'f/b.log'
    }

    It 'deletes nothing when a file failed, and says why' {
        Initialize-Destination 'fail/' $extras
        # A key longer than S3's 1,024 bytes: that file fails (KeyTooLong), the others upload.
        $long = Join-Path $tree ((1..5 | ForEach-Object { 'x' * 220 }) -join [System.IO.Path]::DirectorySeparatorChar)
        New-Item -ItemType File -Force (Join-Path $long 'f.txt') | Out-Null
        try {
            $summary = Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix fail/ -Delete -WarningVariable warned -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        } finally { Remove-Item (Join-Path $tree ('x' * 220)) -Recurse -Force }
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'KeyTooLong*'
        $summary.ItemsDeleted | Should -Be 0
        "$warned" | Should -BeLike "*-Delete removed nothing from s3://$bucket/fail/*failed*"
        Get-Keys 'fail/' | Should -HaveCount 7
    }

    It '-MaxDelete below the number of extras deletes none of them; at the number it deletes them' {
        Initialize-Destination 'max/' $extras
        $summary = Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix max/ -Delete -MaxDelete 2 -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'MaxDeleteExceeded*'
        $failed[0].CategoryInfo.Category | Should -Be 'LimitsExceeded'
        "$($failed[0])" | Should -BeLike '*more than 2 items*-MaxDelete 2*'
        $summary.ItemsDeleted | Should -Be 0
        Get-Keys 'max/' | Should -HaveCount 7
        (Send-S3Directory -Path $tree -Recurse -BucketName $bucket -KeyPrefix max/ -Delete -MaxDelete 3 @s3).ItemsDeleted | Should -Be 3
        Get-Keys 'max/' | Should -HaveCount 4
    }

    It '-WhatIf lists each deletion and deletes nothing' {
        Initialize-Destination 'wi/' $extras
        $p = Get-TestS3Parameters
        $output = Invoke-ChildPwsh ("Import-Module '$moduleManifest'; Send-S3Directory -Path '$tree' -Recurse -BucketName $bucket -KeyPrefix wi/ -Delete -WhatIf " +
            "-EndpointUrl $($p.EndpointUrl) -AccessKey $($p.AccessKey) -SecretKey $($p.SecretKey) -WarningAction SilentlyContinue | Out-Null")
        $removals = @($output | Where-Object { $_ -like 'What if:*"Remove"*' })
        $removals | Should -HaveCount 3
        foreach ($extra in $extras) { @($removals | Where-Object { $_ -like "*s3://$bucket/wi/$extra*" }) | Should -HaveCount 1 }
        Get-Keys 'wi/' | Should -HaveCount 7
    }

    It 'keeps what lies under a symbolic link to a directory that was not followed' -Skip:$IsWindows {
        $linked = New-TestTree @{ 'l.txt' = 'l' }
        $withLink = New-TestTree @{ 'a.txt' = 'a' }
        New-Item -ItemType SymbolicLink -Path (Join-Path $withLink 'link') -Target $linked | Out-Null
        try {
            $null = Send-S3Directory -Path $withLink -Recurse -FollowSymlink -BucketName $bucket -KeyPrefix sl/ @s3
            Put-Objects 'sl/' 'gone.txt'
            $summary = Send-S3Directory -Path $withLink -Recurse -BucketName $bucket -KeyPrefix sl/ -Delete @s3
            $summary.ItemsDeleted | Should -Be 1
            Get-Keys 'sl/' | Should -Be @('sl/a.txt', 'sl/link/l.txt')
        } finally { Remove-Item $linked, $withLink -Recurse -Force }
    }

    It 'deletes nothing when the source holds only <Kind>, and says why' -Skip:$IsWindows -ForEach @(
        @{ Kind = 'a FIFO' }, @{ Kind = 'a socket' }, @{ Kind = 'a link to a directory (not followed)' }
    ) {
        Initialize-Destination 'special/' $extras
        $only = New-TestTree @{}
        $linked = New-TestTree @{ 'l.txt' = 'l' }
        $socket = $null
        switch ($Kind) {
            'a FIFO' { & mkfifo (Join-Path $only 'pipe'); $LASTEXITCODE | Should -Be 0 }
            'a socket' {
                $socket = [System.Net.Sockets.Socket]::new('Unix', 'Stream', 'Unspecified')
                $socket.Bind([System.Net.Sockets.UnixDomainSocketEndPoint]::new((Join-Path $only 'sock')))
            }
            default { New-Item -ItemType SymbolicLink -Path (Join-Path $only 'link') -Target $linked | Out-Null }
        }
        try {
            $summary = Send-S3Directory -Path $only -Recurse -BucketName $bucket -KeyPrefix special/ -Delete -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        } finally {
            if ($socket) { $socket.Dispose() }
            Remove-Item $only, $linked -Recurse -Force
        }
        $failed | Should -HaveCount 1
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'MirrorSourceEmpty*'
        "$($failed[0])" | Should -BeLike '*read no source item it could store (1 skipped*'
        $summary.ItemsDeleted | Should -Be 0
        Get-Keys 'special/' | Should -HaveCount 7
    }

    It 'refuses -MaxDelete without -Delete and a mirror of an empty source' {
        { Send-S3Directory -Path $tree -BucketName $bucket -MaxDelete 5 @s3 } | Should -Throw -ErrorId 'MaxDeleteNeedsDelete*'
        Initialize-Destination 'empty/' @()
        $none = Join-Path $tree 'sub/deep'
        $summary = Send-S3Directory -Path $none -BucketName $bucket -KeyPrefix empty/ -Include *.nothing -Delete -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'MirrorSourceEmpty*'
        $summary.ItemsDeleted | Should -Be 0
        Get-Keys 'empty/' | Should -HaveCount 4
    }
}

Describe 'Copy-S3Prefix -Delete' {
    It 'removes exactly the destination objects without a source' {
        Initialize-Destination 'csrc/' @()
        Initialize-Destination 'cdst/' $extras
        $summary = Copy-S3Prefix "s3://$bucket/csrc/" "s3://$bucket/cdst/" -Delete @s3
        $summary.ItemsFailed | Should -Be 0
        $summary.ItemsDeleted | Should -Be 3
        Get-Keys 'cdst/' | Should -Be ($sourceKeys | ForEach-Object { "cdst/$_" } | Sort-Object)
        Get-Keys 'csrc/' | Should -HaveCount 4
    }

    It 'deletes nothing when one of its sources was rejected' {
        Initialize-Destination 'csrc2/' @()
        Initialize-Destination 'cdst2/' $extras
        $summary = Copy-S3Prefix -Source "s3://$bucket/csrc2/", 'not-a-uri' -Destination "s3://$bucket/cdst2/" -Delete -WarningVariable warned -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'InvalidS3Uri*'
        $summary.ItemsDeleted | Should -Be 0
        "$warned" | Should -BeLike '*-Delete removed nothing*'
        Get-Keys 'cdst2/' | Should -HaveCount 7
    }
}

Describe 'Receive-S3Prefix -Delete' {
    BeforeAll {
        Initialize-Destination 'rsrc/' @()
        function New-LocalCopy([string] $Name, [string[]] $ExtraFiles) {
            $into = Join-Path $tree "../$Name-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
            $null = Receive-S3Prefix "s3://$bucket/rsrc/" $into @s3
            foreach ($f in $ExtraFiles) { [System.IO.File]::WriteAllText((New-Item -ItemType File -Force (Join-Path $into $f)).FullName, 'local only') }
            (Resolve-Path $into).Path
        }
        function Get-LocalFiles([string] $Root) { @(Get-ChildItem $Root -Recurse -File -Force | ForEach-Object { [System.IO.Path]::GetRelativePath($Root, $_.FullName).Replace('\', '/') } | Sort-Object) }
    }

    It 'removes exactly the local files without an object, keeps what the filter rejects, and lists removals with -PassThru' {
        $into = New-LocalCopy 'rmirror' @('gone.txt', 'sub/gone.txt', 'sub/deep/gone.log')
        $results = Receive-S3Prefix "s3://$bucket/rsrc/" $into -Exclude *.log -Delete -PassThru @s3
        $removed = @($results | Where-Object Status -eq 'Deleted')
        ($removed.Path | ForEach-Object { [System.IO.Path]::GetRelativePath($into, $_).Replace('\', '/') } | Sort-Object) | Should -Be @('gone.txt', 'sub/gone.txt')
        Get-LocalFiles $into | Should -Be (@($sourceKeys | Where-Object { $_ -notlike '*.log' }) + 'b.log' + 'sub/deep/gone.log' | Sort-Object)
    }

    It 'deletes nothing when more files than -MaxDelete would go, or with -WhatIf' {
        $into = New-LocalCopy 'rmax' @('x1', 'x2', 'x3')
        $summary = Receive-S3Prefix "s3://$bucket/rsrc/" $into -Delete -MaxDelete 2 -ErrorVariable failed -ErrorAction SilentlyContinue @s3
        $failed[0].FullyQualifiedErrorId | Should -BeLike 'MaxDeleteExceeded*'
        $summary.ItemsDeleted | Should -Be 0
        $p = Get-TestS3Parameters
        $output = Invoke-ChildPwsh ("Import-Module '$moduleManifest'; Receive-S3Prefix s3://$bucket/rsrc/ '$into' -Delete -WhatIf " +
            "-EndpointUrl $($p.EndpointUrl) -AccessKey $($p.AccessKey) -SecretKey $($p.SecretKey) -WarningAction SilentlyContinue | Out-Null")
        @($output | Where-Object { $_ -like 'What if:*"Remove"*' }) | Should -HaveCount 3
        Get-LocalFiles $into | Should -HaveCount 7
    }

    It 'deletes nothing when an object failed' {
        Put-Objects 'rfail/' 'ok.txt'
        Put-Objects 'rfail/' '../escapes.txt'
        $into = Join-Path $tree "../rfail-$([guid]::NewGuid().ToString('N').Substring(0, 6))"
        [System.IO.File]::WriteAllText((New-Item -ItemType File -Force (Join-Path $into 'local.txt')).FullName, 'keep me')
        $summary = Receive-S3Prefix "s3://$bucket/rfail/" $into -Delete -WarningVariable warned -ErrorAction SilentlyContinue @s3
        $summary.ItemsFailed | Should -Be 1
        $summary.ItemsDeleted | Should -Be 0
        "$warned" | Should -BeLike '*-Delete removed nothing*'
        Test-Path (Join-Path $into 'local.txt') | Should -BeTrue
    }
}
