@{
    Synopsis    = 'Sends S3Turbo work items to an Amazon SQS queue for queue-fed workers (Get-S3TarIndex -QueueUrl, Copy-S3Prefix -QueueUrl): one per object of a prefix, a manifest or the pipeline.'
    Description = @'
Send-S3WorkItem turns a prefix, a manifest or piped objects into messages on an SQS queue, so that any number of workers started with -QueueUrl share the work: each worker takes messages, does their work on its own engine, and deletes a message only once that work is stored. Work that fails is handed back and retried, and past the queue's maxReceiveCount it moves to the dead-letter queue.

By default there is one work item per object. A prefix is listed here with a streamed ListObjectsV2 listing, filtered by -Include and -Exclude and, with -ShardIndex and -ShardCount, by shard. A manifest is read here: an S3 Inventory manifest.json or a Batch Operations CSV. Piped objects with BucketName and Key are sent as they are. Messages go ten to a SendMessageBatch request, with several requests at once within the run's request budget. 10,000 objects take 1,000 requests.

With -AsOneItem, a prefix or a manifest is sent as one work item that names it. The worker that takes it then lists the prefix or reads the manifest itself. That suits a few large units of work, such as one prefix per day.

A work item is a JSON body: {"s3turbo":1,"bucket":"b","key":"k","size":123,"etag":"..."}. A prefix work item has "prefix" in place of "key". A manifest work item is {"s3turbo":1,"manifest":"s3://b/m.json"}. Each may carry "operation", the cmdlet meant to run it (-Operation). A worker that runs another cmdlet refuses such an item as InvalidWorkItem and hands it back, so the item is not done by the wrong cmdlet. Workers also accept S3 event notifications (direct, through SNS, or from EventBridge). A bucket can therefore feed the same queue with no sender at all.

Each work item's outcome is reported on its own. A work item that the queue refuses is a non-terminating error naming the object (QueueUnavailable), and the rest of its batch still goes. A queue that does not exist, or that denies sending, stops the run with one error.
'@
    Parameters  = @{
        QueueUrl      = 'The SQS queue to send to (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, or any SQS-compatible endpoint). The URL gives the endpoint and signing region. Uses sqs:SendMessage.'
        Uri           = 'Prefixes as S3 URIs, for example s3://scans/2024/. Each is listed, and one work item is sent per object (one for the prefix with -AsOneItem).'
        BucketName    = 'The bucket whose -KeyPrefix prefixes are listed.'
        KeyPrefix     = 'The prefixes under -BucketName. Without it, the whole bucket is listed.'
        InputObject   = 'From the pipeline: S3 URIs (listed like -Uri), or objects with BucketName and Key properties (and Size and ETag when they have them), for example from Get-S3Object. Each object becomes one work item, and items are batched ten to a request.'
        ManifestPath  = 'An S3 Inventory manifest.json or an S3 Batch Operations CSV, as a local path or an s3:// URI. Each object it names becomes one work item; the manifest is checked as -ManifestPath is on the other cmdlets. With -AsOneItem, one work item names the manifest itself: give an s3:// URI then, or a path that every worker can read.'
        AsOneItem     = 'Send one work item that names the prefix or manifest, instead of one per object. The worker that takes it lists the prefix or reads the manifest.'
        Operation     = 'The cmdlet the work items are for (Get-S3TarIndex or Copy-S3Prefix). It is recorded in each item, and a worker running another cmdlet refuses the item. Without it, any worker on the queue takes the items.'
        Include       = 'Wildcard patterns matched against the key relative to the prefix, and against its last segment. Only matching objects are sent.'
        Exclude       = 'Wildcard patterns matched like -Include. Matching objects are not sent.'
        MaxConcurrency = 'A fixed number of requests in flight (listing pages and SendMessageBatch requests). Without it, the concurrency is adaptive.'
        PassThru      = 'Write one S3Turbo.WorkItemResult per work item (kind, bucket, key, operation, message ID, status) instead of the summary.'
        WhatIf        = 'List every work item that would be sent, and send nothing.'
        Confirm       = 'Ask once before the run starts.'
    }
    Inputs      = @{
        'System.String' = 'S3 URIs of prefixes to list.'
        'Objects with BucketName and Key' = 'Objects to send one work item for (for example from Get-S3Object).'
    }
    Outputs     = @{
        'S3Turbo.TransferSummary' = 'By default: work items sent and failed, elapsed time and requests.'
        'S3Turbo.WorkItemResult'  = 'With -PassThru: one per work item.'
    }
    Notes       = @'
Needs sqs:SendMessage on the queue, and s3:ListBucket (or s3:GetObject for a manifest) on the source. Workers need sqs:ReceiveMessage, sqs:DeleteMessage and sqs:ChangeMessageVisibility. Give the queue a redrive policy (a dead-letter queue and a maxReceiveCount) so that a work item that always fails is set aside. See docs/scale-out.md.
'@
    Examples    = @(
        @{ Title = 'Fan a prefix out to indexing workers'; Code = 'Send-S3WorkItem s3://scans/2024/ -QueueUrl $queueUrl -Include *.tar -Operation Get-S3TarIndex'; Remarks = 'One work item per .tar under s3://scans/2024/. Workers started with Get-S3TarIndex -QueueUrl $queueUrl -DestinationBucket idx -DestinationPrefix tar/ then index one archive per message.' }
        @{ Title = 'One item per day'; Code = '"2024-01-01","2024-01-02" | ForEach-Object { "s3://logs/$_/" } | Send-S3WorkItem -QueueUrl $queueUrl -AsOneItem'; Remarks = 'Each piped URI is a prefix. With -AsOneItem, each is sent as one work item that its worker lists.' }
        @{ Title = 'From an inventory'; Code = 'Send-S3WorkItem -ManifestPath s3://inventory/src/daily/2024-06-01T00-00Z/manifest.json -QueueUrl $queueUrl -Operation Copy-S3Prefix'; Remarks = 'One work item per object in the inventory (each data file''s MD5 is checked first), for Copy-S3Prefix -QueueUrl workers.' }
        @{ Title = 'See what would be sent'; Code = 'Send-S3WorkItem -BucketName scans -KeyPrefix 2024/ -QueueUrl $queueUrl -WhatIf'; Remarks = 'Lists every work item that would be sent, and sends nothing.' }
    )
}
