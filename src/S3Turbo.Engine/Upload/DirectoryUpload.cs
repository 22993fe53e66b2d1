using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using S3Turbo.Engine.Connection;
using System.Net;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Upload;

public sealed class UploadOptions : TransferOptions
{
    // Small files are bound by round trips: starting at 16 the controller spent the first second of a 2,000-file
    // run below the store's rate (16 -> 32 -> 64, one step per 500 ms); Copy-S3Prefix starts at 64 too
    // (build.ps1 -Task Bench -Scenario small: docs/benchmarks-small.md). Downloads showed no gain, so keep 16.
    public UploadOptions() { InitialConcurrency = 64; }

    public required string BucketName { get; init; }
    public TransferMode Mode { get; init; } = TransferMode.Update;
    /// <summary>The prefix every key of the run starts with, when known: Update and Add then list it once before the
    /// first file, and if it holds nothing, decide every file without a listing of its folder.</summary>
    public string? KeyPrefix { get; init; }
    /// <summary>Files at or above this size go up as multipart uploads.</summary>
    public long MultipartThreshold { get; init; } = 16L * 1024 * 1024;
    /// <summary>Null: chosen per file (PartSizing.AutoPartSize).</summary>
    public long? PartSize { get; init; }
    /// <summary>Multipart files whose parts may be in flight together.</summary>
    public int MaxLargeFilesInFlight { get; init; } = 4;
    public ObjectSettings Settings { get; init; } = new();
    /// <summary>How Update decides a file is unchanged.</summary>
    public UploadComparison Compare { get; init; } = UploadComparison.Checksum;
    /// <summary>Files whose content type matches one of these wildcards are gzip-compressed on the way
    /// (Content-Encoding: gzip); null: nothing is compressed.</summary>
    public IReadOnlyList<string>? GzipContentTypes { get; init; }
    /// <summary>-Gzip without -GzipContentType: the text types s3-parallel-put compresses, and their kin.</summary>
    public static readonly IReadOnlyList<string> DefaultGzipContentTypes = new[]
    {
        "text/*", "application/javascript", "application/x-javascript", "application/json", "application/xml",
        "application/xhtml+xml", "application/rss+xml", "application/atom+xml", "image/svg+xml",
    };

    public override void Validate()
    {
        base.Validate();
        if (GzipContentTypes is not null && Settings.ContentEncoding is not null)
            throw new S3TurboException(ErrorIds.ConflictingParameters, FailureKind.InvalidArgument,
                $"-Gzip sets Content-Encoding: gzip on what it compresses; it cannot be combined with -ContentEncoding '{Settings.ContentEncoding}'.", Settings.ContentEncoding);
        BucketNames.Validate(BucketName);
        if (PartSize is long partSize) PartSizing.Validate(partSize);
        if (MultipartThreshold < PartSizing.MinPartSize)
            throw new S3TurboException(ErrorIds.InvalidPartSize, FailureKind.InvalidArgument,
                $"-MultipartThreshold {MultipartThreshold} is below S3's 5 MiB minimum part size.", MultipartThreshold);
    }
}

/// <summary>Uploads a stream of files (or tar members): small ones concurrently as single PUTs, large ones as
/// multipart uploads whose parts are read straight from file ranges, all sharing one request budget. Add items as
/// they are discovered; read results as they finish; await Completion for the summary. Every object records the
/// file's modification time in x-amz-meta-mtime (as rclone does); -Gzip objects also record their source's size
/// and MD5, so Update compares against the original.</summary>
public sealed class DirectoryUpload : TransferAction<UploadItem, UploadResult>
{
    /// <summary>Metadata key recording the part size, so Update mode can recompute multipart ETags.</summary>
    public const string PartSizeMetadataKey = "s3turbo-part-size";
    /// <summary>On gzip objects: the size and MD5 of the uncompressed source.</summary>
    public const string SourceSizeMetadataKey = "s3turbo-source-size", SourceMd5MetadataKey = "s3turbo-source-md5";
    /// <summary>The reasons of skips that are the mode's decision (anything else skipped is worth a warning).</summary>
    public const string UnchangedReason = "unchanged", ExistsReason = "exists";
    /// <summary>Gzip files from this size on are compressed one at a time per large-file slot (memory).</summary>
    const long LargeGzipSource = 1L << 20;
    const int CopyBufferSize = 256 * 1024;
    readonly RequestBudget _budget;
    readonly IAmazonS3 _s3;
    readonly UploadOptions _options;
    readonly SemaphoreSlim _largeFiles;
    readonly FolderListingCache _listings;
    readonly WildcardFilter? _gzipTypes;
    readonly UploadProof _proof;

