using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;
using S3Turbo.Engine.Connection;

namespace S3Turbo.Engine.Download;

public sealed class DownloadOptions : TransferOptions
{

    /// <summary>The local directory that keys (relative to the listed prefix) are written under.</summary>
    public required string Destination { get; init; }
    public TransferMode Mode { get; init; } = TransferMode.Update;
    /// <summary>Objects of at least this size are fetched as parallel ranged GETs; smaller ones with one GET.</summary>
    public long MultipartThreshold { get; init; } = 16L * 1024 * 1024;
    /// <summary>The range size when the object's own part layout is not known (it is grown to stay within 10,000 ranges).</summary>
    public long PartSize { get; init; } = 8L * 1024 * 1024;
    /// <summary>Large objects whose ranges may be in flight together.</summary>
    public int MaxLargeObjectsInFlight { get; init; } = 4;
    /// <summary>ListObjectsV2 page size (S3's maximum is 1,000; tests use small pages).</summary>
    public int PageSize { get; init; } = 1000;
    public WildcardFilter Filter { get; init; } = new(null, null);
    /// <summary>Attempts for one range whose body breaks off midway (it resumes where it stopped).</summary>
    public int MaxAttempts { get; init; } = 3;

    public override void Validate()
    {
        base.Validate();
        if (string.IsNullOrWhiteSpace(Destination))
            throw new S3TurboException(ErrorIds.InvalidInput, FailureKind.InvalidArgument, "-Destination is empty: name the local directory to download into.", Destination);
        PartSizing.Validate(PartSize);
        if (MultipartThreshold < PartSizing.MinPartSize)
            throw new S3TurboException(ErrorIds.InvalidPartSize, FailureKind.InvalidArgument,
                $"-MultipartThreshold {MultipartThreshold} is below 5 MiB.", MultipartThreshold);
        if (PageSize is < 1 or > 1000)
            throw new S3TurboException(ErrorIds.InvalidPageSize, FailureKind.InvalidArgument, $"-PageSize {PageSize} must be between 1 and 1000.", PageSize);
    }
}

/// <summary>One object to download, with the local path its key maps to.</summary>
public sealed class DownloadItem : TransferItem
{
    internal DownloadItem(ListedObject source, string path, bool isFolder) { Source = source; Path = path; IsFolder = isFolder; }
    public ListedObject Source { get; internal set; }
    public string Path { get; }
    /// <summary>A key ending in '/' (a folder marker): a directory is made, no file.</summary>
    public bool IsFolder { get; }
    internal string Uri => $"s3://{Source.BucketName}/{Source.Key}";
}

/// <summary>Downloads every object under prefixes (or piped objects) into a local directory. A streamed listing feeds
/// the engine; small objects come down many at a time with one GET each, large ones as parallel ranged GETs (aligned
/// to the object's own parts when its part size is known) written in place into a preallocated temporary file next to
/// the target. Every GET is pinned to the listed ETag. The bytes are checked against the ETag (MD5 of the content or of
/// its parts) before the temporary file is renamed into place, so the final path never holds a partial or unverified
/// file; a failure or a stop removes the temporary file.</summary>
public sealed class PrefixDownload : TransferAction<DownloadItem, DownloadResult>
{
    const int CopyBufferSize = 256 * 1024;
    readonly RequestBudget _budget;
    readonly IAmazonS3 _s3;
    readonly DownloadOptions _options;
    readonly SemaphoreSlim _largeObjects;
    readonly string _root;
    readonly HashSet<string> _checkedBuckets = new();

    PrefixDownload(RequestBudget budget, DownloadOptions options)
    {
        _budget = budget;
        _s3 = budget.Client;
        _options = options;
        _root = LocalPaths.Root(options.Destination);
        _largeObjects = new SemaphoreSlim(options.MaxLargeObjectsInFlight);
        _started = DateTime.UtcNow;
    }

    readonly DateTime _started;
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _directories = new(StringComparer.Ordinal);

