@{
    Synopsis    = 'Downloads every object under an S3 prefix (or piped objects) into a local directory: many small objects at once, large ones as parallel ranged GETs, each verified and renamed into place.'
    Description = @'
Receive-S3Prefix lists the prefix with ListObjectsV2, page by page, and downloads what it lists while the listing goes on; memory stays flat however many objects the prefix holds. Each key, relative to the prefix, becomes a path under -Destination with '/' as the separator ("logs/2024" and "logs/2024/" both mean the folder logs/2024/). Objects piped in (anything with BucketName and Key, and optionally Size, ETag and LastModified, for example Get-S3Object output or an inventory) are downloaded one by one, their keys relative to -KeyPrefix when they start with it.

Objects smaller than -MultipartThreshold come down with one GET each, many at once. Larger objects come down as parallel ranged GETs written in place into a preallocated temporary file next to the target (.s3turbo-<id>.partial); the ranges follow the object's own parts when their size is known (S3Turbo records it when it uploads; S3 tells it for part 1), else they are -PartSize long. Every GET is pinned to the listed ETag, so an object overwritten during the download is reported (SourceChanged) instead of mixing two versions. All requests share one budget: adaptive by default, fixed with -MaxConcurrency, capped with -MaxRequestsPerSecond. No object is buffered whole: each request in flight holds one 256 KiB buffer.

Verification: before the temporary file is renamed into place, its bytes are checked by the strongest proof the store offers, and DownloadResult.Verification names it:
- "CRC64NVME" (or CRC32C, CRC32, SHA256): the object's whole checksum (FULL_OBJECT), which the store sends with a whole GET (checked as the body is read) or a HEAD gives before ranged GETs (each range's CRC computed as it is written, the CRCs combined: no second pass). About 0.1 CPU s/GiB.
- "CRC32C of parts" (etc.): a COMPOSITE checksum, each part's checksum against its range, the ranges following the parts GetObjectAttributes lists.
- "MD5" or "MD5 of parts": the ETag, for a store that keeps no checksum: the MD5 of the content, or of the part MD5s with the part sizes the object records, its part 1 tells (HEAD partNumber=1) or GetObjectAttributes lists, so uneven parts are proven too. About 1.4 CPU s/GiB.
- "size only: ..." with the reason: an SSE-KMS or SSE-C object (its ETag is no MD5) or a multipart object whose part sizes cannot be learned, on a store that keeps no checksum.
A mismatch is ChecksumMismatch and nothing is written. A store whose checksum disagrees with its own MD5 ETag while the bytes match the ETag (moto's multipart checksums) is reported in Verification, and the ETag's proof stands. The file gets the object's modification time: x-amz-meta-mtime when the object carries one (rclone's convention), else its LastModified.

Modes: Update (default) skips an object when the local file has its size and its content is proven the same, cheapest proof first: the listed ETag as the file's MD5 (no request); else the store's checksum (one HEAD) against the file's; else the MD5 of parts with known part sizes. Times are not trusted as proof: a change within the same second keeps the listed time. A same-size file whose content cannot be proven equal is downloaded again. Add skips it when the file exists; Overwrite always downloads.

