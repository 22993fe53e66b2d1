@{
    Synopsis    = 'Uploads files and directory trees to S3 concurrently: small files in parallel, large files as parallel multipart uploads read straight from disk.'
    Description = @'
Send-S3Directory uploads files given by -Path/-LiteralPath or piped from Get-ChildItem. Keys are the path relative to -BasePath (default: the directory given, or the common root of the piped files), with '/' separators, under -KeyPrefix.

Input is streamed through a bounded queue: uploads start while the tree is still being listed, and memory stays flat however many files there are. Files smaller than -MultipartThreshold are sent with one PUT each, many at once; larger files go up as multipart uploads whose parts are read from file ranges (no whole-file buffers), with parts of several files in flight together. All requests share one budget: by default adaptive (it raises concurrency while throughput grows and backs off when the store answers 503 SlowDown); -MaxConcurrency fixes it. Failed requests are retried by the AWS SDK's standard retry mode.

Modes: Update (default) skips a file when the object has the same size and the same content checksum (ETag, see Notes); Add skips a file when the key exists; Overwrite always uploads.

Safety: a file that changes size or modification time while it is read is reported (SourceChanged) and never stored as a mix of two versions: the request fails before its last byte is sent, and a multipart upload is aborted before it is completed. Any failure, Ctrl+C or -ErrorAction Stop aborts the multipart uploads the run started. Per-file failures are non-terminating errors with stable ErrorIds (SourceUnreadable, SourceChanged, PathNotFound, SymlinkLoop, KeyTooLong, AccessDenied, ...). Failures every other file would share (BucketNotFound, InvalidCredentials, EndpointUnreachable, ChecksumNotSupportedByStore) stop the run with one terminating error.

By default one S3Turbo.TransferSummary is written at the end; -PassThru writes one S3Turbo.UploadResult per file instead. Progress is shown with Write-Progress (at most four times a second) and written as typed S3Turbo.TransferProgress records to the information stream with the tag S3Turbo.Progress, for runbooks without a progress bar.
'@
    Parameters  = @{
        Path               = 'Files or directories to upload. Wildcards are expanded. A directory uploads its files (and, with -Recurse, its whole tree) keyed relative to the directory itself unless -BasePath is given. Strings can be piped.'
        LiteralPath        = 'Like -Path, without wildcard expansion. Objects with a PSPath property bind to it from the pipeline.'
        InputObject        = 'FileInfo or DirectoryInfo objects, usually piped from Get-ChildItem. Piped directories are expanded only with -Recurse (Get-ChildItem -Recurse already pipes their files). Until -BasePath is known, up to 10,000 piped items are held to find their common root; pass -BasePath for longer pipelines whose first items are not spread over the whole tree.'
        BucketName         = 'The destination bucket. Its name is checked against S3''s naming rules before any request.'
        KeyPrefix          = 'Prepended to every key. "data" and "data/" both mean the folder data/.'
        BasePath           = 'The directory that keys are relative to. A file outside it is reported as OutsideBasePath.'
        Recurse            = 'Upload the whole tree under each directory, not only its top-level files.'
        FollowSymlink      = 'Follow symbolic links to directories (loops are detected and reported as SymlinkLoop). Without it such links are skipped with a warning. Symbolic links to files are always followed.'
        Include            = 'Wildcard patterns; only files whose name or relative path matches one are uploaded.'
        Exclude            = 'Wildcard patterns; files whose name or relative path matches one are not uploaded.'
        Mode               = 'Update (default): skip when size and content checksum match. Add: skip when the key exists. Overwrite: always upload.'
        Compare            = 'How Update tells an unchanged file. Checksum (default): size and content (the ETag recomputed from the file, see Notes); reads each file whose size matches, and makes no request beyond the listings except a HEAD for a same-size multipart object. ModifiedTime: size and the modification time S3Turbo (or rclone) recorded in x-amz-meta-mtime; reads nothing, but an object of the same size costs one HEAD; objects without that metadata are compared by checksum. Size: size only (like aws s3 sync --size-only): no read and no request beyond the listings, but a change that keeps the size is missed.'
        Gzip               = 'Compress files of text-like content types (text/*, JSON, JavaScript, XML, SVG, RSS/Atom; see -GzipContentType) with gzip on the way and store them with Content-Encoding: gzip, as s3-parallel-put --gzip does. Other files go as they are. The object also records the source''s size and MD5 (x-amz-meta-s3turbo-source-size, -source-md5), so Update compares against the original file: a re-run skips unchanged files. Files below -MultipartThreshold are compressed in memory and sent with one PUT; larger ones stream through a multipart upload (at most five parts held each). Cannot be combined with -ContentEncoding.'
        GzipContentType    = 'The content types (wildcards, e.g. ''text/*'' or ''*'' for everything) that -Gzip compresses, instead of the default list; the type is the one guessed from the extension, or -ContentType. Giving it implies -Gzip.'
        Tar                = 'Treat each file given or piped as a tar archive (.tar, .tar.gz/.tgz, .tar.zst; detected from its first bytes) and upload its members as objects keyed -KeyPrefix plus the member path (without a leading ./ or /), as s3-parallel-put --tar does. Members of an uncompressed archive are read in place from their offsets, in parallel like files; a compressed archive is decompressed once, front to back: members below -MultipartThreshold are held whole (at most 64 MiB for the archive) and larger ones stream into a multipart upload. Directories make no object; links, devices and FIFOs are skipped with a warning; sparse members fail. A damaged archive gives one error naming the offset (InvalidTarArchive, TruncatedTarArchive); the members before it are uploaded whole and no member is ever stored from a partial read. -Include/-Exclude match member names and paths; x-amz-meta-mtime is the member''s time.'
        MultipartThreshold = 'Files of at least this many bytes are uploaded as multipart uploads (default 16 MiB, at least 5 MiB).'
        PartSize           = 'The multipart part size in bytes (5 MiB to 5 GiB). By default it is chosen per file: a sixteenth of the file, between 8 and 32 MiB (parts are read straight from the file, so larger parts cost no memory). It grows automatically (to whole MiB) when a file would need more than 10,000 parts.'
        Delete             = 'Mirror: after a run in which nothing failed, remove the objects under -KeyPrefix that no source file stands for (the files given or piped, or the tree walked; files skipped as unchanged count as sources). Objects that -Include/-Exclude reject are kept, as are objects under a skipped symbolic link to a directory. A run with any failed file or rejected input deletes nothing, and so does a run that found no file at all. Removal uses DeleteObjects batches of 1,000 keys on the run''s own request budget. Piped input is the source as given: Get-ChildItem -Filter *.csv | Send-S3Directory -Delete removes every other object under the prefix; use -WhatIf first.'
        MaxDelete          = 'With -Delete: when more than this many objects would be removed, remove none and report MaxDeleteExceeded. The candidates are held (at most MaxDelete + 1 keys) until the listing ends, so nothing is deleted before the count is known.'
        MaxConcurrency     = 'A fixed number of HTTP requests in flight. Without it the concurrency is adaptive (starting at 16, doubling while throughput keeps growing, up to 128) and the summary reports where it settled.'
        ContentType        = 'The Content-Type for every file. Without it the type is guessed from the file extension.'
        Metadata           = 'User metadata (x-amz-meta-*) as a hashtable, for example @{ owner = ''etl'' }.'
        Header             = 'Extra HTTP headers for each object as a hashtable, for example @{ ''Content-Disposition'' = ''attachment'' }.'
        CacheControl       = 'The Cache-Control header for every object.'
        ContentEncoding    = 'The Content-Encoding header for every object (the bytes are sent as they are).'
        StorageClass       = 'The S3 storage class, for example STANDARD_IA.'
        CannedAcl          = 'A canned ACL for every object, for example bucket-owner-full-control.'
        ServerSideEncryption = 'Server-side encryption: AES256 (SSE-S3), aws:kms (SSE-KMS) or aws:kms:dsse.'
        KmsKeyId           = 'The KMS key for aws:kms encryption.'
        Tag                = 'Object tags as a hashtable, for example @{ project = ''alpha'' }.'
        PassThru           = 'Write one S3Turbo.UploadResult per file (Path, Key, Size, ETag, Checksum, Status, Duration) instead of the summary.'
        WhatIf             = 'List what would be uploaded (after the Add/Update checks, which only read) and upload nothing.'
        Confirm            = 'Ask once before the run starts.'
    }
    Inputs      = @{
        'System.IO.FileInfo'      = 'Files to upload (from Get-ChildItem -File).'
        'System.IO.DirectoryInfo' = 'Directories; expanded with -Recurse.'
        'System.String'           = 'Paths, bound to -Path.'
    }
    Outputs     = @{
        'S3Turbo.TransferSummary' = 'By default: items and bytes sent, skipped, failed, elapsed time, throughput, the concurrency used, retries and throttle events.'
        'S3Turbo.UploadResult'    = 'With -PassThru: one per file.'
    }
    Notes       = @'
Every object records the file's modification time in x-amz-meta-mtime (Unix seconds with a fraction, rclone's form), unless -Metadata sets mtime itself; Receive-S3Prefix and rclone restore it.

