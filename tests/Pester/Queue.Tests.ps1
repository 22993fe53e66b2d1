BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestHelpers.psm1') -Force
    Import-Module $moduleManifest -Force
    $script:s3 = Get-TestS3Parameters
    $script:bucket = New-TestBucket
    $script:root = Join-Path ([System.IO.Path]::GetTempPath()) ('pester-queue-' + [guid]::NewGuid().ToString('N').Substring(0, 8))
    $src = Join-Path $root 'src'
    New-RandomFile (Join-Path $src 'one.bin') 3000 1
    New-RandomFile (Join-Path $src 'two.bin') 5000 2
    $script:tarPath = Join-Path $root 'sample.tar'
    & tar --create --file $tarPath --directory $src one.bin two.bin
    $script:members = @(& tar --list --file $tarPath).Count

    # Runs a queue worker in its own pwsh process (so it can be killed), with the test store's parameters.
    function script:Start-Worker([string] $Command) {
        $p = Get-TestS3Parameters
        $script = "Import-Module '$moduleManifest'; `$s3 = @{ EndpointUrl = '$($p.EndpointUrl)'; AccessKey = '$($p.AccessKey)'; SecretKey = '$($p.SecretKey)'; Region = '$($p.Region)'; WarningAction = 'SilentlyContinue' }; $Command @s3"
        $encoded = [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($script))
        $pwsh = Get-PwshCommandLine; $exe = $pwsh.File
        $arguments = $pwsh.Arguments + @('-NoProfile', '-NonInteractive', '-EncodedCommand', $encoded)
        Start-Process -FilePath $exe -ArgumentList $arguments -PassThru -RedirectStandardOutput (Join-Path $root "worker-$([guid]::NewGuid().ToString('N')).out") -RedirectStandardError (Join-Path $root "worker-$([guid]::NewGuid().ToString('N')).err")
    }
}

