using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using S3Turbo.Engine.Tar;

namespace S3Turbo.Engine.Upload;

/// <summary>Send-S3Directory -Tar: the members of a local tar archive as upload items, keyed by their member paths.
/// An uncompressed archive is read in place: each member's bytes are read from its data offset, so members go up in
/// parallel like files. A compressed one (.tar.gz, .tar.zst) can only be read front to back: the archive's reader
/// decompresses once and hands each member's bytes to its item (held whole below the multipart threshold, within
/// <see cref="MaxHeldBytes"/> for the archive; streamed into a multipart upload above it). A damaged archive ends with
/// one failed item naming the offset; a member is never sent before all its bytes were read.</summary>
public sealed class TarArchiveMembers
{
    /// <summary>Bytes of members of one compressed archive held in memory at once, waiting for or being uploaded.</summary>
    public const long MaxHeldBytes = 64L * 1024 * 1024;
    const int HeldUnit = 64 * 1024;
    const int StreamChunk = 1 << 20;
    readonly string _prefix;
    readonly WildcardFilter _filter;
    readonly long _multipartThreshold;
    readonly Shard? _shard;

    /// <param name="keyPrefix">Prepended to every member path.</param>
    /// <param name="filter">-Include/-Exclude, on member names and paths.</param>
    /// <param name="multipartThreshold">Members of compressed archives from this size on are streamed, not held.</param>
    /// <param name="shard">Only members whose key is in it (decided here: a member of a compressed archive that is
    /// handed out must be taken).</param>
    public TarArchiveMembers(string? keyPrefix, WildcardFilter filter, long multipartThreshold, Shard? shard = null)
    {
        _prefix = KeyMapper.NormalizePrefix(keyPrefix); _filter = filter; _multipartThreshold = multipartThreshold; _shard = shard;
    }