Safety: the final path never holds a partial or unverified file, and a failure or Ctrl+C removes the temporary file before the cmdlet returns (with -Resumable, Ctrl+C keeps a large object's temporary file and journal for the next run). A run killed outright or stopped by -TimeLimit leaves a large object's temporary file (.s3turbo-<hash>.partial, named after the target) and its journal of the ranges written, each with its CRC-64/NVME; the next run keeps the ranges whose bytes still give their CRC when the object is unchanged (same ETag and size), fetches the rest, and says "resumed: ..." in DownloadResult.Reason; a changed object starts over. A run that finishes removes such leftovers of dead runs in the directories it worked in. Keys that would be written outside -Destination ('..' or '.' segments, a leading '/', a drive letter, a '\' on Windows) are refused (KeyEscapesDestination), and so are keys this platform cannot hold as names (InvalidLocalName: empty segments, names over 255 bytes, on Windows reserved device names and characters). A key that is both a file and a folder (a and a/b) gives LocalPathConflict for one of them. A full disk stops the run with one DiskFull error. A key that would pass through a symbolic link already in the destination (dl/link -> /elsewhere, key p/link/x) is refused (PathThroughLink, naming the link): every directory between -Destination and a file is checked before it is made and again before the rename, so nothing is written, renamed or deleted through a link. Each of these is a non-terminating error with the key as TargetObject; keys ending in '/' (folder markers) make a directory, and one that holds bytes is reported (FolderKeyHasData, with an Open-S3Object line to fetch it under a name you choose), never skipped.

By default one S3Turbo.TransferSummary is written at the end; -PassThru writes one S3Turbo.DownloadResult per object instead.
'@
    Parameters  = @{
        ManifestPath       = 'Instead of listing: the objects an S3 Inventory manifest.json (CSV or Parquet inventory; its data files are read from the inventory''s destination bucket and each one''s MD5 is checked before any of its rows is used; keys are URL-decoded; only current versions are used, and a warning counts the noncurrent versions and delete markers left out) or an S3 Batch Operations CSV manifest (Bucket,Key[,VersionId] rows with URL-encoded keys, checked whole before its first row is used) names. A local path or an s3:// URI. Each object is taken like a piped one, with the size, ETag and time the manifest gives (a changed object is then reported as changed). A damaged manifest is an error naming the file and line (InvalidManifest, ManifestChecksumMismatch).'
        Uri                  = 'S3 URIs of prefixes to download (s3://bucket/prefix/).'
        BucketName           = 'The bucket to download from, with -KeyPrefix.'
        KeyPrefix            = 'With -BucketName, the prefix to list and download (empty: the whole bucket). With piped objects, the prefix cut off their keys when they start with it.'
        InputObject          = 'Piped S3 URIs, or objects with BucketName and Key (Size, ETag and LastModified are used when present), for example from Get-S3Object or an inventory.'
        Destination          = 'The local directory to write into (made when missing). Every file lands under it; keys that would leave it are refused.'
        Include              = 'Wildcard patterns; only objects whose name or key relative to the prefix matches one are downloaded.'
        Exclude              = 'Wildcard patterns; objects whose name or relative key matches one are not downloaded.'
        Mode                 = 'Update (default): skip when the file has the object''s size and content (proven by its ETag or its checksum). Add: skip when the file exists. Overwrite: always download.'
        MultipartThreshold   = 'Objects of at least this many bytes are fetched as parallel ranged GETs (default 16 MiB, at least 5 MiB).'
        PartSize             = 'The range size for large objects whose own part size is unknown (default 8 MiB; 5 MiB to 5 GiB; grown to stay within 10,000 ranges).'
        MaxConcurrency       = 'A fixed number of HTTP requests in flight. Without it the concurrency is adaptive (starting at 16, up to 128).'
        MaxRequestsPerSecond = 'A cap on requests started per second, for shared buckets.'
        PageSize             = 'Keys per ListObjectsV2 page (1 to 1,000, default 1,000). Smaller pages only make sense for tests.'
        Delete               = 'Mirror: after a run in which nothing failed, remove the files under -Destination that no downloaded (or skipped as up to date) object stands for. Files that -Include/-Exclude reject are kept, and so are entries that cannot be read, links to directories and special files; empty directories are left. A run with any failed object or rejected input deletes nothing, and so does a run that found no object at all. File names are compared without case on Windows and macOS.'
        MaxDelete            = 'With -Delete: when more than this many files would be removed, remove none and report MaxDeleteExceeded (the candidates are held, at most MaxDelete + 1 paths, until the walk ends).'
        PassThru             = 'Write one S3Turbo.DownloadResult per object (Key, Path, Size, ETag, Verification, Status, Duration) instead of the summary.'
        WhatIf               = 'List what would be downloaded (after the Add/Update checks, which only read) and write nothing.'
        Confirm              = 'Ask once before the run starts.'
    }
    Inputs      = @{
        'System.String' = 'S3 URIs of prefixes.'
        'Objects with BucketName and Key' = 'Objects to download (for example from Get-S3Object or an inventory).'
    }
    Outputs     = @{
        'S3Turbo.TransferSummary' = 'By default: objects and bytes downloaded, skipped, failed, elapsed time, throughput, the concurrency used, retries and throttle events.'
        'S3Turbo.DownloadResult'  = 'With -PassThru: one per object.'
    }
    Notes       = @'
Receive-S3Prefix and Send-S3Directory round-trip: a tree uploaded with Send-S3Directory comes back byte-exact, and a second Receive-S3Prefix in Update mode downloads nothing.

Update reads every local file that has its object's size, to prove it equal (about 1.4 CPU s per GiB for the MD5); files of another size are downloaded without being read.
'@
    Examples    = @(
        @{ Title = 'Download a prefix'; Code = 'Receive-S3Prefix s3://my-bucket/data/ ./data'; Remarks = 'Downloads every object under data/ into ./data, skipping files that already hold the object''s content. Writes one TransferSummary.' }
        @{ Title = 'By bucket and prefix, only some files'; Code = 'Receive-S3Prefix -BucketName logs -KeyPrefix 2026/12/ -Destination ./logs -Include *.gz'; Remarks = 'Downloads only the .gz objects.' }
        @{ Title = 'See what would be downloaded'; Code = 'Receive-S3Prefix s3://web/site/ ./site -WhatIf'; Remarks = 'Lists each object Update mode would download, and writes nothing.' }
        @{ Title = 'Piped objects'; Code = "Import-Csv ./objects.csv | Where-Object { [long]`$_.Size -gt 1MB } | Receive-S3Prefix -KeyPrefix 2026/ -Destination ./big"; Remarks = 'Downloads the objects piped in (anything with BucketName and Key: rows of a CSV, an inventory, or AWS.Tools'' Get-S3Object output), their keys relative to 2026/.' }
        @{ Title = 'Mirror a prefix into a directory'; Code = 'Receive-S3Prefix s3://web/site/ ./site -Delete -MaxDelete 50'; Remarks = 'Downloads what changed, then removes the local files whose object is gone; nothing is removed if a download failed or if more than 50 files would go.' }
        @{ Title = 'Per-object results in a runbook'; Code = "`$r = Receive-S3Prefix s3://my-bucket/p/ ./p -PassThru -ErrorAction Continue`n`$r | Where-Object Status -eq Failed"; Remarks = 'Each object gives a DownloadResult; failures also appear as errors with stable ErrorIds (KeyEscapesDestination, PathThroughLink, FolderKeyHasData, LocalPathConflict, SourceChanged, ChecksumMismatch, DiskFull, ...).' }
    )
}
