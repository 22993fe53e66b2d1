using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tar;

/// <summary>Where an index goes: a local file, one S3 object, or one S3 object per archive. Nothing half-written
/// is left: a local index is written to a temporary file renamed at the end, S3 indexes go through S3UploadStream
/// and are aborted on failure, and an archive that fails gets no per-archive index.</summary>
public sealed class TarIndexOutput : IRunOutput<TarEntry, TarArchiveResult>
{
    readonly RequestBudget? _budget;
    readonly ObjectSettings _settings;
    readonly TarIndexFormat _format;
    readonly string? _localPath;
    readonly string? _bucket, _key, _prefix;
    readonly Dictionary<string, Sink> _perArchive = new();
    readonly List<string> _written = new();
    readonly List<Task> _pending = new();
    readonly SemaphoreSlim _completing = new(16);
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, Task> _stored = new(StringComparer.Ordinal);
    Sink? _single;

    TarIndexOutput(RequestBudget? budget, ObjectSettings? settings, TarIndexFormat format, string? localPath, string? bucket, string? key, string? prefix)
    { _budget = budget; _settings = settings ?? new ObjectSettings(); _format = format; _localPath = localPath; _bucket = bucket; _key = key; _prefix = prefix; }

    public static TarIndexOutput ToFile(string path, TarIndexFormat format) => new(null, null, format, Path.GetFullPath(path), null, null, null);
    /// <summary>One index object, uploaded through the run's request budget with the given object settings (the
    /// content type defaults to the format's).</summary>
    public static TarIndexOutput ToObject(RequestBudget budget, string bucket, string key, TarIndexFormat format, ObjectSettings? settings = null)
    {
        BucketNames.Validate(bucket);
        return new(budget, settings, format, null, bucket, key, null);
    }
    /// <summary>One index per archive at {prefix}{archive key}{extension}, so the index tree mirrors (and is
    /// partitioned like) the archives' key prefixes.</summary>
    public static TarIndexOutput PerArchive(RequestBudget budget, string bucket, string prefix, TarIndexFormat format, ObjectSettings? settings = null)
    {
        BucketNames.Validate(bucket);
        return new(budget, settings, format, null, bucket, null, KeyMapper.NormalizePrefix(prefix));
    }

    public IReadOnlyList<string> Written => _written;

    /// <summary>An entry is written to its index.</summary>
    public ValueTask AcceptPartAsync(TarEntry part, CancellationToken cancellationToken) => WriteAsync(part, cancellationToken);

    /// <summary>An archive's result finishes its own index (per-archive output).</summary>
    public ValueTask AcceptOutcomeAsync(TarArchiveResult outcome, CancellationToken cancellationToken) => new(ArchiveDoneAsync(outcome, cancellationToken));