    DirectoryUpload(RequestBudget budget, UploadOptions options)
    {
        _listings = new FolderListingCache(budget, options.BucketName);
        _budget = budget;
        _s3 = budget.Client;
        _options = options;
        _largeFiles = new SemaphoreSlim(options.MaxLargeFilesInFlight);
        if (options.GzipContentTypes is not null) _gzipTypes = new WildcardFilter(options.GzipContentTypes, null);
        _proof = new UploadProof(_s3, options.Settings.Checksum);
    }

    /// <summary>Starts an upload run: add items (see DirectoryUploadPlan) as they are discovered, read results as
    /// they finish, await Completion for the summary.</summary>
    public static TransferEngine<UploadItem, NoPart, UploadResult> Start(S3Connection connection, UploadOptions options, CancellationToken cancellationToken) =>
        Start(connection.Client, options, cancellationToken);

    public static TransferEngine<UploadItem, NoPart, UploadResult> Start(IAmazonS3 s3, UploadOptions options, CancellationToken cancellationToken) =>
        options.Start(s3, budget => new DirectoryUpload(budget, options), cancellationToken);

    public override string Operation => "Upload";
    public override string FallbackErrorId => ErrorIds.UploadFailed;
    public override long SizeOf(UploadItem item) => item.SkipReason is null ? item.Length : 0;