    public async IAsyncEnumerable<UploadItem> ReadAsync(string archive, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var info = new FileInfo(archive);
        if (!info.Exists)
        {
            yield return UploadItem.ForFailure(archive, Directory.Exists(archive)
                ? new S3TurboException(ErrorIds.NotATarArchive, FailureKind.InvalidArgument, $"'{archive}' is a directory: -Tar takes tar archives (.tar, .tar.gz, .tar.zst).", archive)
                : new S3TurboException(ErrorIds.PathNotFound, FailureKind.NotFound, $"Cannot find path '{archive}' because it does not exist.", archive));
            yield break;
        }
        var snapshot = FileSnapshot.Of(info);
        FileStream? opened = null;
        S3TurboException? unreadable = null;
        try { opened = new FileStream(archive, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16, FileOptions.Asynchronous); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { unreadable = ErrorClassifier.Classify(ex, ErrorIds.SourceUnreadable, "", null, archive); }
        if (opened is null) { yield return UploadItem.ForFailure(archive, unreadable!); yield break; }
        using var file = opened;
        var (tar, compression) = Decompressing(file);
        // Not disposed: held members release into it after the archive has been read to its end.
        var held = new SemaphoreSlim((int)(MaxHeldBytes / HeldUnit));
        S3TurboException? damage = null;
        bool damageReported = false;
        using (tar == file ? null : tar)
        {
            var reader = new TarIndexReader(tar, archive);
            var entries = reader.ReadAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            try
            {
                while (true)
                {
                    try { if (!await entries.MoveNextAsync().ConfigureAwait(false)) break; }
                    catch (S3TurboException ex) { damage = ex; break; }
                    catch (Exception ex) when (TarCompression.IsDamagedStream(ex)) { damage = TarCompression.Damaged(archive, compression, ex); break; }
                    var entry = entries.Current;
                    if (entry.Type == TarEntryType.Directory) continue; // no object, as for a directory on disk
                    string memberPath = archive + "/" + entry.Name;
                    string key = _prefix + MemberName(entry.Name);
                    if (EscapingSegment(MemberName(entry.Name)) is { } segment)
                    {
                        // "../x" is a key S3 stores as it is, but any tool that extracts the prefix again (Receive-S3Prefix,
                        // aws s3 sync) would write it outside its destination: such members are refused by name.
                        yield return UploadItem.ForFailure(memberPath, new S3TurboException(ErrorIds.KeyEscapesDestination, FailureKind.InvalidData,
                            $"'{memberPath}' was not uploaded: its name has a '{segment}' segment, so its key would point outside -KeyPrefix when extracted.", memberPath));
                        continue;
                    }
                    if (!_filter.IsEmpty && !_filter.Accepts(key[(key.LastIndexOf('/') + 1)..], key[_prefix.Length..])) continue;
                    if (_shard?.Accepts(key) == false) continue;
                    if (KeyMapper.CheckLength(key, $"The key for '{memberPath}'", memberPath) is { } tooLong) { yield return UploadItem.ForFailure(memberPath, tooLong); continue; }
                    if (NotRegular(entry, memberPath, key) is { } planned) { yield return planned; continue; }
                    var modified = entry.ModifiedTime.UtcDateTime;
                    if (compression is null)
                    {
                        yield return UploadItem.ForMember(archive, snapshot, memberPath, key, entry.DataOffset, entry.Size, modified);
                        continue;
                    }
                    var data = entry.Size < _multipartThreshold ? TarMemberData.Held(held, HeldUnit, entry.Size) : TarMemberData.Streamed();
                    yield return UploadItem.ForStreamedMember(archive, memberPath, key, entry.Size, modified, data);
                    // Runs when the engine has taken the item: its bytes follow, read from the decompressor.
                    try { await data.FillAsync(reader, entry.Size, StreamChunk, archive, compression, cancellationToken).ConfigureAwait(false); }
                    catch (S3TurboException ex) { damage = ex; damageReported = true; break; } // the member's item fails with it
                }
            }
            finally { await entries.DisposeAsync().ConfigureAwait(false); }
            // The codec checks its data only at the end of a block or stream, past the tar's end marker: read to there.
            // Damage found only then came after members were read from it, so the error says so.
            if (damage is null && compression is not null)
            {
                try { await TarCompression.ReadToEndAsync(tar, cancellationToken).ConfigureAwait(false); }
                catch (Exception ex) when (TarCompression.IsDamagedStream(ex))
                {
                    damage = TarCompression.Damaged(archive, compression, ex,
                        "found at its end check after its members were read: the objects uploaded from it may hold damaged bytes; check the archive and send them again");
                }
            }
            if (damage is null && compression is not null) snapshot.EnsureUnchanged(archive);
        }
        if (damage is not null && !damageReported) yield return UploadItem.ForFailure(archive, damage);
    }

    /// <summary>Links and special files are skipped with a warning (a mirror keeps their keys); sparse members fail
    /// (their holes would have to be filled in). Null for a regular member.</summary>
    static UploadItem? NotRegular(TarEntry entry, string memberPath, string key) => entry.Type switch
    {
        TarEntryType.File when entry.IsSparse => UploadItem.ForFailure(memberPath, new S3TurboException(ErrorIds.InvalidTarArchive, FailureKind.InvalidData,
            $"'{memberPath}' is a sparse member (at offset {entry.HeaderOffset:N0}); -Tar uploads regular members only: extract it with tar first.", memberPath)),
        TarEntryType.File => null,
        _ => UploadItem.ForSkip(memberPath, $"{Describe(entry.Type)} in the archive, not a regular file", key),
    };

    static string Describe(TarEntryType type) => type switch
    {
        TarEntryType.SymbolicLink => "a symbolic link", TarEntryType.HardLink => "a hard link", TarEntryType.Fifo => "a FIFO",
        TarEntryType.CharacterDevice or TarEntryType.BlockDevice => "a device", _ => "an entry of unknown type",
    };

    /// <summary>The first "..", "." or empty segment of a member name (after the leading "./" and "/"), or null.</summary>
    static string? EscapingSegment(string name)
    {
        foreach (var segment in name.TrimEnd('/').Split('/'))
            if (segment is ".." or "." or "") return segment.Length == 0 ? "//" : segment;
        return null;
    }

    /// <summary>The member path as a key: without the leading "./" and "/" that tar writes for some inputs.</summary>
    static string MemberName(string name)
    {
        while (name.StartsWith("./", StringComparison.Ordinal) || name.StartsWith('/')) name = name[(name[0] == '.' ? 2 : 1)..];
        return name;
    }

    /// <summary>gzip, zstd, xz and bzip2 by their magic bytes (TarCompression); anything else is read as a plain tar.</summary>
    static (Stream Tar, string? Compression) Decompressing(FileStream file)
    {
        Span<byte> magic = stackalloc byte[4];
        int n = file.Read(magic);
        file.Position = 0;
        var compression = TarCompression.Detect(magic[..n]);
        return (TarCompression.Open(file, compression), compression);
    }
}

/// <summary>The bytes of one member of a compressed archive, handed from the archive's reader to the member's upload.
/// Held: read whole before the upload sees any of it (counted against the archive's memory cap until released).
/// Streamed: 1 MiB chunks through a channel of 4, so the reader waits for the upload; an upload that stops taking
/// them (skipped, failed, stopped) releases the reader, which then skips the rest of the member.</summary>
internal sealed class TarMemberData
{
    readonly SemaphoreSlim? _cap;
    readonly int _units;
    readonly TaskCompletionSource<byte[]>? _whole;
    readonly Channel<byte[]>? _chunks;
    int _released;

