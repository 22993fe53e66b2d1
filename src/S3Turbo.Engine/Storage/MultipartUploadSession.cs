using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Storage;

/// <summary>One multipart upload (parts uploaded or copied). Parts run concurrently inside the shared request
/// budget, at most as many of one upload at a time as the budget allows (so small items are not starved behind
/// thousands of queued parts). The first part failure cancels its siblings; any failure or cancellation aborts
/// the upload with a token of its own, so Ctrl+C never leaves an open upload behind.</summary>
public sealed class MultipartUploadSession
{
    static readonly TimeSpan AbortTimeout = TimeSpan.FromSeconds(60);
    readonly IAmazonS3 _s3;
    readonly RequestBudget _budget;

    public MultipartUploadSession(RequestBudget budget, string bucket, string key)
    { _s3 = budget.Client; _budget = budget; Bucket = bucket; Key = key; }

    public string Bucket { get; }
    public string Key { get; }
    public string? UploadId { get; private set; }
    /// <summary>Asked when the upload is stopped (cancelled): true leaves it open for the next run to resume
    /// (-Resumable, or the time limit) instead of aborting it. A failure always aborts.</summary>
    public Func<bool>? KeepOnStop { get; init; }

    /// <summary>Takes over an upload an earlier run began and left (see <see cref="FindResumableAsync"/>).</summary>
    public void Adopt(string uploadId) => UploadId = uploadId;

    /// <summary>The newest multipart upload begun for exactly this key and neither completed nor aborted (a killed
    /// or time-limited run's), or null.</summary>
    public async Task<string?> FindResumableAsync(CancellationToken cancellationToken)
    {
        ListedUpload? newest = null;
        await foreach (var upload in ObjectLister.ListUploadsAsync(_budget, Bucket, Key, 1000, cancellationToken).ConfigureAwait(false))
            if (upload.Key == Key && (newest is null || upload.Initiated > newest.Initiated)) newest = upload;
        return newest?.UploadId;
    }

    /// <summary>The parts an adopted upload holds, by number: size, ETag and checksum (when the store keeps one), and
    /// the checksum algorithm the upload was begun with (null when the store does not say).</summary>
    public async Task<(IReadOnlyDictionary<int, PartDetail> Parts, Amazon.S3.ChecksumAlgorithm? Algorithm)> ListPartsAsync(CancellationToken cancellationToken)
    {
        var parts = new Dictionary<int, PartDetail>();
        Amazon.S3.ChecksumAlgorithm? algorithm = null;
        int? marker = null;
        while (true)
        {
            var request = new ListPartsRequest { BucketName = Bucket, Key = Key, UploadId = UploadId, MaxParts = 1000 };
            if (marker is int m) request.PartNumberMarker = m.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var page = await _budget.RunAsync(ct => _s3.ListPartsAsync(request, ct), 0, cancellationToken).ConfigureAwait(false);
            algorithm ??= page.ChecksumAlgorithm;
            foreach (var part in page.Parts ?? new List<PartDetail>())
                if (part.PartNumber is int number) parts[number] = part;
            if (page.IsTruncated != true || page.NextPartNumberMarker is not int next) break;
            marker = next;
        }
        return (parts, algorithm);
    }

    /// <summary>Creates the upload. The request itself is not cancelled midway: the server may already have
    /// created the upload when a cancelled request gives up, and without its UploadId nothing could abort it (the
    /// 20-seed cancellation suite caught exactly that). Cancellation is honoured right after, by aborting.</summary>
    public async Task StartAsync(InitiateMultipartUploadRequest request, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var bounded = new CancellationTokenSource(AbortTimeout);
        var response = await _budget.RunAsync(ct => _s3.InitiateMultipartUploadAsync(request, ct), 0, cancellationToken, bounded.Token).ConfigureAwait(false);
        UploadId = response.UploadId;
        if (cancellationToken.IsCancellationRequested)
        {
            if (KeepOnStop?.Invoke() != true) await AbortAsync().ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }
    }

