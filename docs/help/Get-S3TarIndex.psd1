@{
    Synopsis    = 'Indexes tar archives stored in S3 (member names, sizes, types, header and data offsets) without downloading them where it can.'
    Description = @'
Get-S3TarIndex reads the member headers of tar archives in S3 and writes one S3Turbo.TarEntry per member: Archive, Name, Size, HeaderOffset, DataOffset, Type (File, Directory, SymbolicLink, HardLink, CharacterDevice, BlockDevice, Fifo, Other), LinkName, Mode, Uid, Gid, UserName, GroupName and ModifiedTime. With DataOffset and StoredSize a member can later be fetched with one ranged GET.

Uncompressed archives are read through an S3ObjectStream: after each 512-byte header the reader jumps over the member's data, so an archive of large members costs one small ranged GET per member (for 40 members of 25 MiB, well under 1% of its bytes). When members are small, the jumps are short and the stream reads ahead instead, so an archive of small members is streamed with parallel ranged GETs rather than fetched header by header. Archives compressed with gzip, zstd, xz or bzip2 (recognised by their magic bytes, whatever their extension; concatenated gzip and bzip2 streams, as pigz and pbzip2 write, are read to the end, and an xz file as the one stream xz writes, multithreaded or not) are streamed through a decompressor; their offsets refer to the decompressed tar stream. A compressed archive is read to its end, past the tar's end marker, so that the codec's own checks (gzip's CRC-32, xz's block checks, bzip2's CRCs) run: a damaged one is InvalidTarArchive, never an index that looks whole.

Formats: POSIX ustar (with the name prefix), GNU (././@LongLink long names and link names, base-256 numbers, sparse members reported with their real size), PAX extended and global headers (path, linkpath, size, mtime, uid, gid, uname, gname; GNU.sparse.* for PAX sparse files). Names are decoded as UTF-8; a name that is not valid UTF-8 is decoded as Latin-1, byte for byte.

A damaged archive (truncated, a corrupt header checksum, not a tar at all, a zero-byte object) gives a non-terminating error for that archive whose message names the offset where reading failed (ErrorIds NotATarArchive, TruncatedTarArchive, InvalidTarArchive); the members found before the damage are still written, and the other archives go on.

Input: -BucketName with -Key, S3 URIs (also piped), objects with BucketName and Key properties from the pipeline, or -BucketName with -Prefix to index every archive under a prefix (a streamed listing, filtered by -Include, default *.tar, *.tar.gz, *.tgz, *.tar.zst, *.tzst, *.tar.xz, *.txz, *.tar.bz2, *.tbz2, *.tbz). Up to -MaxConcurrency archives are indexed at once.