How Update compares content (-Compare Checksum): the object must have the file's size, and its ETag must equal the ETag the file would get. A single-part ETag is the MD5 of the content; a multipart ETag is the MD5 of the parts' MD5s followed by "-<parts>". S3Turbo records the part size it used in the object's metadata (x-amz-meta-s3turbo-part-size) so it can recompute the ETag exactly; for objects uploaded by other tools it tries the part sizes they use (8, 5, 16, 64, 15 and 100 MiB). ETags of SSE-KMS and SSE-C objects are not MD5s: such files are sent again rather than skipped on a guess. What comparing costs: one ListObjectsV2 request per 1,000 keys of each destination folder (a delimiter listing, held for the 16 folders most recently worked on, each of at most 10,000 keys: about 30 MB at most), plus one HEAD for an object of the file's size whose ETag is multipart (to read its recorded part size), and one local read of each file whose size matches. A folder of more than 10,000 keys, or one the credentials may not list, is compared with one HEAD per file instead. With -Gzip a single-part object is compared by compressing the file again and comparing the result's size and MD5 with the listing (the same bytes compress to the same object with the same .NET runtime; after a runtime upgrade files may be sent once more); a multipart gzip object by a HEAD and the recorded source MD5. Large members of compressed tar archives can be read only once, so Update does not compare them by checksum: they are sent again unless -Compare Size or ModifiedTime finds them unchanged.