    /// <summary>Checks once, before any file is read, that the bucket exists and the credentials work; with Update or Add, lists at most one key under the prefix (an empty prefix needs no folder listings).</summary>
    public override async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await Preflight.CheckBucketAsync(_budget, _options.BucketName, cancellationToken).ConfigureAwait(false);
        if (!_options.WhatIf)
            await _proof.ProbeAsync(_budget, _options.BucketName, KeyMapper.NormalizePrefix(_options.KeyPrefix) + ".s3turbo-checksum-probe", cancellationToken).ConfigureAwait(false);
        if (_options.Mode != TransferMode.Overwrite && _options.KeyPrefix is { } prefix)
            await _listings.PrimeAsync(KeyMapper.NormalizePrefix(prefix), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Update and Add list the item's destination folder as soon as its first file is queued.</summary>
    public override void Planned(UploadItem item, CancellationToken cancellationToken)
    {
        if (_options.Mode != TransferMode.Overwrite && item.SkipReason is null && !string.IsNullOrEmpty(item.Key))
            _listings.Prefetch(item.Key, cancellationToken);
    }

    public override async IAsyncEnumerable<UploadResult> RunAsync(UploadItem item, bool dryRun, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        if (item.SkipReason is not null)
        {
            yield return new UploadResult { Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Status = UploadStatus.Skipped, Reason = item.SkipReason };
            yield break;
        }
        UploadResult result;
        try { result = await UploadAsync(item, dryRun, cancellationToken).ConfigureAwait(false); }
        catch (AmazonS3Exception ex) when (NoClobber && ex.StatusCode == System.Net.HttpStatusCode.PreconditionFailed)
        {
            // Add mode wrote with If-None-Match: *, and the key was stored by another writer since the listing.
            result = new UploadResult { Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Status = UploadStatus.Skipped, Reason = ExistsReason + " (stored meanwhile by another writer)" };
        }
        // A multipart upload's CompleteMultipartUpload refused for its If-None-Match: the file once more, without it.
        catch (AmazonS3Exception ex) when (NoClobber && RefusesConditionalWrites(ex)) { result = await UploadAsync(item, dryRun, cancellationToken).ConfigureAwait(false); }
        finally { item.StreamedData?.Release(); }
        yield return result with { Duration = started.Elapsed };
    }

    async Task<UploadResult> UploadAsync(UploadItem item, bool dryRun, CancellationToken cancellationToken)
    {
        bool gzip = _gzipTypes is not null && _gzipTypes.Accepts(_options.Settings.ContentTypeFor(item.Path), "");
        // A held member of a compressed archive: all its bytes, before anything is decided or sent.
        byte[]? held = item.StreamedData is { IsHeld: true } data ? await data.WholeAsync(cancellationToken).ConfigureAwait(false) : null;
        if (await CheckExistingAsync(item, gzip, held, cancellationToken).ConfigureAwait(false) is { } skipped) return skipped;
        if (dryRun) return new UploadResult { Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = item.Length, Status = UploadStatus.WouldUpload };
        bool streamed = item.StreamedData is { IsHeld: false };
        if (item.Length >= _options.MultipartThreshold && (gzip || streamed)) return await UploadThroughStreamAsync(item, gzip, cancellationToken).ConfigureAwait(false);
        if (gzip) return await UploadGzippedAsync(item, held, cancellationToken).ConfigureAwait(false);
        if (item.Length >= _options.MultipartThreshold) return await UploadMultipartAsync(item, cancellationToken).ConfigureAwait(false);
        if (held is not null) return await PutAsync(item, held, held.Length, SettingsFor(item), cancellationToken).ConfigureAwait(false);
        return await PutFileAsync(item, SettingsFor(item), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>At or below this size a file is read once into a pooled buffer, checksummed and sent from it; larger
    /// ones are read for their checksum, then read again by the request (from the page cache).</summary>
    const int SmallFileBytes = 256 * 1024;

    async Task<UploadResult> PutFileAsync(UploadItem item, ObjectSettings settings, CancellationToken cancellationToken)
    {
        long size = item.Length;
        if (size > SmallFileBytes) return await PutStreamAsync(item, () => item.OpenSegment(0, size), size, settings, cancellationToken).ConfigureAwait(false);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Max(size, 1));
        try
        {
            if (size > 0)
            {
                using var segment = item.OpenSegment(0, size);
                int done = 0, read;
                while (done < size && (read = segment.Read(buffer, done, (int)size - done)) > 0) done += read;
                if (done != size) throw new S3TurboException(ErrorIds.SourceChanged, FailureKind.InvalidData, $"'{item.Path}' changed while it was being uploaded (it is shorter than it was); it was not stored.", item.Path);
            }
            else item.EnsureUnchanged(); // nothing to read, so the check is made here
            return await PutAsync(item, buffer, (int)size, settings, cancellationToken).ConfigureAwait(false);
        }
        finally { System.Buffers.ArrayPool<byte>.Shared.Return(buffer); }
    }

    public override IEnumerable<UploadResult> Failed(UploadItem item, S3TurboException failure, TimeSpan elapsed) => new[]
    {
        new UploadResult
        {
            Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = item.Length,
            Status = UploadStatus.Failed, Reason = failure.Message, Error = failure, Duration = elapsed,
        },
    };

    /// <summary>A file's key; a skipped link to a directory keeps everything under its key. Only files sent or found
    /// up to date are sources: a special file or a link skipped unread keeps its key but does not count as one.</summary>
    public override void RecordMirrorSource(UploadResult result, Remove.MirrorSources sources)
    {
        if (result.Key.Length == 0) return;
        if (result.Key.EndsWith("/", StringComparison.Ordinal)) sources.AddSubtree(result.Key);
        else sources.AddKey(result.Key, readable: result.Status != UploadStatus.Skipped || result.Reason is UnchangedReason or ExistsReason);
    }

    public override S3TurboException Classify(Exception exception, UploadItem item) => ErrorClassifier.Classify(exception, FallbackErrorId, _options.BucketName, item.Key, item.Path, _options.Settings);

    /// <summary>Add/Update modes: the destination folder's listing (one request per 1,000 keys, see
    /// FolderListingCache) decides whether the file needs sending; a HEAD only when the folder could not be listed,
    /// or when the answer is in the object's metadata (see UploadComparison).</summary>
    async Task<UploadResult?> CheckExistingAsync(UploadItem item, bool gzip, byte[]? held, CancellationToken cancellationToken)
    {
        if (_options.Mode == TransferMode.Overwrite) return null;
        var (known, listed) = await _listings.FindAsync(item.Key, cancellationToken).ConfigureAwait(false);
        var existing = known ? (listed is null ? null : new Existing(listed.Size, listed.ETag))
            : await HeadAsync(item.Key, cancellationToken).ConfigureAwait(false);
        if (existing is null) return null;
        bool skip = _options.Mode == TransferMode.Add || await IsUnchangedAsync(item, gzip, held, existing, cancellationToken).ConfigureAwait(false);
        return skip ? new UploadResult
        {
            Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = item.Length, ETag = existing.ETag,
            Status = UploadStatus.Skipped, Reason = _options.Mode == TransferMode.Add ? ExistsReason : UnchangedReason,
        } : null;
    }

    async Task<bool> IsUnchangedAsync(UploadItem item, bool gzip, byte[]? held, Existing existing, CancellationToken cancellationToken)
    {
        var compare = _options.Compare;
        if (gzip)
        {
            // Compressing the same bytes the same way gives the same object: a single-part one is proven by its listing.
            // Else (a multipart object, an ETag that is no MD5, another runtime's compression) the source's MD5 recorded
            // with the object decides, for one HEAD.
            if (compare == UploadComparison.Checksum && ETagCalculator.PartCountOf(existing.ETag) == 1
                && await GzipMatchesAsync(item, held, existing, cancellationToken).ConfigureAwait(false))
                return true;
            if (await HeadOnceAsync(existing, item.Key, cancellationToken).ConfigureAwait(false) is not { ContentEncoding: "gzip" } head || head.SourceSize != item.Length) return false;
            return compare switch
            {
                UploadComparison.Size => true,
                UploadComparison.ModifiedTime when head.ModifiedTime is { } time => SameTime(time, item.ModifiedTimeUtc),
                _ => head.SourceMd5 is { } md5 && md5 == await Md5Async(item, held, cancellationToken).ConfigureAwait(false),
            };
        }
        if (existing.Size != item.Length) return false;
        if (compare == UploadComparison.Size) return true;
        if (compare == UploadComparison.ModifiedTime)
        {
            if (await HeadOnceAsync(existing, item.Key, cancellationToken).ConfigureAwait(false) is not { } head || head.Size != item.Length) return false;
            if (head.ModifiedTime is { } time) return SameTime(time, item.ModifiedTimeUtc);
            // no recorded time: compared by content
        }
        if (item.StreamedData is { IsHeld: false }) return false; // a streamed member cannot be read twice
        if (held is not null) return await HeldMatchesAsync(item, held, existing, cancellationToken).ConfigureAwait(false);
        // By proof, never by guess (ContentProof): the listed ETag as an MD5, else the store's checksum.
        return await ContentProof.SameAsync(_budget, _options.BucketName, item.Key, item.Length, existing.ETag, item.SourceFile, item.SourceOffset, cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>A held member of a compressed archive (its bytes in memory) against the object: its MD5 against a
    /// single-part ETag, else its checksum against the store's whole-object checksum.</summary>
    async Task<bool> HeldMatchesAsync(UploadItem item, byte[] held, Existing existing, CancellationToken cancellationToken)
    {
        if (ETagCalculator.PartCountOf(existing.ETag) == 1 && Hex(MD5.HashData(held)) == ETagCalculator.Normalize(existing.ETag)) return true;
        var (checksum, head) = await StoredContent.HeadAsync(_budget, _options.BucketName, item.Key, null, cancellationToken).ConfigureAwait(false);
        return head.ContentLength == held.Length && checksum is { IsComposite: false } && RunningChecksum.Of(checksum.Algorithm, held) == checksum.Value;
    }

    /// <summary>Recorded times are kept to 100 ns; another writer's (rclone's nanoseconds) may round by a tick.</summary>
    static bool SameTime(DateTime recorded, DateTime local) => Math.Abs(recorded.Ticks - local.ToUniversalTime().Ticks) <= 10;

    /// <summary>What the destination holds at a key, as far as Update needs it; the metadata only from a HEAD.</summary>
    sealed record Existing(long Size, string? ETag)
    {
        public bool FromHead { get; init; }
        public long? RecordedPartSize { get; init; }
        public DateTime? ModifiedTime { get; init; }
        public string? ContentEncoding { get; init; }
        public long? SourceSize { get; init; }
        public string? SourceMd5 { get; init; }
    }

    async Task<Existing?> HeadOnceAsync(Existing existing, string key, CancellationToken cancellationToken) =>
        existing.FromHead ? existing : await HeadAsync(key, cancellationToken).ConfigureAwait(false);

    async Task<Existing?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var head = await _budget.RunAsync(ct => _s3.GetObjectMetadataAsync(_options.BucketName, key, ct), 0, cancellationToken).ConfigureAwait(false);
            static long? Number(string? text) => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
            return new Existing(head.ContentLength, head.ETag)
            {
                FromHead = true, RecordedPartSize = Number(head.Metadata[PartSizeMetadataKey]),
                ModifiedTime = ModifiedTimeMetadata.Parse(head.Metadata[ModifiedTimeMetadata.Key]),
                ContentEncoding = head.Headers.ContentEncoding, SourceSize = Number(head.Metadata[SourceSizeMetadataKey]),
                SourceMd5 = head.Metadata[SourceMd5MetadataKey] is { Length: 32 } md5 ? md5.ToLowerInvariant() : null,
            };
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound && ex.ErrorCode != "NoSuchBucket")
        {
            return null;
        }
    }

    /// <summary>The object -Gzip would store now, compressed and hashed locally, against the listed size and ETag.</summary>
    async Task<bool> GzipMatchesAsync(UploadItem item, byte[]? held, Existing existing, CancellationToken cancellationToken)
    {
        if (item.StreamedData is { IsHeld: false } || existing.ETag is null) return false;
        using var digest = new DigestStream();
        using (var gzip = new GZipStream(digest, CompressionLevel.Optimal, leaveOpen: true))
            await CopyBytesAsync(item, held, gzip, null, cancellationToken).ConfigureAwait(false);
        return digest.Length == existing.Size && digest.Md5Hex() == ETagCalculator.Normalize(existing.ETag);
    }

    async Task<string?> Md5Async(UploadItem item, byte[]? held, CancellationToken cancellationToken) =>
        held is not null ? Hex(MD5.HashData(held))
        : item.StreamedData is not null ? null
        : await ETagCalculator.ComputeAsync(item.SourceFile, item.SourceOffset, item.Length, null, cancellationToken).ConfigureAwait(false);

    static string Hex(byte[] digest) => Convert.ToHexString(digest).ToLowerInvariant();

    /// <summary>The run's object settings plus this item's metadata: its modification time (unless -Metadata gives
    /// one), and for gzip the source's size and MD5 and Content-Encoding.</summary>
    ObjectSettings SettingsFor(UploadItem item, bool gzip = false, string? sourceMd5 = null, long? partSize = null)
    {
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (k, v) in _options.Settings.Metadata) metadata[k] = v;
        if (!metadata.ContainsKey(ModifiedTimeMetadata.Key)) metadata[ModifiedTimeMetadata.Key] = ModifiedTimeMetadata.Format(item.ModifiedTimeUtc);
        if (partSize is long ps) metadata[PartSizeMetadataKey] = ps.ToString(CultureInfo.InvariantCulture);
        if (gzip)
        {
            metadata[SourceSizeMetadataKey] = item.Length.ToString(CultureInfo.InvariantCulture);
            if (sourceMd5 is not null) metadata[SourceMd5MetadataKey] = sourceMd5;
        }
        return _options.Settings with { Metadata = metadata, ContentEncoding = gzip ? "gzip" : _options.Settings.ContentEncoding };
    }

    /// <summary>The item's bytes front to back into <paramref name="target"/> (hashed into <paramref name="md5"/>
    /// too when given): from memory, from the file, or as the archive's reader hands them over.</summary>
    async Task CopyBytesAsync(UploadItem item, byte[]? held, Stream target, IncrementalHash? md5, CancellationToken cancellationToken)
    {
        if (held is not null)
        {
            md5?.AppendData(held);
            await target.WriteAsync(held, 0, held.Length, cancellationToken).ConfigureAwait(false);
            return;
        }
        if (item.StreamedData is { } data)
        {
            await foreach (var chunk in data.ChunksAsync(cancellationToken).ConfigureAwait(false))
            {
                md5?.AppendData(chunk);
                await target.WriteAsync(chunk, 0, chunk.Length, cancellationToken).ConfigureAwait(false);
            }
            return;
        }
        if (item.Length == 0) { item.EnsureUnchanged(); return; }
        using var source = item.OpenSegment(0, item.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferSize);
        try
        {
            int n;
            while ((n = await source.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false)) > 0)
            {
                md5?.AppendData(buffer, 0, n);
                await target.WriteAsync(buffer, 0, n, cancellationToken).ConfigureAwait(false);
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>One PutObject of bytes in memory, proven by <see cref="UploadProof"/>.</summary>
    Task<UploadResult> PutAsync(UploadItem item, byte[] body, int length, ObjectSettings settings, CancellationToken cancellationToken) =>
        PutRequestAsync(item, length, settings, request =>
        {
            request.InputStream = new MemoryStream(body, 0, length, writable: false);
            return _proof.Prepare(request, body.AsSpan(0, length));
        }, cancellationToken);

    /// <summary>One PutObject of a seekable stream (a file's range, read for its checksum first).</summary>
    Task<UploadResult> PutStreamAsync(UploadItem item, Func<Stream> open, long size, ObjectSettings settings, CancellationToken cancellationToken) =>
        PutRequestAsync(item, size, settings, request =>
        {
            request.InputStream = open();
            return _proof.Prepare(request, request.InputStream);
        }, cancellationToken);

    async Task<UploadResult> PutRequestAsync(UploadItem item, long size, ObjectSettings settings, Func<PutObjectRequest, SentBody> prepare, CancellationToken cancellationToken)
    {
        SentBody? sent = null;
        var response = await _budget.RunAsync(async ct =>
        {
            var request = new PutObjectRequest { BucketName = _options.BucketName, Key = item.Key, AutoCloseStream = false };
            settings.ApplyTo(request, item.Path);
            sent = prepare(request);
            // The SDK rewinds the stream for its own retries; it is disposed after the last one.
            using var stream = request.InputStream;
            request.Headers.ContentLength = size;
            if (!NoClobber) return await _s3.PutObjectAsync(request, ct).ConfigureAwait(false);
            request.IfNoneMatch = "*";
            try { return await _s3.PutObjectAsync(request, ct).ConfigureAwait(false); }
            catch (AmazonS3Exception ex) when (RefusesConditionalWrites(ex))
            {
                stream.Position = 0;
                request.IfNoneMatch = null;
                return await _s3.PutObjectAsync(request, ct).ConfigureAwait(false);
            }
        }, size, cancellationToken).ConfigureAwait(false);
        var stored = StoredChecksum.From(response.ChecksumCRC64NVME, response.ChecksumCRC32C, response.ChecksumCRC32, response.ChecksumSHA256, response.ChecksumType?.Value);
        try { _proof.Check($"s3://{_options.BucketName}/{item.Key}", sent!, response.ETag, stored, response.ServerSideEncryptionMethod); }
        catch (IOException)
        {
            // The store holds other bytes than were sent (a store that does not verify checksums): not left there.
            var delete = new DeleteObjectRequest { BucketName = _options.BucketName, Key = item.Key, VersionId = string.IsNullOrEmpty(response.VersionId) ? null : response.VersionId };
            try { await _budget.RunAsync(ct => _s3.DeleteObjectAsync(delete, ct), 0, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception) { /* the check's failure is the one reported */ }
            throw;
        }
        return new UploadResult
        {
            Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = item.Length, ETag = response.ETag,
            Checksum = stored?.ToString() ?? (sent!.Checksum is { } c ? $"{c.Algorithm}:{c.Base64()}" : null),
            Status = UploadStatus.Uploaded, Parts = 1,
        };
    }

    /// <summary>Below the multipart threshold, compressed into memory (one pass that also hashes the source for
    /// its metadata), then one PUT. Sources of 1 MiB and more take a large-file slot, which bounds that memory.</summary>
    async Task<UploadResult> UploadGzippedAsync(UploadItem item, byte[]? held, CancellationToken cancellationToken)
    {
        bool large = item.Length >= LargeGzipSource;
        if (large) await _largeFiles.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var compressed = new MemoryStream();
            using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
            using (var gzip = new GZipStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
                await CopyBytesAsync(item, held, gzip, md5, cancellationToken).ConfigureAwait(false);
            var settings = SettingsFor(item, gzip: true, sourceMd5: Hex(md5.GetHashAndReset()));
            var bytes = compressed.GetBuffer();
            int length = (int)compressed.Length;
            var result = await PutAsync(item, bytes, length, settings, cancellationToken).ConfigureAwait(false);
            return result with { StoredSize = length, ContentEncoding = "gzip" };
        }
        finally { if (large) _largeFiles.Release(); }
    }

    /// <summary>Large gzip sources, and large members of compressed archives, go through an S3UploadStream: parts
    /// are uploaded (and verified) as the bytes arrive, with at most (4 + 1) parts held per large-file slot. A failure
    /// aborts the upload, so no partial object is left. A gzip source is hashed first, for its metadata.</summary>
    async Task<UploadResult> UploadThroughStreamAsync(UploadItem item, bool gzip, CancellationToken cancellationToken)
    {
        await _largeFiles.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            string? sourceMd5 = gzip ? await Md5Async(item, null, cancellationToken).ConfigureAwait(false) : null;
            var upload = new S3UploadStream(_budget, new UploadStreamOptions
            {
                BucketName = _options.BucketName, Key = item.Key, PartSize = _options.PartSize ?? PartSizing.AutoPartSize(item.Length),
                ExpectedSize = gzip ? null : item.Length, Settings = SettingsFor(item, gzip, sourceMd5),
            }, cancellationToken);
            UploadResult done;
            try
            {
                if (gzip)
                {
                    using var compressor = new GZipStream(upload, CompressionLevel.Optimal, leaveOpen: true);
                    await CopyBytesAsync(item, null, compressor, null, cancellationToken).ConfigureAwait(false);
                }
                else await CopyBytesAsync(item, null, upload, null, cancellationToken).ConfigureAwait(false);
                if (item.StreamedData is null) item.EnsureUnchanged();
                done = await upload.CompleteAsync(cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await upload.AbortAsync().ConfigureAwait(false);
                throw;
            }
            return new UploadResult
            {
                Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = item.Length, ETag = done.ETag, Checksum = done.Checksum,
                StoredSize = gzip ? done.Size : null, ContentEncoding = gzip ? "gzip" : null, Status = UploadStatus.Uploaded, Parts = done.Parts,
            };
        }
        finally { _largeFiles.Release(); }
    }

    volatile bool _conditionalWritesRefused;

    /// <summary>Add mode never overwrites: its writes carry If-None-Match: *, so a key another writer stored after the
    /// listing is refused (412) and reported as skipped (exists). S3 (since 2024) and Ceph 20 honour it; a store that
    /// refuses the header (501 NotImplemented, or 400 naming it) is detected on the first write, which is sent again
    /// without it, as is the rest of the run (deciding from the listing alone, as before); a store that ignores it
    /// behaves as before too.</summary>
    bool NoClobber => _options.Mode == TransferMode.Add && !_conditionalWritesRefused;

    bool RefusesConditionalWrites(AmazonS3Exception ex)
    {
        bool refused = ex.StatusCode == System.Net.HttpStatusCode.NotImplemented
            || (ex.StatusCode == System.Net.HttpStatusCode.BadRequest && (ex.Message ?? "").Contains("If-None-Match", StringComparison.OrdinalIgnoreCase));
        if (refused) _conditionalWritesRefused = true;
        return refused;
    }

    /// <summary>Finds the incomplete multipart upload an earlier run left for the item's key (the newest, if several)
    /// and proves each part it holds against the file's bytes at that part's offset: by the part's checksum where the
    /// store keeps one of this run's algorithm, else its ETag as the MD5. Returns the proven parts (the upload then
    /// adopted), or null when there is none to resume. An upload begun with another checksum algorithm, with parts of
    /// other sizes than this run's, or with a part that is not the file's bytes (the file changed) is aborted: the
    /// file goes whole, never mixed from two versions. Metadata given when an upload began cannot be read back
    /// before it completes, so only the content is trusted. The note says what was done, for the result's Reason.</summary>
    async Task<(IReadOnlyDictionary<int, (PartETag Part, SentBody Body)>? Stored, string? Note)> ResumeAsync(MultipartUploadSession upload, UploadItem item, long partSize, int partCount,
        CancellationToken cancellationToken)
    {
        if (item.StreamedData is not null || await upload.FindResumableAsync(cancellationToken).ConfigureAwait(false) is not { } uploadId) return (null, null);
        upload.Adopt(uploadId);
        var (parts, algorithm) = await upload.ListPartsAsync(cancellationToken).ConfigureAwait(false);
        var proven = new Dictionary<int, (PartETag, SentBody)>();
        string? misfit = algorithm is { } declared && declared != Checksums.ToSdk(_proof.Algorithm) ? $"it was begun with {declared.Value} checksums, this run sends {_proof.Algorithm}" : null;
        foreach (var (number, part) in parts.OrderBy(p => p.Key))
        {
            if (misfit is not null) break;
            long offset = (number - 1) * partSize;
            long length = Math.Min(partSize, item.Length - offset);
            if (number > partCount || part.Size != length) { misfit = $"its part {number} has {part.Size:N0} bytes where this run's has {Math.Max(length, 0):N0}"; break; }
            using var body = item.OpenSegment(offset, length);
            string? checksum = _proof.Algorithm switch
            {
                ChecksumAlgorithm.CRC64NVME => part.ChecksumCRC64NVME, ChecksumAlgorithm.CRC32C => part.ChecksumCRC32C,
                ChecksumAlgorithm.CRC32 => part.ChecksumCRC32, ChecksumAlgorithm.SHA256 => part.ChecksumSHA256, _ => null,
            };
            if (_proof.ProveStored(body, part.ETag, checksum) is not { } measured) { misfit = $"its part {number} is not the file's bytes at offset {offset:N0} (the file changed)"; break; }
            var kept = new PartETag(number, part.ETag)
            {
                ChecksumCRC64NVME = part.ChecksumCRC64NVME, ChecksumCRC32C = part.ChecksumCRC32C, ChecksumCRC32 = part.ChecksumCRC32, ChecksumSHA256 = part.ChecksumSHA256,
            };
            if (measured.Checksum is { } c && checksum is null) kept = UploadProof.PartOf(number, new UploadPartResponse { ETag = part.ETag }, measured); // the store keeps none: name ours
            proven[number] = (kept, measured);
        }
        if (misfit is null)
            return (proven, $"resumed: {proven.Count} of {partCount} parts ({proven.Values.Sum(p => p.Item2.Length):N0} bytes) were stored by an earlier run and proven the file's");
        await upload.AbortAsync().ConfigureAwait(false);
        return (null, $"sent whole: the incomplete upload an earlier run left was aborted ({misfit})");
    }

    async Task<UploadResult> UploadMultipartAsync(UploadItem item, CancellationToken cancellationToken)
    {
        long size = item.Length;
        long partSize = PartSizing.ChoosePartSize(size, _options.PartSize ?? PartSizing.AutoPartSize(size));
        int partCount = PartSizing.PartCount(size, partSize);
        await _largeFiles.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var initiate = new InitiateMultipartUploadRequest { BucketName = _options.BucketName, Key = item.Key };
            _proof.Initiate(initiate);
            SettingsFor(item, partSize: partSize).ApplyTo(initiate, item.Path);
            var upload = new MultipartUploadSession(_budget, _options.BucketName, item.Key) { KeepOnStop = () => _options.LeavesStoppedWorkResumable };
            // An upload a killed or stopped run left for this key goes on from the parts it holds that are proven to
            // be this file's bytes; one whose parts do not fit is aborted and the file sent whole.
            var (stored, note) = await ResumeAsync(upload, item, partSize, partCount, cancellationToken).ConfigureAwait(false);
            if (stored is null) await upload.StartAsync(initiate, cancellationToken).ConfigureAwait(false);
            var (completed, checksum) = await upload.RunPartsAsync(partCount, (partNumber, ct) =>
            {
                long offset = (partNumber - 1) * partSize;
                long length = Math.Min(partSize, size - offset);
                return (new UploadPartRequest
                {
                    InputStream = item.OpenSegment(offset, length),
                    PartSize = length,
                    IsLastPart = partNumber == partCount,
                }, length);
            }, _proof, beforeComplete: item.EnsureUnchanged, cancellationToken, stored, complete => { if (NoClobber) complete.IfNoneMatch = "*"; }).ConfigureAwait(false);
            if (initiate.TagSet is { Count: > 0 } tags) await ObjectTagging.SetAsync(_budget, _options.BucketName, item.Key, tags, cancellationToken).ConfigureAwait(false);
            return new UploadResult
            {
                Path = item.Path, BucketName = _options.BucketName, Key = item.Key, Size = size, ETag = completed.ETag,
                Checksum = checksum, Status = UploadStatus.Uploaded, Parts = partCount,
                Reason = note,
            };
        }
        finally { _largeFiles.Release(); }
    }
}

/// <summary>A write-only sink that keeps only the MD5 and the length of what is written (a gzip ETag, computed
/// without holding the compressed bytes).</summary>
sealed class DigestStream : Stream
{
    readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    long _length;
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => _length;
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) { _md5.AppendData(buffer, offset, count); _length += count; }
    public string Md5Hex() => Convert.ToHexString(_md5.GetHashAndReset()).ToLowerInvariant();
    protected override void Dispose(bool disposing) { if (disposing) _md5.Dispose(); base.Dispose(disposing); }
}