    public async ValueTask WriteAsync(TarEntry entry, CancellationToken cancellationToken)
    {
        Sink sink;
        if (_prefix is null) sink = _single ??= await OpenAsync(_localPath, _bucket, _key, cancellationToken).ConfigureAwait(false);
        else if (!_perArchive.TryGetValue(entry.Archive, out sink!))
            _perArchive[entry.Archive] = sink = await OpenAsync(null, _bucket, _prefix + entry.Key + TarIndexWriter.Extension(_format), cancellationToken).ConfigureAwait(false);
        await sink.Writer.WriteAsync(entry, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Finishes an archive's own index (per-archive output); a failed archive's partial index is dropped.</summary>
    public async Task ArchiveDoneAsync(TarArchiveResult result, CancellationToken cancellationToken)
    {
        if (_prefix is null) return;
        if (!_perArchive.Remove(result.Archive, out var sink))
        {
            if (result.Error is not null) return;
            sink = await OpenAsync(null, _bucket, _prefix + result.Key + TarIndexWriter.Extension(_format), cancellationToken).ConfigureAwait(false); // an empty archive still gets its (empty) index
        }
        if (result.Error is not null) { await sink.AbortAsync().ConfigureAwait(false); return; }
        // Finishing an index is an upload of its own: several go at once, so the next archive's entries need not wait.
        await _completing.WaitAsync(cancellationToken).ConfigureAwait(false);
        var completing = Task.Run(async () =>
        {
            try
            {
                var written = await sink.CompleteAsync(cancellationToken).ConfigureAwait(false);
                lock (_written) _written.Add(written);
            }
            finally { _completing.Release(); }
        }, cancellationToken);
        _pending.Add(completing);
        _stored[result.Archive] = completing;
    }

    /// <summary>Completes when the archive's own index object is stored (per-archive output), at once otherwise;
    /// faults when it could not be stored. Asked once per archive result, after <see cref="AcceptOutcomeAsync"/>.</summary>
    public Task StoredAsync(TarArchiveResult result) =>
        _stored.TryRemove(result.Archive, out var completing) ? completing : Task.CompletedTask;

    /// <summary>Finishes every index after the last archive; the summary names where they went.</summary>
    public async Task<TransferSummary> CompleteAsync(TransferSummary summary, CancellationToken cancellationToken)
    {
        if (_prefix is not null) await Task.WhenAll(_pending).ConfigureAwait(false);
        else if (summary.Incomplete)
        {
            // One index of every archive: a run stopped by its time limit has not read them all, and an index that
            // lacks some must not replace a whole one. Nothing is written; the next run writes it whole.
            if (_single is not null) await _single.AbortAsync().ConfigureAwait(false);
            _single = null;
        }
        else
        {
            _single ??= await OpenAsync(_localPath, _bucket, _key, cancellationToken).ConfigureAwait(false);
            _written.Add(await _single.CompleteAsync(cancellationToken).ConfigureAwait(false));
            _single = null;
        }
        return summary is TarIndexSummary tar ? tar with { Outputs = _written.ToArray() } : summary;
    }

    /// <summary>Abandons everything not yet completed (stop or failure).</summary>
    public async ValueTask DisposeAsync()
    {
        try { await Task.WhenAll(_pending).ConfigureAwait(false); } catch (Exception) { /* the run already failed */ }
        if (_single is not null) await _single.AbortAsync().ConfigureAwait(false);
        foreach (var sink in _perArchive.Values) await sink.AbortAsync().ConfigureAwait(false);
        _perArchive.Clear();
    }

    async Task<Sink> OpenAsync(string? localPath, string? bucket, string? key, CancellationToken cancellationToken)
    {
        if (localPath is not null)
        {
            var temp = localPath + ".partial-" + Guid.NewGuid().ToString("N")[..8];
            var file = new FileStream(temp, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous);
            return new Sink(TarIndexWriter.Create(_format, file), () => { file.Dispose(); File.Move(temp, localPath, overwrite: true); return Task.FromResult(localPath); },
                () => { file.Dispose(); File.Delete(temp); return Task.CompletedTask; });
        }
        var upload = new S3UploadStream(_budget!, new UploadStreamOptions { BucketName = bucket!, Key = key!, Settings = _settings with { ContentType = _settings.ContentType ?? ContentTypeOf(_format) } }, cancellationToken);
        if (_format != TarIndexFormat.Parquet)
            return new Sink(TarIndexWriter.Create(_format, upload), async () => { await upload.CompleteAsync(cancellationToken).ConfigureAwait(false); return $"s3://{bucket}/{key}"; }, upload.AbortAsync);
        // Parquet appends row groups by seeking back to its footer, so it is built in a temporary file first.
        var tempPath = Path.Combine(Path.GetTempPath(), "s3turbo-index-" + Guid.NewGuid().ToString("N") + ".parquet");
        var temp2 = new FileStream(tempPath, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        return new Sink(TarIndexWriter.Create(_format, temp2), async () =>
        {
            temp2.Position = 0;
            await temp2.CopyToAsync(upload, 1 << 20, cancellationToken).ConfigureAwait(false);
            await upload.CompleteAsync(cancellationToken).ConfigureAwait(false);
            await temp2.DisposeAsync().ConfigureAwait(false);
            return $"s3://{bucket}/{key}";
        }, async () => { await temp2.DisposeAsync().ConfigureAwait(false); await upload.AbortAsync().ConfigureAwait(false); });
    }

    static string ContentTypeOf(TarIndexFormat format) => format switch
    {
        TarIndexFormat.Csv => "text/csv", TarIndexFormat.Parquet => "application/vnd.apache.parquet", _ => "application/x-ndjson",
    };

    sealed class Sink
    {
        readonly Func<Task<string>> _commit;
        readonly Func<Task> _abort;
        public Sink(TarIndexWriter writer, Func<Task<string>> commit, Func<Task> abort)
        { Writer = writer; _commit = commit; _abort = abort; }
        public TarIndexWriter Writer { get; }

        public async Task<string> CompleteAsync(CancellationToken cancellationToken)
        {
            await Writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
            return await _commit().ConfigureAwait(false);
        }

        public Task AbortAsync() => _abort();
    }
}