    TarMemberData(SemaphoreSlim? cap, int units, bool streamed)
    {
        _cap = cap; _units = units;
        if (streamed) _chunks = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(4) { SingleReader = true, SingleWriter = true });
        else _whole = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public static TarMemberData Held(SemaphoreSlim cap, int unit, long length) => new(cap, (int)Math.Max(1, (length + unit - 1) / unit), streamed: false);
    public static TarMemberData Streamed() => new(null, 0, streamed: true);

    public bool IsHeld => _whole is not null;

    /// <summary>Reader side: the member's bytes. A damaged archive fails the member's item with the same error.</summary>
    public async Task FillAsync(TarIndexReader reader, long length, int chunkSize, string archive, string? compression, CancellationToken cancellationToken)
    {
        try
        {
            if (_whole is not null)
            {
                for (int i = 0; i < _units; i++) await _cap!.WaitAsync(cancellationToken).ConfigureAwait(false);
                var bytes = new byte[length];
                for (int read = 0; read < length;)
                {
                    int n = await reader.ReadDataAsync(bytes.AsMemory(read), cancellationToken).ConfigureAwait(false);
                    if (n == 0) throw new EndOfStreamException();
                    read += n;
                }
                _whole.TrySetResult(bytes);
                return;
            }
            for (long left = length; left > 0;)
            {
                var chunk = new byte[Math.Min(chunkSize, left)];
                for (int read = 0; read < chunk.Length;) read += await reader.ReadDataAsync(chunk.AsMemory(read), cancellationToken).ConfigureAwait(false);
                left -= chunk.Length;
                try { await _chunks!.Writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false); }
                catch (ChannelClosedException) { return; } // the upload gave up on the member: the reader skips the rest
            }
            _chunks!.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            // A damaged compressed stream fails the member as InvalidTarArchive naming the archive, not as a bare
            // decoder exception.
            var failure = TarCompression.IsDamagedStream(ex) ? TarCompression.Damaged(archive, compression, ex) : ex;
            _whole?.TrySetException(failure);
            _chunks?.Writer.TryComplete(failure);
            if (failure != ex) throw failure;
            throw;
        }
    }

    /// <summary>Upload side, held members: all the bytes, or the archive's error.</summary>
    public Task<byte[]> WholeAsync(CancellationToken cancellationToken) => _whole!.Task.WaitAsync(cancellationToken);

    /// <summary>Upload side, streamed members: chunks in order; throws the archive's error where it went wrong.</summary>
    public async IAsyncEnumerable<byte[]> ChunksAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (await _chunks!.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            while (_chunks.Reader.TryRead(out var chunk)) yield return chunk;
    }

    /// <summary>The upload is done with the member, however it ended: memory goes back to the archive's cap, and a
    /// reader still feeding chunks is told to skip the rest.</summary>
    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        _chunks?.Writer.TryComplete(new ChannelClosedException("The member's upload ended."));
        if (_whole is not null && _whole.Task.Status == TaskStatus.RanToCompletion) _cap!.Release(_units);
    }
}