    /// <summary>Uploads parts 1..partCount and completes the upload, each part and the whole object proven by
    /// <paramref name="proof"/> (each part's checksum is computed from its stream before it is sent; the whole
    /// object's checksum goes with CompleteMultipartUpload). <paramref name="createPart"/> returns a request whose
    /// seekable InputStream is disposed here, and the part's length. An object that completes but fails its check
    /// is deleted again. Returns the store's answer and the object's checksum as "ALGORITHM:value" (the store's, else
    /// the one the parts give; null when checksums are off).</summary>
    public async Task<(CompleteMultipartUploadResponse Completed, string? Checksum)> RunPartsAsync(int partCount, Func<int, CancellationToken, (UploadPartRequest Request, long Bytes)> createPart,
        UploadProof proof, Action? beforeComplete, CancellationToken cancellationToken, IReadOnlyDictionary<int, (PartETag Part, SentBody Body)>? stored = null,
        Action<CompleteMultipartUploadRequest>? prepareComplete = null)
    {
        var sent = new SentBody[partCount];
        var completed = await RunAsync(partCount, async (partNumber, ct) =>
        {
            // A part an earlier run stored, proven to be this part's bytes (a resumed upload): not sent again.
            if (stored is not null && stored.TryGetValue(partNumber, out var kept)) { sent[partNumber - 1] = kept.Body; return kept.Part; }
            await Task.Yield(); // each part's checksum is read on its own thread, not one after another on the scheduling loop
            var (request, bytes) = createPart(partNumber, ct);
            using var body = request.InputStream;
            var measured = sent[partNumber - 1] = proof.Prepare(request, body);
            var response = await UploadPartAsync(partNumber, request, bytes, ct).ConfigureAwait(false);
            proof.Check($"Part {partNumber} of s3://{Bucket}/{Key}", measured, response.ETag,
                StoredChecksum.From(response.ChecksumCRC64NVME, response.ChecksumCRC32C, response.ChecksumCRC32, response.ChecksumSHA256, null), response.ServerSideEncryptionMethod);
            return UploadProof.PartOf(partNumber, response, measured);
        }, beforeComplete, request => { proof.Complete(request, sent); prepareComplete?.Invoke(request); }, cancellationToken).ConfigureAwait(false);
        var answered = StoredChecksum.From(completed.ChecksumCRC64NVME, completed.ChecksumCRC32C, completed.ChecksumCRC32, completed.ChecksumSHA256, completed.ChecksumType?.Value);
        try { proof.CheckCompleted($"s3://{Bucket}/{Key}", sent, completed.ETag, answered, completed.ServerSideEncryptionMethod); }
        catch (IOException)
        {
            var delete = new DeleteObjectRequest { BucketName = Bucket, Key = Key, VersionId = string.IsNullOrEmpty(completed.VersionId) ? null : completed.VersionId };
            try { await _budget.RunAsync(ct => _s3.DeleteObjectAsync(delete, ct), 0, CancellationToken.None).ConfigureAwait(false); }
            catch (Exception) { /* the check's failure is the one reported */ }
            throw;
        }
        return (completed, answered?.ToString() ?? (proof.WholeChecksum(sent) is { } whole ? $"{proof.Algorithm}:{whole}" : null));
    }

