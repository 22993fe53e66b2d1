@{
    Synopsis    = 'Returns a writable stream that uploads to S3 while you write, in bounded memory; or uploads piped lines, bytes, streams or files as one object.'
    Description = @'
New-S3UploadStream returns an S3Turbo.S3UploadStream: a System.IO.Stream that is writable, not readable and not seekable. Writes fill part buffers; each full part is uploaded in the background while writing goes on, several parts at once. At most -MaxPartsInFlight full parts are held (queued or uploading), so a writer faster than the network waits instead of growing memory: the stream's buffers never exceed (MaxPartsInFlight + 1) × PartSize bytes (its BufferedBytes and PeakBufferedBytes properties report them).

Dispose(), Close() or Complete() finish the upload: the last part is sent and CompleteMultipartUpload lists every part's ETag and checksum in order. Data smaller than one part goes up as one PutObject.

Verification. Every part (and a single PutObject) is sent with its checksum in a header (-ChecksumAlgorithm, CRC64NVME by default, computed here as the bytes are buffered: about 0.1 CPU s/GiB on PowerShell 7.6), and the upload is declared FULL_OBJECT: the parts' CRCs are combined into the whole object's, which CompleteMultipartUpload carries, so the store refuses an object that is not the bytes written and keeps that checksum for later downloads and Update runs. What proves each body, strongest first:
- A store that verifies checksums (AWS S3, Ceph 20) refuses a body whose bytes changed on the way (BadDigest) before storing it. Whether it does is asked once per store and bucket, with a two-byte part sent with a wrong checksum to an upload that is then aborted.
- On a store that does not (Ceph 18, moto), each body's MD5 is also computed here and compared with the ETag the store answers, and the whole object's ETag with the MD5 of the part MD5s (about 1.4 CPU s/GiB, paid only there).
- Over plain http the AWS SDK also signs each body's SHA-256 (SigV4 requires it there), which every store checks. Over https the body is sent unsigned, as the AWS CLI sends it (TLS protects it on the way).
-AlwaysCompareMd5 adds the MD5 comparison in every case. A part the store does not hold exactly fails the upload, which is then aborted; an object whose final check fails is deleted again. SSE-KMS objects have ETags that are not MD5s: only the checksum and the payload hash prove them. With -ChecksumAlgorithm None (or -RequestChecksumCalculation WhenRequired) no checksum is sent, and the MD5 and payload hash prove each body.

Abort(), a part that fails beyond the AWS SDK's retries, or Ctrl+C while piping aborts the multipart upload: no partial object and no orphaned parts are left. A failed part's error surfaces from the next Write or from Complete/Dispose as an IOException naming the bucket, key and part.

With pipeline input the cmdlet writes the input into a stream itself and, at the end of the pipeline, completes it and outputs an S3Turbo.UploadResult instead of the stream. Strings (e.g. from Get-Content) are written as lines in -Encoding followed by a newline (LF; -NoNewline writes them as they are); byte arrays and single bytes as they are; Stream objects and FileInfo objects (Get-Item) by copying their bytes.

Part size: -PartSize (default 8 MiB, at least 5 MiB) is the first part's size. When the total is unknown, parts double in size every 900 parts, so any stream up to S3's 5 TiB maximum fits in 10,000 parts; -ExpectedSize lets the stream pick one part size up front instead.
'@
    Parameters  = @{
        BucketName       = 'The bucket to upload to.'
        Key              = 'The key of the object to create. It is created only when the stream completes.'
        InputObject      = 'Pipeline input to upload: strings (written as lines), byte arrays, bytes, Stream or FileInfo objects. With pipeline input the cmdlet completes the upload itself and outputs an UploadResult.'
        PartSize         = 'The first part''s size in bytes (default 8 MiB; 5 MiB to 5 GiB). Later parts grow when the total is unknown (see the description).'
        MaxPartsInFlight = 'How many full parts may be buffered or uploading at once (default 4, 1 to 64). Memory use is at most (MaxPartsInFlight + 1) × PartSize.'
        ExpectedSize     = 'The total size, when known in advance: the part size is then chosen so the object fits in 10,000 parts.'
        Encoding         = 'The text encoding for string input (default UTF-8 without a byte-order mark).'
        NoNewline        = 'Write piped strings without a newline after each.'
        AlwaysCompareMd5 = 'Also compare every part''s ETag, and the object''s, with an MD5 of the bytes written (about 1.4 CPU s/GiB), even where the store already proved them by their checksums (see Verification in the description).'
        ContentType      = 'The Content-Type of the object (default: guessed from the key''s extension).'
        Metadata         = 'User metadata (x-amz-meta-*) as a hashtable.'
        Header           = 'Extra HTTP headers as a hashtable.'
        CacheControl     = 'The Cache-Control header.'
        ContentEncoding  = 'The Content-Encoding header (the bytes are stored as written).'
        StorageClass     = 'The S3 storage class.'
        CannedAcl        = 'A canned ACL for the object.'
        ServerSideEncryption = 'Server-side encryption: AES256, aws:kms or aws:kms:dsse.'
        KmsKeyId         = 'The KMS key for aws:kms encryption.'
        Tag              = 'Object tags as a hashtable.'
        WhatIf           = 'Say what would be uploaded, and upload nothing.'
        Confirm          = 'Ask before the upload starts.'
    }
    Inputs      = @{
        'System.String'     = 'Lines of text, written in -Encoding with a newline after each.'
        'System.Byte[]'     = 'Bytes, written as they are.'
        'System.IO.Stream'  = 'Streams, copied to the object.'
        'System.IO.FileInfo' = 'Files, whose bytes are copied to the object.'
    }
    Outputs     = @{
        'System.IO.Stream'       = 'Without pipeline input: an S3Turbo.S3UploadStream, the stream to write to. Dispose it to complete the upload.'
        'S3Turbo.UploadResult'   = 'With pipeline input: Key, Size, ETag, Checksum, Parts and Duration of the completed upload.'
    }
    Notes       = @'
A multipart upload that cannot be aborted (the store unreachable at that moment) is the one thing a client cannot clean up by itself: give buckets a lifecycle rule that aborts incomplete multipart uploads after a day.
'@
    Examples    = @(
        @{ Title = 'Upload a file''s lines'; Code = 'Get-Content big.csv | New-S3UploadStream -BucketName my-bucket -Key data/big.csv'; Remarks = 'Writes each line (UTF-8, LF) into one object and outputs an UploadResult when the pipeline ends.' }
        @{ Title = 'Upload a file''s bytes'; Code = 'Get-Item ./backup.tar | New-S3UploadStream -BucketName my-bucket -Key backups/backup.tar'; Remarks = 'Copies the file''s bytes as they are.' }
        @{ Title = 'Write from a script and complete with Dispose'; Code = "`$s = New-S3UploadStream -BucketName my-bucket -Key logs/app.log`ntry {`n    `$w = [System.IO.StreamWriter]::new(`$s)`n    foreach (`$i in 1..1000000) { `$w.WriteLine(""line `$i"") }`n    `$w.Dispose()   # flushes the writer and completes the upload`n} catch { `$s.Abort(); throw }"; Remarks = 'Any .NET API that writes to a Stream can write to S3 this way. Abort() on failure removes the parts already sent.' }
        @{ Title = 'Compress while uploading'; Code = "`$s = New-S3UploadStream -BucketName my-bucket -Key export.json.gz -ContentType application/json -ContentEncoding gzip`n`$gz = [System.IO.Compression.GZipStream]::new(`$s, [System.IO.Compression.CompressionLevel]::Optimal)`n`$json = Get-Process | Select-Object Name, Id, WorkingSet64 | ConvertTo-Json`n`$gz.Write([System.Text.Encoding]::UTF8.GetBytes(`$json))`n`$gz.Dispose()"; Remarks = 'Disposing the GZipStream disposes the upload stream, which completes the upload.' }
        @{ Title = 'A known size with larger parts'; Code = "`$src = [System.IO.File]::OpenRead('./big.bin')`n`$s = New-S3UploadStream -BucketName my-bucket -Key big.bin -ExpectedSize `$src.Length -MaxPartsInFlight 8`n`$src.CopyTo(`$s, 1MB); `$src.Dispose(); `$s.Dispose()"; Remarks = 'The part size is chosen up front from the size (for a 200 GB file, 21 MiB) and at most 9 parts are in memory.' }
        @{ Title = 'The result of a completed stream'; Code = "`$s = New-S3UploadStream my-bucket notes.txt`n`$s.Write([byte[]](1..10))`n`$s.Complete()"; Remarks = 'Complete() returns the UploadResult (ETag, checksum, parts); Dispose() does the same silently.' }
    )
}