AfterAll {
    Remove-TestBucket $bucket
    Remove-Item $root -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'Queue-fed workers (SQS on moto, S3 on the gateway)' {
    It 'three Get-S3TarIndex workers on one queue index 300 archives exactly once, with one worker killed mid-run and no message lost' {
        $archives = Join-Path $root 'many'
        New-Item -ItemType Directory $archives -Force | Out-Null
        foreach ($i in 1..300) { Copy-Item $tarPath (Join-Path $archives ('a{0:D3}.tar' -f $i)) }
        $null = Send-S3Directory -Path $archives -BucketName $bucket -KeyPrefix 'many/' @s3
        $queue = New-TestQueue -VisibilityTimeout 15 -MaxReceiveCount 4
        try {
            $sent = Send-S3WorkItem "s3://$bucket/many/" -QueueUrl $queue.Url -Operation Get-S3TarIndex @s3
            $sent.ItemsTransferred | Should -Be 300
            $sent.RequestsByOperation['SendMessageBatch'] | Should -Be 30 -Because 'ten work items go in one request'
            Get-TestQueueCount $queue.Url | Should -Be 300

            $command = "Get-S3TarIndex -QueueUrl '$($queue.Url)' -DestinationBucket $bucket -DestinationPrefix idx/ -IdleTimeout 25 -VisibilityTimeout 15"
            $workers = 1..3 | ForEach-Object { Start-Worker $command }
            # Kill the first worker once the work is under way (with messages in its hands: it holds up to 10).
            $deadline = (Get-Date).AddSeconds(120)
            do { Start-Sleep -Milliseconds 100; $done = @(Get-TestObjects $bucket 'idx/' | Where-Object { $_ }).Count } while ($done -lt 20 -and (Get-Date) -lt $deadline)
            Stop-Process -Id $workers[0].Id -Force
            $done | Should -BeLessThan 300 -Because 'the worker is killed while work remains'
            foreach ($w in $workers[1..2]) { $w.WaitForExit(240000) | Should -BeTrue -Because 'a worker stops after its idle timeout' }

            $indexes = @(Get-TestObjects $bucket 'idx/' | Where-Object { $_ })
            ($indexes.Key | Sort-Object) | Should -Be (1..300 | ForEach-Object { 'idx/many/a{0:D3}.tar.jsonl' -f $_ })
            foreach ($key in $indexes.Key | Get-Random -Count 20) {
                $lines = @([System.Text.Encoding]::UTF8.GetString((Get-TestObjectBytes $bucket $key)) -split "`n" | Where-Object { $_ })
                $lines.Count | Should -Be $members -Because "$key indexes every member once"
            }
            Get-TestQueueCount $queue.Url | Should -Be 0 -Because 'every message was deleted after its index was stored'
            Get-TestQueueCount $queue.DeadLetterUrl | Should -Be 0 -Because 'no good message was given up on'
        }
        finally { Remove-TestQueue $queue }
    }

    It 'takes S3 event notifications (URL-encoded keys, through SNS too), deletes a test event, and moves a poison message to the dead-letter queue with an error naming it' {
        $null = Send-S3Directory -Path $tarPath -BucketName $bucket -KeyPrefix 'events/with space+plus/' @s3
        $queue = New-TestQueue -VisibilityTimeout 10 -MaxReceiveCount 2
        try {
            $event = @{ Records = @(@{ eventSource = 'aws:s3'; eventName = 'ObjectCreated:Put'; s3 = @{ bucket = @{ name = $bucket }; object = @{ key = 'events/with+space%2Bplus/sample.tar'; size = 1 } } }) } | ConvertTo-Json -Depth 8 -Compress
            Send-TestMessage $queue.Url $event
            Send-TestMessage $queue.Url (@{ Type = 'Notification'; Message = $event } | ConvertTo-Json -Compress)
            Send-TestMessage $queue.Url '{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"b"}'
            Send-TestMessage $queue.Url 'this is not a work item'
            $entries = Get-S3TarIndex -QueueUrl $queue.Url -IdleTimeout 12 -VisibilityTimeout 10 -ErrorVariable failures -ErrorAction SilentlyContinue @s3
            @($entries | Where-Object Archive -eq "s3://$bucket/events/with space+plus/sample.tar").Count | Should -Be (2 * $members) -Because 'both event messages name the same archive'
            $failures.Count | Should -BeGreaterOrEqual 1
            $failures | ForEach-Object { $_.FullyQualifiedErrorId | Should -Match '^InvalidWorkItem' }
            $failures[0].Exception.Message | Should -Match '^Queue message \S+ is not JSON'
            Get-TestQueueCount $queue.Url | Should -Be 0
            Get-TestQueueCount $queue.DeadLetterUrl | Should -Be 1 -Because 'the poison message was handed back until its redrive policy gave up on it'
        }
        finally { Remove-TestQueue $queue }
    }

    It 'a Copy-S3Prefix worker copies a prefix work item and refuses a work item meant for another cmdlet' {
        $null = Send-S3Directory -Path $src -BucketName $bucket -KeyPrefix 'csrc/' @s3
        $queue = New-TestQueue -VisibilityTimeout 10 -MaxReceiveCount 1
        try {
            (Send-S3WorkItem "s3://$bucket/csrc/" -QueueUrl $queue.Url -AsOneItem -PassThru @s3).Kind | Should -Be 'Prefix'
            $null = Send-S3WorkItem "s3://$bucket/csrc/" -QueueUrl $queue.Url -Operation Get-S3TarIndex -AsOneItem @s3
            $summary = Copy-S3Prefix -QueueUrl $queue.Url -Destination "s3://$bucket/cdst/" -SourcePrefix csrc/ -IdleTimeout 6 -ErrorVariable failures -ErrorAction SilentlyContinue @s3
            $summary.ItemsTransferred | Should -Be 2
            (Get-TestObjects $bucket 'cdst/').Key | Sort-Object | Should -Be @('cdst/one.bin', 'cdst/two.bin')
            $failures.Count | Should -Be 1
            $failures[0].FullyQualifiedErrorId | Should -Match '^InvalidWorkItem'
            $failures[0].Exception.Message | Should -Match 'is for Get-S3TarIndex; this worker runs Copy-S3Prefix'
            Get-TestQueueCount $queue.DeadLetterUrl | Should -Be 1
        }
        finally { Remove-TestQueue $queue }
    }

    It '-WhatIf sends nothing, and a worker refuses settings it cannot honour' {
        $queue = New-TestQueue
        try {
            $null = Send-S3WorkItem "s3://$bucket/csrc/" -QueueUrl $queue.Url -WhatIf @s3
            Get-TestQueueCount $queue.Url | Should -Be 0
            # A worker's dry run copies nothing and leaves the message for a real run.
            $null = Send-S3WorkItem "s3://$bucket/csrc/" -QueueUrl $queue.Url -AsOneItem @s3
            $null = Copy-S3Prefix -QueueUrl $queue.Url -Destination "s3://$bucket/whatif/" -IdleTimeout 2 -WhatIf @s3
            @(Get-TestObjects $bucket 'whatif/' | Where-Object { $_ }) | Should -HaveCount 0
            Get-TestQueueCount $queue.Url | Should -Be 1
            { Get-S3TarIndex -QueueUrl $queue.Url -OutFile (Join-Path $root 'x.jsonl') -IdleTimeout 1 -ErrorAction Stop @s3 } | Should -Throw -ErrorId 'ConflictingParameters*'
            { Get-S3TarIndex -QueueUrl 'not a url' -IdleTimeout 1 -ErrorAction Stop @s3 } | Should -Throw -ErrorId 'InvalidQueueSetting*'
            { Copy-S3Prefix -QueueUrl $queue.Url -Destination "s3://$bucket/x/" -Delete -IdleTimeout 1 -ErrorAction Stop @s3 } | Should -Throw -ErrorId 'ConflictingParameters*'
        }
        finally { Remove-TestQueue $queue }
    }
}