As a queue-fed worker (-QueueUrl), it indexes the archives that the messages of an SQS queue name: S3 event notifications for new objects (filtered by -Include and -Exclude, so a bucket's notifications for every object may feed it), or work items from Send-S3WorkItem. Each message is deleted only once its archives' index objects are stored. The worker therefore writes to -DestinationPrefix (one index per archive, rewritten whole if a message is redelivered) or to the pipeline. It stops after -IdleTimeout seconds without work. See docs/scale-out.md.

Output: TarEntry objects by default. -OutFile writes the index to a local file; -DestinationBucket with -DestinationKey writes one index object to S3 (through an S3UploadStream); -DestinationBucket with -DestinationPrefix writes one index per archive at <prefix><archive key>.<format>, so the index tree mirrors the archives' key prefixes (Athena/Hive-style partitions). The format comes from the file extension or -Format: JSONL (one object per line: archive, filename, size and the extra fields), CSV (RFC 4180, a header row) or Parquet (Parquet.Net, row groups of 100,000). Nothing half-written is left: a local index is renamed into place at the end, an S3 index is aborted on failure, and an archive that fails gets no per-archive index. With an output, the cmdlet writes an S3Turbo.TarIndexSummary (archives, entries, bytes read versus archive bytes, requests) unless -PassThru asks for the entries instead.
'@
    Parameters  = @{
        ManifestPath       = 'Instead of listing: the objects an S3 Inventory manifest.json (CSV or Parquet inventory; its data files are read from the inventory''s destination bucket and each one''s MD5 is checked before any of its rows is used; keys are URL-decoded; only current versions are used, and a warning counts the noncurrent versions and delete markers left out) or an S3 Batch Operations CSV manifest (Bucket,Key[,VersionId] rows with URL-encoded keys, checked whole before its first row is used) names. A local path or an s3:// URI. Each object is taken like a piped one, with the size, ETag and time the manifest gives (a changed object is then reported as changed). A damaged manifest is an error naming the file and line (InvalidManifest, ManifestChecksumMismatch).'
        Uri               = 'Archives as S3 URIs, for example s3://scans/2024/batch-001.tar. Strings piped to the cmdlet bind here.'
        BucketName        = 'The bucket (with -Key or -Prefix), or from the pipeline the BucketName of listed objects.'
        Key               = 'Archive keys in -BucketName; objects with a Key property bind here from the pipeline.'
        Prefix            = 'Index every archive under this prefix of -BucketName that -Include accepts ("" for the whole bucket).'
        Include           = 'With -Prefix: wildcard patterns on the key (relative to the prefix) or its last segment (default *.tar, *.tar.gz, *.tgz, *.tar.zst, *.tzst, *.tar.xz, *.txz, *.tar.bz2, *.tbz2, *.tbz).'
        Exclude           = 'With -Prefix: wildcard patterns of keys to leave out.'
        OutFile           = 'Write the index of all archives to this local file (.jsonl, .csv or .parquet, or -Format).'
        DestinationBucket = 'The bucket for an index written to S3 (with -DestinationKey or -DestinationPrefix).'
        DestinationKey    = 'Write the index of all archives to this key of -DestinationBucket.'
        DestinationPrefix = 'Write one index per archive under this prefix of -DestinationBucket, at <prefix><archive key>.<format>.'
        Format            = 'Jsonl, Csv or Parquet. Without it the format comes from the -OutFile/-DestinationKey extension (and is Jsonl for -DestinationPrefix).'
        MaxConcurrency    = 'Archives indexed at once (default 8). Their ranged GETs share one adaptive request budget.'
        ContentType       = 'For index objects in S3: the Content-Type (default: application/x-ndjson, text/csv or application/vnd.apache.parquet, by format).'
        Metadata          = 'For index objects in S3: user metadata (x-amz-meta-*) as a hashtable.'
        Header            = 'For index objects in S3: other headers as a hashtable.'
        CacheControl      = 'For index objects in S3: the Cache-Control header.'
        ContentEncoding   = 'For index objects in S3: the Content-Encoding header.'
        StorageClass      = 'For index objects in S3: the storage class.'
        CannedAcl         = 'For index objects in S3: a canned ACL.'
        ServerSideEncryption = 'For index objects in S3: AES256, aws:kms or aws:kms:dsse.'
        KmsKeyId          = 'For index objects in S3: the KMS key with -ServerSideEncryption aws:kms.'
        Tag               = 'For index objects in S3: object tags as a hashtable.'
        PassThru          = 'With an output file or object: write the TarEntry objects to the pipeline too, instead of the summary.'
    }
    Inputs      = @{
        'System.String' = 'S3 URIs of archives.'
        'Objects with BucketName and Key' = 'Listed objects, for example from Get-S3Object.'
    }
    Outputs     = @{
        'S3Turbo.TarEntry'        = 'One per member (without an output, or with -PassThru).'
        'S3Turbo.TarIndexSummary' = 'With -OutFile, -DestinationKey or -DestinationPrefix: archives, failures, entries, bytes read versus archive bytes, requests, outputs written.'
    }
    Notes       = @'
Bytes read: run with -Verbose to see, per archive, how many bytes were fetched from S3 against the archive's size. For uncompressed archives of large members that is one 64 KiB block per member.

Sparse files: Size is the real size; StoredSize is what the member takes in the archive (for PAX sparse 1.0 members the stored data starts with the sparse map).
'@
    Examples    = @(
        @{ Title = 'List one archive'; Code = 'Get-S3TarIndex s3://scans/2024/batch-001.tar | Format-Table'; Remarks = 'One TarEntry per member; only the header blocks are fetched.' }
        @{ Title = 'Index a prefix to one JSONL file'; Code = 'Get-S3TarIndex -BucketName scans -Prefix 2024/ -OutFile ./index-2024.jsonl -MaxConcurrency 16'; Remarks = 'Every .tar, .tar.gz and .tar.zst under 2024/, 16 at a time, into one JSONL file; writes a summary of bytes read versus archive bytes.' }
        @{ Title = 'A queue-fed indexer (one of many workers)'; Code = 'Get-S3TarIndex -QueueUrl $queueUrl -DestinationBucket scans-index -DestinationPrefix tar-index/ -IdleTimeout 60'; Remarks = 'Indexes each archive that an S3 event notification (or a Send-S3WorkItem work item) names, writes its index to s3://scans-index/tar-index/<archive key>.jsonl, and deletes the message only after that object is stored. Start as many workers as you like on the same queue; each stops after an idle minute. $queueUrl is the queue''s URL, such as https://sqs.eu-west-1.amazonaws.com/123456789012/new-archives. A redelivered message rewrites the same index object, so every archive is indexed exactly once in the output.' }
        @{ Title = 'Athena-style partitioned output back to S3'; Code = 'Get-S3TarIndex -BucketName scans -Prefix 2024/ -DestinationBucket scans-index -DestinationPrefix tar-index/ -Format Parquet'; Remarks = 'Writes s3://scans-index/tar-index/2024/<month>/<archive>.tar.parquet for each archive: the index tree follows the archives'' key prefixes, so a table over tar-index/ can be partitioned by those path segments.' }
        @{ Title = 'Fetch one member with a ranged GET'; Code = "`$e = Get-S3TarIndex s3://scans/a.tar | Where-Object Name -eq 'study/42/image.dcm'`n`$s = Open-S3Object `$e.Archive`n`$s.Position = `$e.DataOffset`n`$bytes = [byte[]]::new(`$e.Size); `$s.ReadExactly(`$bytes)"; Remarks = 'DataOffset and Size locate the member inside the uncompressed archive.' }
        @{ Title = 'Archives from a listing'; Code = "Import-Csv inventory.csv | Where-Object Key -like '*.tar.zst' | Get-S3TarIndex -OutFile idx.parquet"; Remarks = 'Objects with BucketName and Key properties bind from the pipeline.' }
    )
}
