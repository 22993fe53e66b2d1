@{
    Synopsis    = 'Opens a read-only, seekable stream over an S3 object that downloads only the ranges you read, with read-ahead and a memory cap.'
    Description = @'
Open-S3Object returns an S3Turbo.S3ObjectStream: a System.IO.Stream that is readable and seekable (Length, Position, Seek, Read, ReadAsync) and not writable. Opening costs one HEAD, for the size and the ETag. Every fetch afterwards is a ranged GET pinned to that ETag (If-Match), so if the object is overwritten or deleted while the stream is open, the next fetch fails with a clear S3ObjectChangedException instead of mixing two versions.

Reads are served from a cache of fixed-size blocks (-BlockSize, default 1 MiB): a read whose blocks are cached makes no request, and a small random read fetches just its block (one request). The cache holds at most -MaxMemory bytes (default 64 MiB) of cached and in-flight blocks and evicts the least recently used ones; read-ahead never pushes it over the cap.

Sequential reading is detected: while each read starts where the last one ended, blocks ahead of the reader are fetched in the background, with a window that doubles up to -MaxReadAhead (default 64 MiB, within -MaxMemory) and resets on a random seek; at most -MaxConcurrentFetches (default 8) ranged GETs of up to 8 blocks run for read-ahead at once. Read-ahead tops its window up in large ranged GETs once half of it has been read, each block is handed to the reader as soon as its bytes arrive, and a reader that jumps by the same distance again and again (records of one size) has its next jumps' blocks fetched in parallel.

A fetch whose connection breaks mid-body is retried (the AWS SDK retries failed requests itself); a range that still fails makes that Read throw an IOException naming the bucket, key and byte range, and the stream stays usable for other ranges. The Stats property tells what reading has cost: requests, bytes requested, block hits and misses, bytes read, and the cache's current and peak size.

The stream works with any .NET API that reads a Stream, for example [System.IO.BinaryReader], [System.IO.StreamReader] or [System.IO.Compression.ZipArchive], which reads a zip's central directory from the end of the object without downloading the entries.
'@
    Parameters  = @{
        Uri                  = 'The object as an S3 URI, for example s3://bucket/path/file.bin.'
        BucketName           = 'The bucket (with -Key), or from the pipeline the BucketName of listed objects.'
        Key                  = 'The object key (with -BucketName).'
        VersionId            = 'A specific version of the object to read.'
        BlockSize            = 'The cache''s block size in bytes (default 1 MiB; 4 KiB to 64 MiB). Small random reads fetch one block.'
        MaxMemory            = 'The most bytes of cached and in-flight blocks (default 64 MiB; at least two blocks).'
        MaxReadAhead         = 'How far ahead of a sequential reader to prefetch, at most (default 64 MiB, and never beyond -MaxMemory; 0 turns read-ahead off).'
        MaxConcurrentFetches = 'Ranged GETs in flight at once for read-ahead (default 8).'
    }
    Inputs      = @{
        'System.String' = 'S3 URIs.'
        'Objects with BucketName and Key' = 'Listed objects; one stream each.'
    }
    Outputs     = @{ 'System.IO.Stream' = 'An S3Turbo.S3ObjectStream, readable and seekable; dispose it when done.' }
    Notes       = @'
Stats is a snapshot: $s.Stats.Requests, $s.Stats.BytesRequested, $s.Stats.BlockHits, $s.Stats.PeakCachedBytes. A single Read larger than the cache holds can take the cache over -MaxMemory for the duration of that read.
'@
    Examples    = @(
        @{ Title = 'Read a header without downloading the object'; Code = "`$s = Open-S3Object s3://data/images/scan-0001.dcm`n`$r = [System.IO.BinaryReader]::new(`$s)`n`$s.Position = 128`n[System.Text.Encoding]::ASCII.GetString(`$r.ReadBytes(4))   # 'DICM'`n`$s.Stats.BytesRequested`n`$s.Dispose()"; Remarks = 'Reads 4 bytes at offset 128; the stream fetched one block.' }
        @{ Title = 'List a zip in S3 without downloading it'; Code = "`$s = Open-S3Object s3://backups/site.zip`n`$zip = [System.IO.Compression.ZipArchive]::new(`$s, [System.IO.Compression.ZipArchiveMode]::Read)`n`$zip.Entries | Select-Object FullName, Length`n'{0:N0} of {1:N0} bytes fetched' -f `$s.Stats.BytesRequested, `$s.Length`n`$zip.Dispose()"; Remarks = 'ZipArchive seeks to the end and reads the central directory; only those blocks are fetched.' }
        @{ Title = 'Stream a large object sequentially'; Code = "`$s = Open-S3Object -BucketName logs -Key 2026/11/app.log -MaxReadAhead 64MB -MaxMemory 128MB`n`$reader = [System.IO.StreamReader]::new(`$s)`nwhile (`$null -ne (`$line = `$reader.ReadLine())) { if (`$line -match 'ERROR') { `$line } }`n`$reader.Dispose()"; Remarks = 'Sequential reading triggers parallel read-ahead, up to 64 MiB ahead, within 128 MiB of memory.' }
        @{ Title = 'A pinned version'; Code = 'Open-S3Object -BucketName models -Key model.bin -VersionId $versionId'; Remarks = 'Reads that version (an ID such as 3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY, from the bucket''s version listing) even if the key is overwritten later.' }
    )
}