A multipart upload that cannot be aborted (the store unreachable at that moment) is the one thing a client cannot clean up by itself: give buckets a lifecycle rule that aborts incomplete multipart uploads after a day.
'@
    Examples    = @(
        @{ Title = 'Upload a tree from the pipeline'; Code = 'Get-ChildItem ./data -Recurse -File | Send-S3Directory -BucketName my-bucket -KeyPrefix data/'; Remarks = 'Uploads every file under ./data to s3://my-bucket/data/..., skipping files whose object already has the same content. Writes one TransferSummary at the end.' }
        @{ Title = 'Upload a directory by path'; Code = 'Send-S3Directory -Path ./data -Recurse -BucketName my-bucket -KeyPrefix backup/2026-11-25/ -Mode Overwrite'; Remarks = 'Uploads the whole tree under ./data, replacing existing objects.' }
        @{ Title = 'See what would be sent'; Code = 'Send-S3Directory ./site -Recurse -BucketName web -WhatIf'; Remarks = 'Lists each file that Update mode would upload, and uploads nothing.' }
        @{ Title = 'An S3-compatible store'; Code = "Send-S3Directory ./logs -Recurse -BucketName logs -EndpointUrl http://127.0.0.1:7480 -AccessKey `$ak -SecretKey `$sk -RequestChecksumCalculation WhenRequired"; Remarks = 'Uses path-style addressing against a Ceph or MinIO endpoint; WhenRequired suits stores that reject the SDK''s trailing checksums.' }
        @{ Title = 'Per-file results in a runbook'; Code = "`$results = Get-ChildItem ./out -File | Send-S3Directory -BucketName b -PassThru -ErrorAction Continue`n`$results | Where-Object Status -eq Failed"; Remarks = 'With -PassThru each file gives an UploadResult; failures also appear as errors with stable ErrorIds.' }
        @{ Title = 'Mirror a directory (sync with deletion)'; Code = "Send-S3Directory ./site -Recurse -BucketName web -KeyPrefix www/ -Delete -MaxDelete 100 -WhatIf`nSend-S3Directory ./site -Recurse -BucketName web -KeyPrefix www/ -Delete -MaxDelete 100"; Remarks = 'The first run lists what would be uploaded and which objects under www/ would be removed; the second does it, removing nothing if any upload failed or if more than 100 objects would go.' }
        @{ Title = 'Compress text files on the way'; Code = 'Send-S3Directory ./site -Recurse -BucketName web -Gzip -CacheControl ''max-age=300'''; Remarks = 'HTML, CSS, JavaScript, JSON and SVG are stored gzip-compressed with Content-Encoding: gzip, so browsers and CDNs serve them compressed; images go as they are. A re-run skips the files that did not change.' }
        @{ Title = 'Upload the members of tar archives'; Code = 'Get-ChildItem ./shards -Filter *.tar.zst | Send-S3Directory -BucketName data -KeyPrefix samples/ -Tar'; Remarks = 'Each member of each archive becomes an object under samples/, keyed by its member path; the archives are decompressed once, with bounded memory.' }
        @{ Title = 'Large files with a fixed concurrency and encryption'; Code = 'Send-S3Directory ./images -Recurse -BucketName archive -PartSize 64MB -MaxConcurrency 32 -ServerSideEncryption aws:kms -KmsKeyId alias/archive -Tag @{ tier = ''cold'' }'; Remarks = 'Multi-GB files go up as 64 MiB parts, 32 requests at a time, encrypted with a KMS key and tagged.' }
    )
}
