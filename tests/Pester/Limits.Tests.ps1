# What a shared link and a shared bucket need: a cap on bytes per second, and Add mode that never overwrites a key
# another writer stored after the listing.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:bucket = New-TestBucket
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-limits-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $null = New-Item -ItemType Directory $root
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe '-MaxBytesPerSecond' {
    It 'holds an upload and a download of 40 MB to 8 MB/s (about 5 s each), and the summary shows the cap' {
        $file = Join-Path $root 'capped/big.bin'
        New-RandomFile $file 40MB 3
        $clock = [System.Diagnostics.Stopwatch]::StartNew()
        $up = Send-S3Directory -LiteralPath $file -BucketName $bucket -KeyPrefix capped/ -MaxBytesPerSecond 8MB @s3
        $upSeconds = $clock.Elapsed.TotalSeconds
        $up.MaxBytesPerSecond | Should -Be 8MB
        $up.ItemsTransferred | Should -Be 1
        $clock.Restart()
        $down = Receive-S3Prefix "s3://$bucket/capped/" (Join-Path $root 'capped-down') -MaxBytesPerSecond 8MB @s3
        $downSeconds = $clock.Elapsed.TotalSeconds
        $down.ItemsTransferred | Should -Be 1
        # 40 MB at 8 MB/s is 5 s less the first tenth of a second's worth; uncapped, either takes well under a second here.
        $upSeconds | Should -BeGreaterThan 4.0
        $upSeconds | Should -BeLessThan 7.5
        $downSeconds | Should -BeGreaterThan 4.0
        $downSeconds | Should -BeLessThan 7.5
    }

    It 'refuses a cap of nothing, naming the parameter' {
        { Send-S3Directory -LiteralPath $root -BucketName $bucket -MaxBytesPerSecond 0 @s3 } | Should -Throw -ExpectedMessage '*MaxBytesPerSecond*'
    }
}

Describe 'Add mode with another writer' {
    # Each writer is paced (600 bytes a second: 300 keys of about 7 bytes take 3 to 4 s), so both list the empty
    # prefix before either has written much, and both go for every key: the store decides each one.
    It 'two writers racing on the same 300 keys: each key is written once, by one of them, and the other reports it skipped' {
        $p = Get-TestS3Parameters
        $jobs = foreach ($writer in 'A', 'B') {
            $dir = Join-Path $root "writer$writer"
            foreach ($i in 1..300) { [System.IO.File]::WriteAllText((New-Item -ItemType File -Force (Join-Path $dir ("k{0:D3}.txt" -f $i))).FullName, "$writer $i") }
            $out = Join-Path $root "writer$writer.json"
            $script = "Import-Module '$moduleManifest'; Send-S3Directory -Path '$dir' -BucketName $bucket -KeyPrefix race/ -Mode Add -MaxBytesPerSecond 600 -PassThru -EndpointUrl '$($p.EndpointUrl)' -AccessKey '$($p.AccessKey)' -SecretKey '$($p.SecretKey)' -WarningAction SilentlyContinue | Select-Object Key, @{ n = 'Status'; e = { [string]`$_.Status } }, Reason | ConvertTo-Json | Set-Content '$out'"
            Start-ThreadJob { param($s) Invoke-ChildPwsh $s } -ArgumentList $script -InitializationScript ([scriptblock]::Create("Import-Module '$(Join-Path $PSScriptRoot 'TestHelpers.psm1')'"))
        }
        $null = $jobs | Wait-Job -Timeout 120 | Receive-Job
        $a = Get-Content (Join-Path $root 'writerA.json') -Raw | ConvertFrom-Json
        $b = Get-Content (Join-Path $root 'writerB.json') -Raw | ConvertFrom-Json
        $a | Should -HaveCount 300
        $b | Should -HaveCount 300
        $winner = @{}
        foreach ($r in @($a | Where-Object Status -eq 'Uploaded')) { $winner[$r.Key] = 'A' }
        foreach ($r in @($b | Where-Object Status -eq 'Uploaded')) { $winner.ContainsKey($r.Key) | Should -BeFalse -Because "$($r.Key) was written by both"; $winner[$r.Key] = 'B' }
        $winner.Count | Should -Be 300
        @($a | Where-Object Status -eq 'Skipped').Count + @($b | Where-Object Status -eq 'Skipped').Count | Should -Be 300
        # How many keys the store refused (If-None-Match) rather than the listing: the race this test is about.
        @(@($a) + @($b) | Where-Object Reason -like '*stored meanwhile*').Count | Should -BeGreaterThan 0 -Because 'the writers raced: the store refused some writes (If-None-Match)' 
        foreach ($key in $winner.Keys) {
            $text = [System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $bucket $key))
            $text | Should -BeLike "$($winner[$key]) *" -Because "$key holds the content of the writer that reports it written"
        }
    }
}