    /// <summary>At the end of a run that finished (not stopped, not -WhatIf): temporary files and journals that dead
    /// runs left in the directories this run worked in, and that no download of this run took up (an object since
    /// removed or renamed, another shard's), are removed. Only files last written before this run began: another
    /// run writing into the same directory now keeps its own.</summary>
    public override TransferSummary Summarize(TransferSummary summary)
    {
        if (summary.Incomplete || _options.WhatIf) return summary;
        foreach (var directory in _directories.Keys)
        {
            IEnumerable<FileInfo> leftovers;
            try { leftovers = new DirectoryInfo(directory).EnumerateFiles(".s3turbo-*").Where(f => DownloadJournal.IsLeftover(f.Name)).ToList(); }
            catch (IOException) { continue; }
            catch (UnauthorizedAccessException) { continue; }
            foreach (var leftover in leftovers)
                if (leftover.LastWriteTimeUtc < _started)
                    try { leftover.Delete(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        return summary;
    }

    public static (TransferEngine<DownloadItem, NoPart, DownloadResult> Engine, PrefixDownload Download) Start(S3Connection connection, DownloadOptions options, CancellationToken cancellationToken) =>
        Start(connection.Client, options, cancellationToken);

    public static (TransferEngine<DownloadItem, NoPart, DownloadResult> Engine, PrefixDownload Download) Start(IAmazonS3 s3, DownloadOptions options, CancellationToken cancellationToken)
    {
        PrefixDownload? download = null;
        var engine = options.Start(s3, budget => download = new PrefixDownload(budget, options), cancellationToken);
        return (engine, download!);
    }

    public override string Operation => "Download";
    public override string FallbackErrorId => ErrorIds.DownloadFailed;
    public override long SizeOf(DownloadItem item) => Math.Max(0, item.Source.Size);

    /// <summary>The destination must be a directory (made when missing, unless this is a dry run).</summary>
    public override Task PrepareAsync(CancellationToken cancellationToken)
    {
        if (File.Exists(_root))
            throw new S3TurboException(ErrorIds.LocalPathConflict, FailureKind.InvalidArgument, $"-Destination '{_root}' is a file, not a directory.", _root) { IsFatalForRun = true };
        if (_options.WhatIf) return Task.CompletedTask;
        try { Directory.CreateDirectory(_root); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Every object would be written under it: one error stops the run.
            throw new S3TurboException(ex is UnauthorizedAccessException ? ErrorIds.AccessDenied : ErrorIds.LocalPathConflict,
                ex is UnauthorizedAccessException ? FailureKind.PermissionDenied : FailureKind.InvalidArgument,
                $"-Destination '{_root}' cannot be made: {ex.Message}", _root, ex) { IsFatalForRun = true };
        }
        return Task.CompletedTask;
    }

    /// <summary>Every object under the prefix that the filter accepts, in listing order.</summary>
    public async IAsyncEnumerable<DownloadItem> PlanPrefixAsync(string bucket, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        BucketNames.Validate(bucket);
        prefix = KeyMapper.NormalizePrefix(prefix);
        await foreach (var listed in ObjectLister.ListAsync(_budget, bucket, prefix, _options.PageSize, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var relative = listed.Key[prefix.Length..];
            if (!_options.Filter.IsEmpty && relative.Length > 0 && !_options.Filter.AcceptsKey(relative)) continue;
            if (_options.Shard?.Accepts(listed.Key) == false) continue;
            yield return MapItem(listed, relative);
        }
    }

    /// <summary>One object (piped from Get-S3Object, an inventory, an index). Its key is made relative to
    /// <paramref name="prefix"/> when it starts with it; size and ETag are looked up when not given.</summary>
    public async IAsyncEnumerable<DownloadItem> PlanObjectAsync(string bucket, string key, string? prefix, long? size, string? etag, DateTime? lastModified,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        BucketNames.Validate(bucket);
        if (_options.Shard?.Accepts(key) == false) yield break;
        if (_checkedBuckets.Add(bucket)) await Preflight.CheckBucketAsync(_budget, bucket, cancellationToken).ConfigureAwait(false);
        var normalized = KeyMapper.NormalizePrefix(prefix);
        var relative = normalized.Length > 0 && key.StartsWith(normalized, StringComparison.Ordinal) ? key[normalized.Length..] : key;
        yield return MapItem(new ListedObject(bucket, key, size ?? -1, etag, null, lastModified), relative);
    }

    DownloadItem MapItem(ListedObject source, string relative)
    {
        bool folder = relative.Length == 0 || relative.EndsWith('/');
        try { return new DownloadItem(source, LocalPaths.Map(_root, relative, $"s3://{source.BucketName}/{source.Key}"), folder); }
        catch (S3TurboException refused) { return new DownloadItem(source, "", folder) { Failure = refused }; }
    }

    public override async IAsyncEnumerable<DownloadResult> RunAsync(DownloadItem item, bool dryRun, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var started = Stopwatch.StartNew();
        if (item.IsFolder)
        {
            // A key ending in '/' names a folder on disk; one that holds bytes cannot be a file there, and is never
            // passed over as if it were an empty folder marker.
            if (item.Source.Size < 0) item.Source = await ObjectHeads.CompleteAsync(_budget, item.Source, cancellationToken).ConfigureAwait(false);
            if (item.Source.Size > 0)
                throw new S3TurboException(ErrorIds.FolderKeyHasData, FailureKind.InvalidData,
                    $"{item.Uri} holds {item.Source.Size:N0} bytes, but its key ends in '/', which names a folder here, so it was not downloaded. " +
                    $"Fetch it under a name of your choosing: $in = Open-S3Object '{item.Uri}'; $out = [IO.File]::Create('<file>'); $in.CopyTo($out); $out.Dispose(); $in.Dispose()", item.Uri);
            if (!dryRun) EnsureDirectory(item.Path, item);
            yield return Result(item, DownloadStatus.Skipped, started) with { Size = 0, Reason = "folder marker" };
            yield break;
        }
        if (item.Source.Size < 0 || item.Source.ETag is null) item.Source = await ObjectHeads.CompleteAsync(_budget, item.Source, cancellationToken).ConfigureAwait(false);
        _directories.TryAdd(Path.GetDirectoryName(item.Path)!, 0);
        if (Directory.Exists(item.Path)) throw Conflict(item, $"'{item.Path}' is a directory (a key below {item.Source.Key}/ is also an object, or a directory is already there)");
        var skip = await SkipReasonAsync(item, cancellationToken).ConfigureAwait(false);
        yield return skip is not null ? Result(item, DownloadStatus.Skipped, started) with { Reason = skip }
            : dryRun ? Result(item, DownloadStatus.WouldDownload, started)
            : await DownloadAsync(item, started, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Add: the file exists. Update: it has the object's size and its content is proven the same
    /// (ContentProof: the listed ETag as the file's MD5, else the store's checksum against the file's). Times are not
    /// proof (a change within the same second keeps the listed time), so they are not asked.</summary>
    async Task<string?> SkipReasonAsync(DownloadItem item, CancellationToken cancellationToken)
    {
        if (_options.Mode == TransferMode.Overwrite) return null;
        var local = new FileInfo(item.Path);
        if (!local.Exists) return null;
        if (_options.Mode == TransferMode.Add) return "exists";
        if (local.Length != item.Source.Size) return null;
        return await ContentProof.SameAsync(_budget, item.Source.BucketName, item.Source.Key, item.Source.Size, item.Source.ETag, item.Path, 0, cancellationToken).ConfigureAwait(false)
            is not null ? "unchanged" : null;
    }

    /// <summary>What the fetch learned: the object's time and what proves its bytes.</summary>
    sealed class Fetched
    {
        /// <summary>x-amz-meta-mtime, when the object carries one.</summary>
        public DateTime? StoredTime;
        /// <summary>Last-Modified as the GET or HEAD answered it (whole seconds).</summary>
        public DateTime? ResponseTime;
        public long? RecordedPartSize;
        public bool Encrypted;
        /// <summary>The checksum the store keeps for the object, when it keeps one.</summary>
        public StoredChecksum? Checksum;
        /// <summary>A whole GET whose checksum the SDK checked as the body was read (it throws at the end otherwise).</summary>
        public bool CheckedWhileRead;
        /// <summary>The whole object's checksum computed from the bytes as they were written (the ranges' CRCs combined).</summary>
        public string? ComputedChecksum;
        /// <summary>Each part's checksum computed while writing, for a composite checksum.</summary>
        public IReadOnlyList<string>? ComputedPartChecksums;
        public IReadOnlyList<StoredPart>? Parts;
        /// <summary>The ETag computed from the bytes as they were written, when the ranges allowed it.</summary>
        public string? ComputedETag;
        public int Requests;
        /// <summary>What an earlier run had written and this one kept, for the result's Reason.</summary>
        public string? Resumed;
    }

    async Task<DownloadResult> DownloadAsync(DownloadItem item, Stopwatch started, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(item.Path)!;
        EnsureDirectory(directory, item);
        // Named after the target, so that a run that dies leaves what the next one finds (see DownloadJournal).
        string? temporary = DownloadJournal.TemporaryFor(item.Path);
        bool ranged = item.Source.Size >= _options.MultipartThreshold;
        try
        {
            var fetched = ranged
                ? await FetchRangesAsync(item, temporary, cancellationToken).ConfigureAwait(false)
                : await FetchWholeAsync(item, temporary, cancellationToken).ConfigureAwait(false);
            var verification = await VerifyAsync(item, temporary, fetched, cancellationToken).ConfigureAwait(false);
            var time = fetched.StoredTime ?? item.Source.LastModified?.ToUniversalTime() ?? fetched.ResponseTime;
            WriteLocal(() =>
            {
                if (time is { } t) File.SetLastWriteTimeUtc(temporary, t);
                if (Directory.Exists(item.Path)) throw Conflict(item, $"'{item.Path}' is a directory");
                LocalPaths.CheckNoLinkBetween(_root, directory, item.Uri);
                File.Move(temporary, item.Path, overwrite: true);
            });
            DownloadJournal.Delete(temporary);
            temporary = null;
            return Result(item, DownloadStatus.Downloaded, started) with { Verification = verification, LastWriteTimeUtc = time, Parts = fetched.Requests, Reason = fetched.Resumed };
        }
        catch (OperationCanceledException) when (ranged && cancellationToken.IsCancellationRequested && _options.LeavesStoppedWorkResumable)
        {
            temporary = null; // stopped with leave to resume: the ranges written so far are the next run's
            throw;
        }
        finally
        {
            if (temporary is not null) DownloadJournal.Delete(temporary);
        }
    }

    /// <summary>One GET with checksum mode, written sequentially: a store that keeps a whole-object checksum sends it
    /// with the body, and the SDK checks it as the body is read (one CRC pass, no MD5). Otherwise the MD5 is computed
    /// while writing, for the ETag. Resumed from where it stopped if the body breaks off. When the SDK's check fails,
    /// the object is fetched once more without it, and VerifyAsync judges the bytes against the checksum and the ETag
    /// (a store can keep a wrong checksum: moto's for multipart objects).</summary>
    async Task<Fetched> FetchWholeAsync(DownloadItem item, string temporary, CancellationToken cancellationToken)
    {
        try { return await FetchWholeAsync(item, temporary, checksumMode: true, cancellationToken).ConfigureAwait(false); }
        catch (Amazon.Runtime.AmazonClientException ex) when (IsChecksumFailure(ex))
        {
            TryDelete(temporary);
            var (checksum, _) = await StoredContent.HeadAsync(_budget, item.Source.BucketName, item.Source.Key, item.Source.ETag, cancellationToken).ConfigureAwait(false);
            var again = await FetchWholeAsync(item, temporary, checksumMode: false, cancellationToken).ConfigureAwait(false);
            again.Checksum = checksum;
            return again;
        }
    }

    async Task<Fetched> FetchWholeAsync(DownloadItem item, string temporary, bool checksumMode, CancellationToken cancellationToken)
    {
        var source = item.Source;
        var fetched = new Fetched();
        // Written front to back: no preallocation needed (a full disk shows on the write).
        DownloadJournal.Delete(temporary); // what a dead run left for this target (a whole GET keeps no journal)
        using var file = WriteLocal(() => new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous));
        Md5Parts? hasher = null;
        long done = 0;
        bool resumed = false;
        await _budget.RunResumableAsync(async ct =>
        {
            fetched.Requests++;
            var request = new GetObjectRequest { BucketName = source.BucketName, Key = source.Key, EtagToMatch = source.ETag };
            if (done > 0) { request.ByteRange = new ByteRange(done, source.Size - 1); resumed = true; }
            else if (checksumMode) request.ChecksumMode = ChecksumMode.ENABLED;
            using var response = await _s3.GetObjectAsync(request, ct).ConfigureAwait(false);
            if (done == 0)
            {
                Learn(fetched, response.Metadata, response.ServerSideEncryptionMethod, response.ServerSideEncryptionCustomerMethod);
                fetched.ResponseTime = response.LastModified?.ToUniversalTime();
                fetched.Checksum = StoredContent.From(response);
                fetched.CheckedWhileRead = checksumMode && fetched.Checksum is { IsComposite: false };
                if (!fetched.CheckedWhileRead) hasher = Md5Parts.For(source.ETag, source.Size, fetched.RecordedPartSize, fetched.Encrypted);
            }
            // The response then disposes the inner stream only: an MD5Stream disposed checks itself (an empty body's too).
            var body = response.ResponseStream = WithoutSdkMd5(response.ResponseStream);
            await CopyAsync(item, body, file, source.Size - done, hasher, null, n => done += n, ct).ConfigureAwait(false);
            // One more read, which must find the end: that is when the SDK compares the checksum it computed.
            if (await body.ReadAsync(new byte[1], ct).ConfigureAwait(false) != 0)
                throw new IOException($"The body of {item.Uri} is longer than its {source.Size:N0} bytes.");
        }, source.Size, _options.MaxAttempts, cancellationToken).ConfigureAwait(false);
        WriteLocal(() => file.Flush());
        // A body resumed by a ranged GET was not all seen by the SDK's check: VerifyAsync reads the file for it.
        if (resumed) fetched.CheckedWhileRead = false;
        fetched.ComputedETag = hasher?.ETag();
        return fetched;
    }

    /// <summary>The body without the MD5 the SDK computes of every whole GET whose ETag looks like one (and compares at
    /// its end): a second MD5 where this download computes its own, a needless one (1.4 CPU s/GiB) where the checksum
    /// proves the bytes, and a false failure where a 32-digit ETag is no MD5 (directory buckets' random ETags). The
    /// SDK's checksum validation, one layer down, stays.</summary>
    static Stream WithoutSdkMd5(Stream body) =>
        body is Amazon.Runtime.Internal.Util.MD5Stream md5 ? md5.SearchWrappedStream(inner => inner is not Amazon.Runtime.Internal.Util.MD5Stream) ?? body : body;

    /// <summary>The SDK checks a whole GET against the checksum the store sent, and says so only in its message.</summary>
    static bool IsChecksumFailure(Amazon.Runtime.AmazonClientException client) =>
        client.Message.Contains("hash not equal", StringComparison.OrdinalIgnoreCase) || client.Message.Contains("checksum", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parallel ranged GETs into a preallocated file, each range hashed as it is written. What is hashed is
    /// chosen from the HEAD (with checksum mode): a whole-object CRC is computed per range and the ranges' CRCs
    /// combined (no second pass, no MD5); a composite checksum is checked part by part, the ranges following the
    /// parts GetObjectAttributes lists; otherwise the ranges follow the object's parts when their sizes are known
    /// (recorded by S3Turbo, part 1's size, GetObjectAttributes), so each range's MD5 is a part MD5 for the ETag.</summary>
    async Task<Fetched> FetchRangesAsync(DownloadItem item, string temporary, CancellationToken cancellationToken)
    {
        var source = item.Source;
        await _largeObjects.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var fetched = new Fetched();
            var (checksum, head) = await StoredContent.HeadAsync(_budget, source.BucketName, source.Key, source.ETag, cancellationToken).ConfigureAwait(false);
            Learn(fetched, head.Metadata, head.ServerSideEncryptionMethod, head.ServerSideEncryptionCustomerMethod);
            fetched.ResponseTime = head.LastModified?.ToUniversalTime();
            fetched.Checksum = checksum;
            int etagParts = ETagCalculator.PartCountOf(source.ETag);
            bool wholeCrc = checksum is { IsComposite: false } && Checksums.IsCrc(checksum.Algorithm);
            IReadOnlyList<StoredPart>? parts = null;
            if (!wholeCrc && etagParts > 1)
            {
                parts = await StoredContent.PartsAsync(_budget, source.BucketName, source.Key, source.Size, etagParts, cancellationToken).ConfigureAwait(false);
                if (parts is null && (fetched.RecordedPartSize ?? await ObjectHeads.PartSizeAsync(_budget, source, cancellationToken).ConfigureAwait(false)) is long partSize
                    && PartSizing.PartCount(source.Size, partSize) == etagParts)
                    parts = StoredContent.Uniform(source.Size, partSize);
            }
            bool partChecksums = checksum is { IsComposite: true } && parts is not null && parts.All(p => p.Checksum is not null);
            bool md5Parts = !wholeCrc && !partChecksums && !fetched.Encrypted && parts is not null;
            var ranges = wholeCrc || parts is null
                ? StoredContent.Uniform(source.Size, PartSizing.ChoosePartSize(source.Size, _options.PartSize))
                : parts;
            fetched.Parts = parts;
            // What a run that died left for this object: the ranges its journal records, each kept only if its bytes
            // in the temporary file still give the recorded CRC. Another object (or none) starts over.
            var recorded = DownloadJournal.Read(temporary, source.ETag, source.Size);
            if (recorded is null)
            {
                DownloadJournal.Delete(temporary); // another object's, or a journal-less leftover: start over
                // Its full length from the start (preallocation reserves the space, not the length), so the next run
                // can tell a whole temporary file from one cut short.
                using (var created = WriteLocal(() => CreatePreallocated(temporary, source.Size))) WriteLocal(() => created.SetLength(source.Size));
            }
            using var journal = WriteLocal(() => recorded is null ? DownloadJournal.Create(temporary, source.ETag, source.Size) : DownloadJournal.Append(temporary));
            var crcs = new (ulong Crc, long Length)[ranges.Count];
            var partSums = new string[ranges.Count];
            var digests = new byte[ranges.Count][];
            int fetchedRanges = 0, keptRanges = 0;
            long keptBytes = 0;
            using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAll(ranges.Select(async (range, index) =>
            {
                try
                {
                    var md5 = md5Parts ? new Md5Parts(long.MaxValue) : null;
                    var sum = wholeCrc || partChecksums ? RunningChecksum.Create(checksum!.Algorithm) : null;
                    // The journal's own CRC of the range: the object's when that is CRC-64/NVME, else one more.
                    var record = sum?.Algorithm == ChecksumAlgorithm.CRC64NVME ? sum : RunningChecksum.Create(ChecksumAlgorithm.CRC64NVME);
                    if (recorded is not null && recorded.TryGetValue((range.Offset, range.Size), out var crc)
                        && await KeptRangeAsync(temporary, range.Offset, range.Size, crc, record, md5, sum, failed.Token).ConfigureAwait(false))
                    {
                        Interlocked.Increment(ref keptRanges);
                        Interlocked.Add(ref keptBytes, range.Size);
                    }
                    else
                    {
                        // Fetched afresh (a range read back but not proven has fed the hashes: they start again).
                        sum = sum is null ? null : RunningChecksum.Create(checksum!.Algorithm);
                        record = sum?.Algorithm == ChecksumAlgorithm.CRC64NVME ? sum : RunningChecksum.Create(ChecksumAlgorithm.CRC64NVME);
                        md5 = md5 is null ? null : new Md5Parts(long.MaxValue);
                        await FetchRangeAsync(item, temporary, range.Offset, range.Size, md5, sum, ReferenceEquals(record, sum) ? null : record, failed.Token).ConfigureAwait(false);
                        WriteLocal(() => journal.Record(range.Offset, range.Size, record.CrcValue()));
                        Interlocked.Increment(ref fetchedRanges);
                    }
                    if (md5 is not null) digests[index] = md5.Digests()[0];
                    if (sum is not null && wholeCrc) crcs[index] = (sum.CrcValue(), range.Size);
                    if (sum is not null && partChecksums) partSums[index] = sum.Base64();
                }
                catch { failed.Cancel(); throw; }
            })).ConfigureAwait(false);
            fetched.Requests = fetchedRanges;
            if (keptRanges > 0) fetched.Resumed = $"resumed: {keptRanges} of {ranges.Count} ranges ({keptBytes:N0} bytes) were written by an earlier run and proven";
            if (wholeCrc) fetched.ComputedChecksum = Convert.ToBase64String(Checksums.Crc.ToBytes(checksum!.Algorithm, Checksums.Crc.Combine(checksum.Algorithm, crcs)));
            if (partChecksums) fetched.ComputedPartChecksums = partSums;
            if (md5Parts) fetched.ComputedETag = Md5Parts.Combine(digests);
            return fetched;
        }
        finally { _largeObjects.Release(); }
    }

    /// <summary>Reads back a range an earlier run wrote: kept when its bytes give the CRC its journal recorded, the
    /// object's hashes then computed from them; false (the hashes to be started afresh) otherwise.</summary>
    async Task<bool> KeptRangeAsync(string temporary, long first, long length, ulong recordedCrc, RunningChecksum record, Md5Parts? md5, RunningChecksum? sum,
        CancellationToken cancellationToken)
    {
        using var file = new FileStream(temporary, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        file.Position = first;
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            for (long left = length; left > 0;)
            {
                int read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), cancellationToken).ConfigureAwait(false);
                if (read == 0) return false;
                if (!ReferenceEquals(record, sum)) record.Append(buffer.AsSpan(0, read));
                sum?.Append(buffer.AsSpan(0, read));
                md5?.Append(buffer, 0, read);
                left -= read;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
        return record.CrcValue() == recordedCrc;
    }

    async Task FetchRangeAsync(DownloadItem item, string temporary, long first, long length, Md5Parts? hasher, RunningChecksum? checksum, RunningChecksum? journalCrc,
        CancellationToken cancellationToken)
    {
        long done = 0;
        await _budget.RunResumableAsync(async ct =>
        {
            using var response = await _s3.GetObjectAsync(new GetObjectRequest
            {
                BucketName = item.Source.BucketName, Key = item.Source.Key, EtagToMatch = item.Source.ETag,
                ByteRange = new ByteRange(first + done, first + length - 1),
            }, ct).ConfigureAwait(false);
            using var file = WriteLocal(() =>
            {
                var stream = new FileStream(temporary, FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous);
                stream.Position = first + done;
                return stream;
            });
            await CopyAsync(item, response.ResponseStream, file, length - done, hasher, checksum, n => done += n, ct, journalCrc).ConfigureAwait(false);
            WriteLocal(() => file.Flush());
        }, length, _options.MaxAttempts, cancellationToken).ConfigureAwait(false);
    }

    static void Learn(Fetched fetched, MetadataCollection metadata, ServerSideEncryptionMethod? sse, ServerSideEncryptionCustomerMethod? ssec)
    {
        fetched.StoredTime = ModifiedTimeMetadata.Parse(metadata[ModifiedTimeMetadata.Key]);
        fetched.RecordedPartSize = long.TryParse(metadata[Upload.DirectoryUpload.PartSizeMetadataKey], NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0 ? p : null;
        // SSE-KMS and SSE-C ETags are not MD5s of the content.
        fetched.Encrypted = (sse is not null && sse != ServerSideEncryptionMethod.None && sse != ServerSideEncryptionMethod.AES256)
            || (ssec is not null && ssec != ServerSideEncryptionCustomerMethod.None);
    }

    /// <summary>Copies exactly <paramref name="length"/> bytes of a response body into the file, hashing them.</summary>
    async Task CopyAsync(DownloadItem item, Stream body, FileStream file, long length, Md5Parts? hasher, RunningChecksum? checksum, Action<int> advanced, CancellationToken cancellationToken,
        RunningChecksum? also = null)
    {
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(CopyBufferSize, Math.Max(length, 1)));
        try
        {
            int filled = 0;
            while (length > 0)
            {
                int read = await body.ReadAsync(buffer.AsMemory(filled, (int)Math.Min(buffer.Length - filled, length)), cancellationToken).ConfigureAwait(false);
                if (read == 0) throw new IOException($"The body of {item.Uri} ended {length:N0} bytes early.");
                filled += read;
                length -= read;
                if (filled < buffer.Length && length > 0) continue;
                // Written a whole buffer at a time: a read returns what the socket holds (a few KiB over a path with
                // latency), so writing per read made one syscall (and, asynchronously, one thread-pool hop) per few KiB.
                try { file.Write(buffer, 0, filled); }
                catch (IOException ex) { throw new LocalWriteException(ex); }
                hasher?.Append(buffer, 0, filled);
                checksum?.Append(buffer.AsSpan(0, filled));
                also?.Append(buffer.AsSpan(0, filled));
                advanced(filled); // only what is in the file counts: a resumed GET starts after it
                filled = 0;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buffer); }
    }

    /// <summary>The proof of the bytes, strongest first: the store's whole-object checksum (checked by the SDK as a
    /// whole GET was read, or the ranges' CRCs combined), its parts' checksums (a composite), the ETag as the MD5 of the
    /// content or of its parts (computed while writing, or by reading the file once more), else size only. A mismatch
    /// writes nothing: ChecksumMismatch. A store whose checksum disagrees with its own MD5 ETag (moto's multipart
    /// checksums) is caught by that ETag: when the bytes match the ETag, the store's checksum was wrong, not the bytes.</summary>
    async Task<string> VerifyAsync(DownloadItem item, string temporary, Fetched fetched, CancellationToken cancellationToken)
    {
        if (fetched.Checksum is { } stored)
        {
            if (fetched.CheckedWhileRead) return stored.Algorithm.ToString();
            string? computed = fetched.ComputedChecksum;
            if (!stored.IsComposite)
            {
                computed ??= await ContentProof.FileChecksumAsync(stored.Algorithm, temporary, 0, item.Source.Size, cancellationToken).ConfigureAwait(false);
                if (computed == stored.Value) return stored.Algorithm.ToString();
                return await CrossCheckAsync(item, temporary, fetched, $"{stored} (computed {stored.Algorithm}:{computed})", cancellationToken).ConfigureAwait(false);
            }
            if (fetched.ComputedPartChecksums is { } partSums && fetched.Parts is { } parts)
            {
                for (int i = 0; i < parts.Count; i++)
                    if (partSums[i] != parts[i].Checksum)
                        return await CrossCheckAsync(item, temporary, fetched, $"part {parts[i].Number}'s {stored.Algorithm} {parts[i].Checksum} (computed {partSums[i]})", cancellationToken).ConfigureAwait(false);
                return $"{stored.Algorithm} of parts";
            }
        }
        return await VerifyETagAsync(item, temporary, fetched, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The store's checksum disagrees with the bytes: they are good only if they prove the ETag.</summary>
    async Task<string> CrossCheckAsync(DownloadItem item, string temporary, Fetched fetched, string disagreement, CancellationToken cancellationToken)
    {
        string byETag;
        try { byETag = await VerifyETagAsync(item, temporary, fetched, cancellationToken).ConfigureAwait(false); }
        catch (S3TurboException ex) when (ex.ErrorId == ErrorIds.ChecksumMismatch)
        {
            throw new S3TurboException(ErrorIds.ChecksumMismatch, FailureKind.InvalidData,
                $"The bytes received for {item.Uri} do not match its checksum {disagreement}, nor its ETag: the file was not written.", item.Uri, ex);
        }
        if (byETag.StartsWith("size only", StringComparison.Ordinal))
            throw new S3TurboException(ErrorIds.ChecksumMismatch, FailureKind.InvalidData,
                $"The bytes received for {item.Uri} do not match its checksum {disagreement}: the file was not written.", item.Uri);
        return $"{byETag} (the store's checksum {disagreement.Split(' ')[0]} disagrees with its own ETag)";
    }

    /// <summary>The bytes against the ETag: the MD5s computed while writing when there are any, else by reading the
    /// file once more (a large single-part object, or ranges that do not follow unknown parts).</summary>
    async Task<string> VerifyETagAsync(DownloadItem item, string temporary, Fetched fetched, CancellationToken cancellationToken)
    {
        var expected = ETagCalculator.Normalize(item.Source.ETag);
        int parts = ETagCalculator.PartCountOf(expected);
        string kind = parts > 1 ? "MD5 of parts" : "MD5";
        if (fetched.Encrypted) return "size only: the ETag of an SSE-KMS or SSE-C object is not an MD5, and the store keeps no checksum";
        if (parts == 1 && expected.Length != 32) return "size only: the store's ETag is not an MD5, and it keeps no checksum";
        if (parts < 1) return "size only: the store's ETag is not an MD5, and it keeps no checksum";
        if (fetched.ComputedETag is { } computed)
        {
            if (computed != expected) throw Mismatch(item, computed, expected);
            return kind;
        }
        if (fetched.Parts is { } known && parts > 1)
        {
            var byParts = await ETagCalculator.ComputeAsync(temporary, 0, known.Select(p => p.Size).ToList(), cancellationToken).ConfigureAwait(false);
            if (byParts != expected) throw Mismatch(item, byParts, expected);
            return kind;
        }
        if (await ETagCalculator.MatchesAsync(temporary, item.Source.Size, expected, fetched.RecordedPartSize, cancellationToken).ConfigureAwait(false)) return kind;
        if (parts == 1 || fetched.RecordedPartSize is not null)
            throw Mismatch(item, await ETagCalculator.ComputeAsync(temporary, item.Source.Size, parts == 1 ? null : fetched.RecordedPartSize, cancellationToken).ConfigureAwait(false), expected);
        return "size only: the object's part sizes are unknown, and the store keeps no checksum";
    }

    static S3TurboException Mismatch(DownloadItem item, string computed, string expected) => new(ErrorIds.ChecksumMismatch, FailureKind.InvalidData,
        $"The bytes received for {item.Uri} do not match its ETag (computed {computed}, the store says {expected}): the file was not written.", item.Uri);

    static FileStream CreatePreallocated(string path, long size)
    {
#if NET
        try
        {
            return new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete,
                Options = FileOptions.Asynchronous, BufferSize = 1, PreallocationSize = size, // a full disk shows here, before any GET
            });
        }
        catch (IOException ex) when (ex.HResult == GenericIOError && size > 0 && !File.Exists(path))
        {
            // .NET reports a preallocation that found no room (ENOSPC, EFBIG) as a plain IOException without the
            // errno, and removes the file; every other failure to create it carries its error code.
            throw new LocalWriteException(ex, diskFull: true);
        }
#else
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous);
        stream.SetLength(size);
        return stream;
#endif
    }

    /// <summary>Makes a directory, reporting a file in its way (a key that is both a file and a folder).</summary>
    void EnsureDirectory(string directory, DownloadItem item) => WriteLocal(() =>
    {
        LocalPaths.CheckNoLinkBetween(_root, directory, item.Uri);
        try { Directory.CreateDirectory(directory); }
        catch (IOException) when (FileInTheWay(directory) is { } file)
        {
            throw Conflict(item, $"'{file}' is a file, so it cannot be the directory that {item.Source.Key} needs (a key {Path.GetFileName(file)} is also an object, or a file is already there)");
        }
        return true;
    });

    string? FileInTheWay(string directory)
    {
        for (var dir = directory; dir is not null && dir.Length >= _root.Length; dir = Path.GetDirectoryName(dir))
            if (File.Exists(dir)) return dir;
        return null;
    }

    static S3TurboException Conflict(DownloadItem item, string why) => new(ErrorIds.LocalPathConflict, FailureKind.InvalidArgument,
        $"{item.Uri} was not downloaded: {why}.", item.Uri);

    /// <summary>Local file work: its IOExceptions are the disk's (never retried as if the network had failed).</summary>
    static T WriteLocal<T>(Func<T> write)
    {
        try { return write(); }
        catch (IOException ex) { throw new LocalWriteException(ex); }
    }

    static void WriteLocal(Action write) => WriteLocal(() => { write(); return true; });

    static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    DownloadResult Result(DownloadItem item, DownloadStatus status, Stopwatch? started) => new()
    {
        BucketName = item.Source.BucketName, Key = item.Source.Key, Path = item.Path, Size = Math.Max(0, item.Source.Size),
        ETag = item.Source.ETag, Status = status, Duration = started?.Elapsed ?? TimeSpan.Zero,
    };

    public override IEnumerable<DownloadResult> Failed(DownloadItem item, S3TurboException failure, TimeSpan elapsed) =>
        new[] { Result(item, DownloadStatus.Failed, null) with { Reason = failure.Message, Error = failure, Duration = elapsed } };

    /// <summary>A local mirror keeps the file a result wrote or found up to date (its path relative to the
    /// destination); a folder marker's directory is not a file to keep, nor a source.</summary>
    public override void RecordMirrorSource(DownloadResult result, Remove.MirrorSources sources)
    {
        if (result.Path.Length == 0 || result.Key.EndsWith("/", StringComparison.Ordinal)) return;
        sources.AddKey(Remove.Mirror.LocalKey(_root, result.Path));
    }

    public override S3TurboException Classify(Exception ex, DownloadItem item)
    {
        if (ex is S3TurboException typed) return typed;
        if (ex is LocalWriteException { InnerException: IOException io } local)
        {
            string directory = Path.GetDirectoryName(item.Path) ?? _root;
            return local.DiskFull
                ? new S3TurboException(ErrorIds.DiskFull, FailureKind.LimitExceeded,
                    $"The disk holding '{directory}' is full: {item.Uri} ({item.Source.Size:N0} bytes) was not written, and its temporary file was removed.", item.Path, io) { IsFatalForRun = true }
                : new S3TurboException(ErrorIds.DownloadFailed, FailureKind.InvalidData, $"'{item.Path}' could not be written: {io.Message}", item.Path, io);
        }
        if (ex is UnauthorizedAccessException denied)
            return new S3TurboException(ErrorIds.AccessDenied, FailureKind.PermissionDenied, $"'{item.Path}' cannot be written: {denied.Message}", item.Path, denied);
        if (ex is Amazon.Runtime.AmazonClientException client && IsChecksumFailure(client))
            return new S3TurboException(ErrorIds.ChecksumMismatch, FailureKind.InvalidData,
                $"The bytes received for {item.Uri} do not match what the store sent with them ({client.Message}): the file was not written.", item.Uri, ex);
        if (ex is AmazonS3Exception { ErrorCode: "NoSuchKey" } or AmazonS3Exception { StatusCode: HttpStatusCode.NotFound, ErrorCode: not "NoSuchBucket" })
            return new S3TurboException(ErrorIds.SourceNotFound, FailureKind.NotFound, $"{item.Uri} does not exist (it may have been deleted after it was listed).", item.Uri, ex);
        if (ex is AmazonS3Exception { StatusCode: HttpStatusCode.PreconditionFailed })
            return new S3TurboException(ErrorIds.SourceChanged, FailureKind.InvalidData,
                $"{item.Uri} changed while it was downloaded (its ETag no longer matches), so it was not written. Run again to download the new version.", item.Uri, ex);
        var failure = ErrorClassifier.Classify(ex, FallbackErrorId, item.Source.BucketName, item.Source.Key);
        if (failure.ErrorId != FallbackErrorId) return failure;
        return new S3TurboException(FallbackErrorId, failure.Kind, $"Downloading {item.Uri} to '{item.Path}' failed: {failure.Message}", item.Uri, ex);
    }

    /// <summary>ENOSPC (28) or EDQUOT (122) on Unix; ERROR_DISK_FULL or ERROR_HANDLE_DISK_FULL on Windows.</summary>
    static bool IsDiskFull(IOException io) => (io.HResult & 0xFFFF) is 28 or 122 or 0x70 or 0x27;

    /// <summary>A local write failed: kept apart from the IOExceptions of a broken response body, which are retried.</summary>
    sealed class LocalWriteException : Exception
    {
        public LocalWriteException(IOException inner, bool diskFull = false) : base(inner.Message, inner) => DiskFull = diskFull || IsDiskFull(inner);
        public bool DiskFull { get; }
    }

    /// <summary>COR_E_IO: an IOException that carries no operating-system error code.</summary>
    const int GenericIOError = unchecked((int)0x80131620);
}