    /// <summary>Uploads one part (the request's InputStream must be seekable: it is rewound for each attempt). The
    /// response's ETag and checksums go into CompleteMultipartUpload (new PartETag(response)).</summary>
    /// <param name="partNumber">The part's number, from 1.</param>
    /// <param name="request">The part; its InputStream must be seekable.</param>
    /// <param name="bytes">The part's size, for the budget's throughput measure.</param>
    /// <param name="cancellationToken">Cancels the wait for a request slot (and the request, unless requestToken is given).</param>
    /// <param name="requestToken">Cancels the request once sent, when given.</param>
    public async Task<UploadPartResponse> UploadPartAsync(int partNumber, UploadPartRequest request, long bytes, CancellationToken cancellationToken,
        CancellationToken? requestToken = null)
    {
        if (UploadId is null) throw new InvalidOperationException("StartAsync must succeed before parts are sent.");
        request.BucketName = Bucket; request.Key = Key; request.UploadId = UploadId; request.PartNumber = partNumber;
        var body = request.InputStream;
        return await _budget.RunAsync(c => { body.Position = 0; return _s3.UploadPartAsync(request, c); }, bytes, cancellationToken, requestToken ?? cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Completes the upload with the parts in order; <paramref name="prepare"/> adds what proves the whole
    /// object (its checksum, see UploadProof.Complete).</summary>
    public Task<CompleteMultipartUploadResponse> CompleteAsync(IEnumerable<PartETag> parts, Action<CompleteMultipartUploadRequest>? prepare, CancellationToken cancellationToken)
    {
        var complete = new CompleteMultipartUploadRequest { BucketName = Bucket, Key = Key, UploadId = UploadId, PartETags = parts.OrderBy(p => p.PartNumber).ToList() };
        prepare?.Invoke(complete);
        return _budget.RunAsync(ct => _s3.CompleteMultipartUploadAsync(complete, ct), 0, cancellationToken);
    }

    /// <summary>Copies parts 1..partCount with UploadPartCopy; <paramref name="createPart"/> fills the source and range.</summary>
    public Task<CompleteMultipartUploadResponse> RunCopyPartsAsync(int partCount, Func<int, (CopyPartRequest Request, long Bytes)> createPart,
        CancellationToken cancellationToken) =>
        RunAsync(partCount, async (partNumber, ct) =>
        {
            var (request, bytes) = createPart(partNumber);
            request.DestinationBucket = Bucket; request.DestinationKey = Key; request.UploadId = UploadId; request.PartNumber = partNumber;
            var response = await _budget.RunAsync(c => _s3.CopyPartAsync(request, c), bytes, ct).ConfigureAwait(false);
            // An upload declared with a checksum needs each part's in CompleteMultipartUpload.
            return new PartETag(partNumber, response.ETag)
            {
                ChecksumCRC64NVME = response.ChecksumCRC64NVME, ChecksumCRC32C = response.ChecksumCRC32C,
                ChecksumCRC32 = response.ChecksumCRC32, ChecksumSHA256 = response.ChecksumSHA256,
            };
        }, null, null, cancellationToken);

    async Task<CompleteMultipartUploadResponse> RunAsync(int partCount, Func<int, CancellationToken, Task<PartETag>> runPart,
        Action? beforeComplete, Action<CompleteMultipartUploadRequest>? prepareComplete, CancellationToken cancellationToken)
    {
        if (UploadId is null) throw new InvalidOperationException("StartAsync must succeed before parts are sent.");
        using var siblings = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = new List<Task<PartETag>>();
        var done = new PartETag[partCount];
        Exception? failure = null;
        try
        {
            for (int partNumber = 1; partNumber <= partCount && failure is null; partNumber++)
            {
                while (running.Count >= Math.Max(2, _budget.Concurrency))
                {
                    var collected = Collect(running, done, await Task.WhenAny(running).ConfigureAwait(false), siblings);
                    failure ??= collected; // the first failure is the one reported; later ones are its echoes
                }
                if (failure is null) running.Add(runPart(partNumber, siblings.Token));
            }
            while (running.Count > 0)
            {
                var collected = Collect(running, done, await Task.WhenAny(running).ConfigureAwait(false), siblings);
                failure ??= collected;
            }
            if (failure is not null) throw failure;
            beforeComplete?.Invoke();
            return await CompleteAsync(done, prepareComplete, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            siblings.Cancel();
            try { await Task.WhenAll(running).ConfigureAwait(false); } catch { /* their failures are already reported */ }
            // Stopped (not failed) with the run's leave to keep it: the parts stored so far are the next run's.
            bool keep = ex is OperationCanceledException && cancellationToken.IsCancellationRequested && KeepOnStop?.Invoke() == true;
            if (!keep) await AbortAsync().ConfigureAwait(false);
            throw;
        }
    }

    static Exception? Collect(List<Task<PartETag>> running, PartETag[] done, Task<PartETag> finished, CancellationTokenSource siblings)
    {
        running.Remove(finished);
        if (finished.IsCompletedSuccessfully) { done[finished.Result.PartNumber!.Value - 1] = finished.Result; return null; }
        siblings.Cancel();
        return finished.Exception?.InnerException ?? new OperationCanceledException(siblings.Token);
    }

    /// <summary>Whether the upload can still be listed (ListParts answers rather than NoSuchUpload).</summary>
    async Task<bool> StillOpenAsync(string uploadId, CancellationToken cancellationToken)
    {
        try
        {
            await _budget.RunOutsideLimitAsync(ct => _s3.ListPartsAsync(new ListPartsRequest { BucketName = Bucket, Key = Key, UploadId = uploadId, MaxParts = 1 }, ct), cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound) { return false; }
        catch (AmazonS3Exception) { return false; } // cannot tell (denied): the abort itself was accepted
    }

    /// <summary>Aborts the upload, whatever cancelled the caller. Never throws: an abort that still fails after a
    /// minute of retries is left for the bucket's lifecycle rule (see docs).</summary>
    public async Task AbortAsync()
    {
        // The id is read once: aborts can overlap (a stop and a failure), and the first to see the upload gone clears
        // UploadId; a retry that read it afresh would send no id and spin until the deadline (a minute, seen in a test).
        if (UploadId is not { } uploadId) return;
        // Tried again until the deadline, not just through the SDK's own retries: those are spent within seconds when
        // the store is briefly unreachable (the gateway-restart suite left an upload open that way). Counted in the
        // budget but outside its limit: clean-up must not wait behind a full budget or be cancelled with the run.
        using var timeout = new CancellationTokenSource(AbortTimeout);
        var pause = TimeSpan.FromMilliseconds(500);
        while (!timeout.IsCancellationRequested)
        {
            try
            {
                await _budget.RunOutsideLimitAsync(ct => _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Bucket, Key = Key, UploadId = uploadId }, ct),
                    timeout.Token).ConfigureAwait(false);
                // A part whose upload the server was still finishing can land after the abort and leave the upload
                // listed (S3 says an upload may need aborting more than once; seen on Ceph when a pipeline stopped with
                // parts in flight). So the abort is confirmed: aborted again while the upload can still be listed.
                if (await StillOpenAsync(uploadId, timeout.Token).ConfigureAwait(false))
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token).ConfigureAwait(false);
                    continue;
                }
                UploadId = null;
                return;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested) { return; }
            catch (AmazonS3Exception ex) when (ex.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                UploadId = null; // already gone (completed or aborted): nothing is left open
                return;
            }
            // 409: Ceph refuses an abort while a part upload holds the upload (seen in its log); it succeeds once that ends.
            catch (AmazonS3Exception ex) when ((int)ex.StatusCode is >= 400 and < 500 && (int)ex.StatusCode is not (408 or 409 or 429))
            {
                return; // refused (e.g. denied): asking again will not help
            }
            catch (Exception)
            {
                try { await Task.Delay(pause, timeout.Token).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }
}
