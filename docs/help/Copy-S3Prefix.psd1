@{
    Synopsis    = 'Copies every object under an S3 prefix to another bucket or prefix, server-side, concurrently, at any object size.'
    Description = @'
Copy-S3Prefix lists the source prefix with ListObjectsV2, page by page, and copies each object on the server (no bytes pass through this machine). The listing streams into a bounded queue: copying starts with the first page and the next page is fetched while the current one is copied, so memory stays flat however many objects the prefix holds.

As a queue-fed worker (-QueueUrl), it copies the objects that the messages of an SQS queue name: S3 event notifications, or work items from Send-S3WorkItem (one object, or a prefix that it lists). Keys are mapped under the destination relative to -SourcePrefix, as for piped objects. A message is deleted once its objects are copied, and handed back for another try when a copy failed. With the default Update mode, a redelivered message copies nothing twice. -Delete cannot be combined with -QueueUrl. See docs/scale-out.md.

Objects up to -MultipartCopyThreshold (default 5 GiB, S3's single-copy limit) are copied with one CopyObject each; larger ones with a multipart upload whose ranged UploadPartCopy parts run in parallel. Every copy is pinned to the ETag that was listed (If-Match), so an object overwritten during the run fails with SourceChanged instead of being copied unseen.

Proof: each copy keeps its source's checksum: CopyObject carries it over, and a multipart copy is declared FULL_OBJECT with the source's CRC algorithm (or -ChecksumAlgorithm's when the source has none), so the store computes the copy's own. CopyResult.Verification says how the copy was proven: "ETag" when the copy has its source's ETag (a whole copy, or parts that follow the source's); else the checksums of source and copy compared ("CRC64NVME", one HEAD each), and a copy that differs is deleted and reported as ChecksumMismatch; "unverified: ..." with the reason when neither is possible (a source without a whole-object checksum whose part layout cannot be followed).

The destination key is -DestinationPrefix plus the source key minus -SourcePrefix. Prefixes are folders: "raw/2024" and "raw/2024/" both mean raw/2024/. A copy onto the same prefix, or into or out of its own subtree in the same bucket, is refused (CopyOntoItself, DestinationInsideSource) before anything is copied.

What is kept: with -MetadataDirective Copy (default) user metadata, Content-Type, Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires, the storage class and (unless -CopyTags $false or -Tag) the tags, on both the single and the multipart path; the multipart path reads them with a HEAD and GetObjectTagging and sets them on the new upload, with the source's SSE-S3/SSE-KMS settings. -MetadataDirective Replace takes -ContentType (else guessed from the key's extension), -Metadata, -Header, -CacheControl and -ContentEncoding instead. -StorageClass, -CannedAcl, -ServerSideEncryption, -KmsKeyId and -Tag apply with either directive. On the single-copy path S3 applies the destination bucket's default encryption unless -ServerSideEncryption is given.

Modes: Update (default) skips an object whose destination has the same size and content, proven by equal ETags, else by equal checksums (one HEAD of each: for ETags that are no MD5s, and copies whose parts differ from their source's); Add skips one whose destination key exists; Overwrite always copies. For Add and Update the destination prefix is listed alongside the source (one LIST per 1,000 keys, not one HEAD per object). Multipart copies mirror the source's part layout when the store reports it (HEAD with partNumber=1), so copies of multipart objects get the source's ETag and Update recognises them.

Concurrency is adaptive by default (it grows while throughput grows and backs off on 503 SlowDown); -MaxConcurrency fixes it and -MaxRequestsPerSecond caps the request rate for buckets shared with other work. Ctrl+C or -ErrorAction Stop aborts every multipart copy the run started.
'@
    Parameters  = @{
        ManifestPath       = 'Instead of listing: the objects an S3 Inventory manifest.json (CSV or Parquet inventory; its data files are read from the inventory''s destination bucket and each one''s MD5 is checked before any of its rows is used; keys are URL-decoded; only current versions are used, and a warning counts the noncurrent versions and delete markers left out) or an S3 Batch Operations CSV manifest (Bucket,Key[,VersionId] rows with URL-encoded keys, checked whole before its first row is used) names. A local path or an s3:// URI. Each object is taken like a piped one, with the size, ETag and time the manifest gives (a changed object is then reported as changed). A damaged manifest is an error naming the file and line (InvalidManifest, ManifestChecksumMismatch).'
        Source                 = 'Source prefixes as S3 URIs, for example s3://raw-data/2024/. Several may be given or piped; each is copied under the destination.'
        Destination            = 'The destination as an S3 URI, for example s3://archive/2024/. Alternatively use -DestinationBucket and -DestinationPrefix.'
        SourceBucket           = 'The source bucket (with -SourcePrefix), or, from the pipeline, the BucketName of listed objects.'
        SourcePrefix           = 'The source prefix (default: the whole bucket). Strings piped with -SourceBucket bind here. With piped objects, their keys are made relative to it.'
        Key                    = 'From the pipeline: the key of one object to copy (objects with BucketName and Key properties, for example from a listing).'
        Size                   = 'From the pipeline: the listed object''s size. Without it the object is looked up with a HEAD.'
        ETag                   = 'From the pipeline: the listed object''s ETag, to which the copy is pinned. Without it the object is looked up with a HEAD.'
        DestinationBucket      = 'The destination bucket (instead of -Destination).'
        DestinationPrefix      = 'The destination prefix (with -DestinationBucket). Default: the bucket root.'
        Include                = 'Wildcard patterns matched against the key relative to the source prefix and its last segment; only matching objects are copied.'
        Exclude                = 'Wildcard patterns matched like -Include; matching objects are not copied.'
        Mode                   = 'Update (default): skip when the destination has the same size and its ETag or its checksum proves the same content. Add: skip when the destination key exists. Overwrite: always copy.'
        MetadataDirective      = 'Copy (default) keeps the source''s metadata and system headers; Replace sets them from -ContentType, -Metadata, -Header, -CacheControl and -ContentEncoding.'
        CopyTags               = 'Keep the source''s tags (default $true, as S3''s CopyObject does). -CopyTags $false writes the copies without tags; -Tag replaces them.'
        MultipartCopyThreshold = 'Objects larger than this are copied as multipart UploadPartCopy (default and maximum 5 GiB, minimum 5 MiB).'
        PartSize               = 'The part size for multipart copies when the source''s own part layout cannot be mirrored (default 128 MiB; grown to stay within 10,000 parts).'
        MaxConcurrency         = 'A fixed number of HTTP requests in flight. Without it the concurrency is adaptive (starting at 64, doubling while throughput keeps growing, up to 128).'
        MaxRequestsPerSecond   = 'Caps the rate of S3 requests (listing, HEAD and copy requests alike; SDK retries of one request count once), for buckets shared with other work.'
        Delete                 = 'Mirror: after a run in which nothing failed, remove the objects under the destination prefix that no copied (or skipped as up-to-date) source object stands for. Objects that -Include/-Exclude reject are kept. A run with any failed object or rejected input deletes nothing, and so does a run that found no source object at all (an empty or mistyped source, or a manifest that names none, never empties the destination). Removal uses DeleteObjects batches of 1,000 keys on the run''s own request budget.'
        MaxDelete              = 'With -Delete: when more than this many objects would be removed, remove none and report MaxDeleteExceeded. The candidates are held (at most MaxDelete + 1 keys) until the listing ends, so nothing is deleted before the count is known.'
        PageSize               = 'Keys per ListObjectsV2 page (1 to 1,000, default 1,000). Smaller pages only make sense for tests.'
        ContentType            = 'With -MetadataDirective Replace: the Content-Type of every copy (default: guessed from the key''s extension).'
        Metadata               = 'With -MetadataDirective Replace: user metadata (x-amz-meta-*) as a hashtable.'
        Header                 = 'With -MetadataDirective Replace: extra HTTP headers as a hashtable.'
        CacheControl           = 'With -MetadataDirective Replace: the Cache-Control header.'
        ContentEncoding        = 'With -MetadataDirective Replace: the Content-Encoding header.'
        StorageClass           = 'The storage class of the copies (default: each source object''s own class).'
        CannedAcl              = 'A canned ACL for every copy, for example bucket-owner-full-control for a bucket in another account.'
        ServerSideEncryption   = 'Server-side encryption of the copies: AES256, aws:kms or aws:kms:dsse.'
        KmsKeyId               = 'The KMS key for aws:kms encryption of the copies.'
        Tag                    = 'Tags for every copy, as a hashtable; they replace the source''s tags.'
        PassThru               = 'Write one S3Turbo.CopyResult per object (source, destination, size, ETag, status, parts, Verification, duration) instead of the summary.'
        WhatIf                 = 'List the copies that would be made (after the Add/Update checks, which only read) and copy nothing.'
        Confirm                = 'Ask once before the run starts.'
    }
    Inputs      = @{
        'System.String' = 'S3 URIs bound to -Source, or (with -SourceBucket) prefixes bound to -SourcePrefix.'
        'Objects with BucketName and Key' = 'Listed objects (for example from Get-S3Object or a CSV inventory), each copied on its own.'
    }
    Outputs     = @{
        'S3Turbo.TransferSummary' = 'By default: objects and bytes copied, skipped, failed, elapsed time, throughput, the concurrency used, retries and throttle events.'
        'S3Turbo.CopyResult'      = 'With -PassThru: one per object.'
    }
    Notes       = @'
A multipart copy that cannot be aborted (the store unreachable at that moment) is the one thing a client cannot clean up by itself: give buckets a lifecycle rule that aborts incomplete multipart uploads after a day.

Cross-region copies work when one client can reach both buckets (AWS routes CopyObject to the destination's region and reads the source server-side); list the source with -Region set to the destination's region only if S3 allows it for your buckets.
'@
    Examples    = @(
        @{ Title = 'A queue-fed copy worker'; Code = 'Copy-S3Prefix -QueueUrl $queueUrl -Destination s3://replica/ -IdleTimeout 60'; Remarks = 'Copies every object the queue''s messages name (S3 event notifications, or work items from Send-S3WorkItem s3://source/data/ -QueueUrl $queueUrl), with the default Update mode, so a redelivered message copies nothing twice. A message is deleted once its objects are copied; the worker stops after a minute without messages.' }
        @{ Title = 'Copy a prefix to another bucket'; Code = 'Copy-S3Prefix -SourceBucket raw -SourcePrefix 2024/ -DestinationBucket archive -DestinationPrefix raw/2024/'; Remarks = 'Copies every object under s3://raw/2024/ to s3://archive/raw/2024/, skipping objects already copied with the same content. Writes one TransferSummary.' }
        @{ Title = 'The same with S3 URIs'; Code = 'Copy-S3Prefix s3://raw/2024/ s3://archive/raw/2024/'; Remarks = 'Source and destination as URIs.' }
        @{ Title = 'Several prefixes from the pipeline'; Code = "'2024/01/', '2024/02/' | Copy-S3Prefix -SourceBucket raw -DestinationBucket archive -DestinationPrefix monthly/"; Remarks = 'Each piped prefix is copied under the destination prefix.' }
        @{ Title = 'A gentle copy on a shared bucket'; Code = 'Copy-S3Prefix s3://prod/logs/ s3://backup/logs/ -MaxRequestsPerSecond 200 -MaxBytesPerSecond 50MB -Include *.gz'; Remarks = 'Copies only .gz objects, at most 200 requests and 50 MiB a second. Add -StorageClass STANDARD_IA on AWS to store them in that class (a store without it, such as a default Ceph, refuses it: SettingRefused).' }
        @{ Title = 'See what would be copied'; Code = 'Copy-S3Prefix s3://raw/2024/ s3://archive/2024/ -WhatIf'; Remarks = 'Lists each copy that Update mode would make, and copies nothing.' }
        @{ Title = 'Mirror a prefix (sync with deletion)'; Code = 'Copy-S3Prefix s3://raw/site/ s3://web/site/ -Delete -MaxDelete 500'; Remarks = 'Copies what changed, then removes the objects under s3://web/site/ that are no longer under s3://raw/site/; nothing is removed if a copy failed or if more than 500 objects would go.' }
        @{ Title = 'Per-object results'; Code = "`$r = Copy-S3Prefix s3://src-bucket/p/ s3://dst-bucket/p/ -PassThru -ErrorAction Continue`n`$r | Where-Object Status -eq Failed"; Remarks = 'With -PassThru each object gives a CopyResult; failures also appear as errors with stable ErrorIds (SourceChanged, SourceNotFound, AccessDenied, ...).' }
    )
}
