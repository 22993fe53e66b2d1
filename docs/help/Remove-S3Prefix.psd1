@{
    Synopsis    = 'Removes every object (or every version) under an S3 prefix, or piped objects, in DeleteObjects batches of up to 1,000 keys, several at once.'
    Description = @'
Remove-S3Prefix lists the prefix with ListObjectsV2 (with -AllVersions, ListObjectVersions: every version and delete marker), page by page, and removes what it lists with DeleteObjects requests of up to 1,000 keys each (-BatchSize). The listing streams into a short queue: removing starts with the first page, several batches are in flight within one request budget that backs off when the store answers 503 SlowDown, and memory stays at a few batches however many keys the prefix holds. 10,000 objects take 10 DeleteObjects requests (and 10 listing pages).

Prefixes are folders: "logs/2024" and "logs/2024/" both mean logs/2024/, so logs/2024-old/ is never touched. An empty prefix (s3://bucket/ or -BucketName without -KeyPrefix) means the whole bucket and is refused (WholeBucketNeedsForce) unless -Force is given. Objects piped in (anything with BucketName and Key, and optionally VersionId and Size, for example Get-S3Object output or a CSV inventory) are gathered into batches as they come.

Without -AllVersions, on a versioned bucket a removal adds a delete marker and keeps the older versions, as S3 does; -AllVersions removes every version and delete marker, which cannot be undone.

Confirmation: the impact is High, so PowerShell asks once before the run starts. -Force (or -Confirm:$false) runs without asking, for unattended runbooks. -WhatIf lists every key (and version) that would go and removes nothing.

Each key's outcome is reported on its own: a key the store refuses (for example AccessDenied from a bucket policy) is a non-terminating error with the key as TargetObject, and the rest of its batch is still removed. Removing a key that does not exist is not an error (S3's DeleteObjects answers it as removed). Wrong credentials or a missing bucket stop the run with one error.
'@
    Parameters  = @{
        IncompleteUploads  = 'Abort the multipart uploads under the prefix that were begun and neither completed nor aborted (what a killed run of any tool leaves, and the store keeps and bills until a lifecycle rule removes it), instead of removing objects; what AWS.Tools'' Remove-S3MultipartUpload does. Listed with ListMultipartUploads, -Include/-Exclude and shards apply; -WhatIf lists each upload with when it began; the summary counts the aborted uploads (ItemsTransferred). An upload a running transfer is still using fails there: use -OlderThan to spare recent ones.'
        OlderThan          = 'With -IncompleteUploads: only uploads begun more than this long ago (by the store''s clock as it lists them), for example 24h, 7d, or 3600 (seconds).'
        ManifestPath       = 'Instead of listing: the objects an S3 Inventory manifest.json (CSV or Parquet inventory; its data files are read from the inventory''s destination bucket and each one''s MD5 is checked before any of its rows is used; keys are URL-decoded; only current versions are used, and a warning counts the noncurrent versions and delete markers left out) or an S3 Batch Operations CSV manifest (Bucket,Key[,VersionId] rows; a row that gives a version removes that version with URL-encoded keys, checked whole before its first row is used) names. A local path or an s3:// URI. Each object is taken like a piped one, with the size, ETag and time the manifest gives (a changed object is then reported as changed). A damaged manifest is an error naming the file and line (InvalidManifest, ManifestChecksumMismatch).'
        Uri                  = 'Prefixes as S3 URIs, for example s3://logs/2024/. Several may be given.'
        BucketName           = 'The bucket whose -KeyPrefix prefixes are removed.'
        KeyPrefix            = 'The prefixes to remove under -BucketName. Without it the whole bucket is meant, which needs -Force. Strings piped with -BucketName bind here.'
        InputObject          = 'From the pipeline: S3 URIs (removed like -Uri), or objects with BucketName and Key properties (and VersionId and Size when they have them), for example from Get-S3Object or Import-Csv. Objects are gathered into batches of -BatchSize keys per bucket. A VersionId removes that version; without one the current object is removed (on a versioned bucket, a delete marker is added).'
        AllVersions          = 'Remove every version and delete marker under the prefixes (ListObjectVersions), not only the current objects. This cannot be undone. It applies to prefixes, not to piped objects.'
        Include              = 'Wildcard patterns matched against the key relative to the prefix and its last segment; only matching keys are removed. They apply to prefixes, not to piped objects.'
        Exclude              = 'Wildcard patterns matched like -Include; matching keys are kept.'
        Force                = 'Run without the confirmation prompt, and allow an empty prefix (the whole bucket). -WhatIf still only lists.'
        MaxConcurrency       = 'A fixed number of HTTP requests in flight (listing pages and DeleteObjects batches). Without it the concurrency is adaptive (starting at 8, growing while throughput grows, backing off on SlowDown).'
        MaxRequestsPerSecond = 'Caps the rate of S3 requests (listing and DeleteObjects alike), for buckets shared with other work.'
        BatchSize            = 'Keys per DeleteObjects request (1 to 1,000, default 1,000).'
        PageSize             = 'Keys per listing page (1 to 1,000, default 1,000). Smaller pages only make sense for tests.'
        PassThru             = 'Write one S3Turbo.RemoveResult per key (bucket, key, version, size, status) instead of the summary.'
        WhatIf               = 'List every key that would be removed and remove nothing.'
        Confirm              = 'Ask once before the run starts (the default, as the impact is High; -Confirm:$false does not ask).'
    }
    Inputs      = @{
        'System.String' = 'S3 URIs, or (with -BucketName) prefixes bound to -KeyPrefix.'
        'Objects with BucketName and Key' = 'Objects to remove (for example from Get-S3Object or an inventory), gathered into batches; VersionId and Size are used when present.'
    }
    Outputs     = @{
        'S3Turbo.TransferSummary' = 'By default: keys and bytes removed, failed, elapsed time, the concurrency used, retries and throttle events.'
        'S3Turbo.RemoveResult'    = 'With -PassThru: one per key.'
    }
    Notes       = @'
Needs s3:ListBucket (s3:ListBucketVersions with -AllVersions) and s3:DeleteObject (s3:DeleteObjectVersion with -AllVersions or piped VersionIds).
'@
    Examples    = @(
        @{ Title = 'Remove a prefix'; Code = 'Remove-S3Prefix s3://logs/2024/ -Force'; Remarks = 'Removes every object under s3://logs/2024/ without asking, 1,000 keys per request. Writes one TransferSummary.' }
        @{ Title = 'See what would go'; Code = 'Remove-S3Prefix -BucketName logs -KeyPrefix 2024/ -Include *.tmp -WhatIf'; Remarks = 'Lists every .tmp object under logs/2024/ that would be removed, and removes nothing.' }
        @{ Title = 'Empty a versioned bucket'; Code = 'Remove-S3Prefix -BucketName scratch -AllVersions -Force'; Remarks = 'Removes every version and delete marker in the bucket (the whole bucket needs -Force).' }
        @{ Title = 'Remove piped objects'; Code = "Import-Csv stale.csv | Remove-S3Prefix -Force -PassThru | Where-Object Status -eq Failed"; Remarks = 'Each row with BucketName and Key (and optionally VersionId) is removed; the results show which failed.' }
    )
}
