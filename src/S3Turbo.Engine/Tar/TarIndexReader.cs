using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using S3Turbo.Engine;

namespace S3Turbo.Engine.Tar;

/// <summary>Reads the member headers of a tar archive and skips member data: by seeking when the stream can seek
/// (an S3ObjectStream then fetches only the header blocks), by reading past it otherwise (a decompressor).
///
/// Written by hand because System.Formats.Tar.TarReader rejects GNU sparse members ("Entry type 'SparseFile' not
/// supported"), does not expose where headers and data start, and cannot say where a damaged archive went wrong.
/// Formats: POSIX ustar (name prefix), GNU (././@LongLink names and link names, sparse 'S' members with their
/// real size, base-256 numbers), PAX extended and global headers (path, linkpath, size, mtime, uid, gid, uname,
/// gname, GNU.sparse.* for PAX sparse files).</summary>
public sealed class TarIndexReader
{
    const int BlockSize = 512;
    const long MaxMetadataSize = 16L * 1024 * 1024; // PAX records and long names; more means a damaged header
    static readonly Encoding StrictUtf8 = new UTF8Encoding(false, throwOnInvalidBytes: true);
    static readonly Encoding Latin1 = Encoding.Latin1;
    readonly Stream _stream;
    readonly string _bucket, _key, _archive;
    readonly byte[] _block = new byte[BlockSize];
    readonly Dictionary<string, string> _global = new(StringComparer.Ordinal);
    long _position;
    /// <summary>Where the data of the member last yielded ends (see <see cref="ReadDataAsync"/>).</summary>
    long _dataEnd;

    public TarIndexReader(Stream stream, string bucket, string key) : this(stream, bucket, key, $"s3://{bucket}/{key}") { }

    /// <summary>A local archive: errors name <paramref name="path"/>; entries carry it as their Key.</summary>
    public TarIndexReader(Stream stream, string path) : this(stream, "", path, path) { }

    TarIndexReader(Stream stream, string bucket, string key, string archive)
    {
        _stream = stream; _bucket = bucket; _key = key; _archive = archive;
        _position = stream.CanSeek ? stream.Position : 0;
    }

    string Archive => _archive;

    /// <summary>Reads the data of the member just yielded by <see cref="ReadAsync"/>, before asking it for the next
    /// one (which skips whatever was not read): 0 at the member's end. An archive that ends before the member's data
    /// does throws TruncatedTarArchive with the offset, so a caller never takes a short member for a whole one.</summary>
    public async ValueTask<int> ReadDataAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        long left = _dataEnd - _position;
        if (left <= 0 || buffer.Length == 0) return 0;
        int n = await _stream.ReadAsync(buffer[..(int)Math.Min(buffer.Length, left)], cancellationToken).ConfigureAwait(false);
        if (n == 0) throw Error(ErrorIds.TruncatedTarArchive, _position, $"the archive ends {_dataEnd - _position:N0} bytes before the end of a member's data, which runs to {_dataEnd:N0}");
        _position += n;
        return n;
    }

    /// <summary>Members in archive order. A damaged archive throws a TarFormatException (with the offset) after
    /// yielding every member before the damage.</summary>
    public async IAsyncEnumerable<TarEntry> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Dictionary<string, string>? pax = null;
        string? longName = null, longLink = null;
        long? memberStart = null;
        bool first = true;
        while (true)
        {
            long headerOffset = _position;
            int n = await ReadBlockAsync(cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                if (first) throw Error(ErrorIds.NotATarArchive, 0, "the object is empty (0 bytes), not a tar archive");
                if (memberStart is not null) throw Error(ErrorIds.TruncatedTarArchive, headerOffset, "the archive ends after an extended header, before the member it describes");
                yield break; // no end-of-archive blocks: tolerated, as GNU tar does
            }
            if (n < BlockSize) throw Error(ErrorIds.TruncatedTarArchive, headerOffset, $"the archive ends {n} bytes into a 512-byte header");
            if (_block.AsSpan().IndexOfAnyExcept((byte)0) < 0)
            {
                if (memberStart is not null) throw Error(ErrorIds.TruncatedTarArchive, headerOffset, "an end-of-archive block follows an extended header");
                yield break;
            }
            if (!ChecksumMatches())
                throw first
                    ? Error(ErrorIds.NotATarArchive, 0, "the first 512 bytes are not a tar header (bad checksum)")
                    : Error(ErrorIds.InvalidTarArchive, headerOffset, "the header checksum does not match (a corrupt header)");
            first = false;
            memberStart ??= headerOffset;
            byte type = _block[156];
            long size = Number(124, 12, "size", headerOffset);
            if (size < 0) throw Error(ErrorIds.InvalidTarArchive, headerOffset, $"the header gives a negative size ({size})");
            switch (type)
            {
                case (byte)'x': pax = ParsePax(await ReadMetadataAsync(size, headerOffset, cancellationToken).ConfigureAwait(false), headerOffset); continue;
                case (byte)'g':
                    foreach (var (k, v) in ParsePax(await ReadMetadataAsync(size, headerOffset, cancellationToken).ConfigureAwait(false), headerOffset)) _global[k] = v;
                    memberStart = null;
                    continue;
                case (byte)'L': longName = CString(await ReadMetadataAsync(size, headerOffset, cancellationToken).ConfigureAwait(false)); continue;
                case (byte)'K': longLink = CString(await ReadMetadataAsync(size, headerOffset, cancellationToken).ConfigureAwait(false)); continue;
            }

            string Attribute(string name) => pax is not null && pax.TryGetValue(name, out var v) ? v : _global.GetValueOrDefault(name) ?? "";
            bool isPosix = _block.AsSpan(257, 6).SequenceEqual("ustar\0"u8);
            string name = CString(_block.AsSpan(0, 100));
            if (isPosix && _block[345] != 0) name = CString(_block.AsSpan(345, 155)) + "/" + name;
            name = Override(Attribute("path"), longName ?? name);
            string linkName = Override(Attribute("linkpath"), longLink ?? CString(_block.AsSpan(157, 100)));
            if (Attribute("size") is { Length: > 0 } paxSize) size = ParseDecimal(paxSize, "size", headerOffset);
            long storedSize = size, realSize = size;
            bool sparse = false;

            if (type == (byte)'S')
            {
                // Old GNU sparse: the real size is in the header; extension blocks of the sparse map follow it.
                sparse = true;
                realSize = Number(483, 12, "real size", headerOffset);
                bool extended = _block[482] != 0;
                while (extended)
                {
                    long extensionOffset = _position;
                    if (await ReadBlockAsync(cancellationToken).ConfigureAwait(false) < BlockSize)
                        throw Error(ErrorIds.TruncatedTarArchive, extensionOffset, $"the archive ends inside the sparse map of '{name}'");
                    extended = _block[504] != 0;
                }
            }
            else if ((Attribute("GNU.sparse.realsize") is { Length: > 0 } r ? r : Attribute("GNU.sparse.size")) is { Length: > 0 } paxReal)
            {
                // PAX sparse (GNU 0.x/1.0): the real size and name are attributes; 1.0 stores the map before the data.
                sparse = true;
                realSize = ParseDecimal(paxReal, "GNU.sparse.realsize", headerOffset);
                if (Attribute("GNU.sparse.name") is { Length: > 0 } sparseName) name = sparseName;
            }

            long dataOffset = _position;
            long next = dataOffset + RoundUp(storedSize);
            if (_stream.CanSeek && dataOffset + storedSize > _stream.Length)
                throw Error(ErrorIds.TruncatedTarArchive, headerOffset,
                    $"'{name}' needs {storedSize:N0} bytes of data from offset {dataOffset:N0} but the archive ends at {_stream.Length:N0}");

            _dataEnd = dataOffset + storedSize;
            yield return new TarEntry
            {
                BucketName = _bucket, Key = _key, Name = name, Size = realSize, StoredSize = storedSize, IsSparse = sparse,
                HeaderOffset = memberStart.Value, DataOffset = dataOffset, Type = TypeOf(type), LinkName = linkName.Length == 0 ? null : linkName,
                Mode = (int)Number(100, 8, "mode", headerOffset),
                Uid = Attribute("uid") is { Length: > 0 } uid ? ParseDecimal(uid, "uid", headerOffset) : Number(108, 8, "uid", headerOffset),
                Gid = Attribute("gid") is { Length: > 0 } gid ? ParseDecimal(gid, "gid", headerOffset) : Number(116, 8, "gid", headerOffset),
                UserName = Override(Attribute("uname"), CString(_block.AsSpan(265, 32))),
                GroupName = Override(Attribute("gname"), CString(_block.AsSpan(297, 32))),
                ModifiedTime = Attribute("mtime") is { Length: > 0 } mtime ? FromUnixSeconds(mtime, headerOffset) : DateTimeOffset.FromUnixTimeSeconds(Number(136, 12, "mtime", headerOffset)),
            };
            await SkipToAsync(next, name, headerOffset, cancellationToken).ConfigureAwait(false);
            pax = null; longName = null; longLink = null; memberStart = null;
        }
    }

    static string Override(string attribute, string value) => attribute.Length > 0 ? attribute : value;
    static long RoundUp(long size) => (size + BlockSize - 1) / BlockSize * BlockSize;

    static TarEntryType TypeOf(byte type) => type switch
    {
        (byte)'0' or 0 or (byte)'7' or (byte)'S' => TarEntryType.File,
        (byte)'1' => TarEntryType.HardLink,
        (byte)'2' => TarEntryType.SymbolicLink,
        (byte)'3' => TarEntryType.CharacterDevice,
        (byte)'4' => TarEntryType.BlockDevice,
        (byte)'5' or (byte)'D' => TarEntryType.Directory,
        (byte)'6' => TarEntryType.Fifo,
        _ => TarEntryType.Other,
    };

    bool ChecksumMatches()
    {
        long unsignedSum = 0, signedSum = 0;
        for (int i = 0; i < BlockSize; i++)
        {
            byte b = i is >= 148 and < 156 ? (byte)' ' : _block[i];
            unsignedSum += b;
            signedSum += (sbyte)b;
        }
        if (!TryParseOctal(_block.AsSpan(148, 8), out long stored)) return false;
        return stored == unsignedSum || stored == signedSum;
    }

    /// <summary>An octal ASCII field, or GNU's base-256 (first byte's high bit set) for values that do not fit.</summary>
    long Number(int offset, int length, string field, long headerOffset)
    {
        var span = _block.AsSpan(offset, length);
        if ((span[0] & 0x80) != 0)
        {
            bool negative = (span[0] & 0x40) != 0;
            long value = span[0] & 0x3F;
            if (negative) value |= ~0x3FL;
            for (int i = 1; i < span.Length; i++) value = (value << 8) | span[i];
            return value;
        }
        return TryParseOctal(span, out long parsed) ? parsed
            : throw Error(ErrorIds.InvalidTarArchive, headerOffset, $"the {field} field is not a number ('{Latin1.GetString(span).Trim('\0', ' ')}')");
    }

    static bool TryParseOctal(ReadOnlySpan<byte> span, out long value)
    {
        value = 0;
        int i = 0;
        while (i < span.Length && (span[i] == ' ' || span[i] == 0)) i++;
        bool any = false;
        for (; i < span.Length && span[i] is >= (byte)'0' and <= (byte)'7'; i++) { value = value * 8 + (span[i] - '0'); any = true; }
        for (; i < span.Length; i++) if (span[i] != ' ' && span[i] != 0) return false;
        return any || span.IndexOfAnyExcept((byte)0, (byte)' ') < 0;
    }

    long ParseDecimal(string text, string field, long headerOffset) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v
        : throw Error(ErrorIds.InvalidTarArchive, headerOffset, $"the PAX {field} '{text}' is not a whole number");

    DateTimeOffset FromUnixSeconds(string text, long headerOffset) =>
        decimal.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond))
            : throw Error(ErrorIds.InvalidTarArchive, headerOffset, $"the PAX mtime '{text}' is not a number");

    /// <summary>Names are UTF-8 (as PAX requires and GNU tar writes in UTF-8 locales); bytes that are not valid
    /// UTF-8 are read as Latin-1, so every name is still reported, byte for byte.</summary>
    static string CString(ReadOnlySpan<byte> bytes)
    {
        int end = bytes.IndexOf((byte)0);
        return Decode(end >= 0 ? bytes[..end] : bytes);
    }

    static string Decode(ReadOnlySpan<byte> bytes)
    {
        try { return StrictUtf8.GetString(bytes); }
        catch (DecoderFallbackException) { return Latin1.GetString(bytes); }
    }

    Dictionary<string, string> ParsePax(byte[] data, long headerOffset)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        int pos = 0;
        while (pos < data.Length && data[pos] != 0)
        {
            int space = Array.IndexOf(data, (byte)' ', pos);
            if (space < 0 || !int.TryParse(Encoding.ASCII.GetString(data, pos, space - pos), out int length) || length <= 0 || pos + length > data.Length)
                throw Error(ErrorIds.InvalidTarArchive, headerOffset, $"a PAX record at byte {pos} of the extended header is malformed");
            var record = data.AsSpan(space + 1, pos + length - space - 2); // without the trailing newline
            int equals = record.IndexOf((byte)'=');
            if (equals < 0) throw Error(ErrorIds.InvalidTarArchive, headerOffset, $"a PAX record at byte {pos} has no '='");
            result[Decode(record[..equals])] = Decode(record[(equals + 1)..]);
            pos += length;
        }
        return result;
    }

    async Task<byte[]> ReadMetadataAsync(long size, long headerOffset, CancellationToken cancellationToken)
    {
        if (size > MaxMetadataSize) throw Error(ErrorIds.InvalidTarArchive, headerOffset, $"an extended header of {size:N0} bytes is implausibly large");
        long start = _position;
        var data = new byte[size];
        int read = await ReadFullyAsync(data, cancellationToken).ConfigureAwait(false);
        if (read < size) throw Error(ErrorIds.TruncatedTarArchive, _position, "the archive ends inside an extended header");
        await SkipToAsync(start + RoundUp(size), "extended header", headerOffset, cancellationToken).ConfigureAwait(false);
        return data;
    }

    async Task<int> ReadBlockAsync(CancellationToken cancellationToken) => await ReadFullyAsync(_block, cancellationToken).ConfigureAwait(false);

    async Task<int> ReadFullyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = await _stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
            if (n == 0) break;
            total += n;
        }
        _position += total;
        return total;
    }

    async Task SkipToAsync(long target, string name, long headerOffset, CancellationToken cancellationToken)
    {
        if (target <= _position) return;
        if (_stream.CanSeek)
        {
            _stream.Position = target;
            _position = target;
            return;
        }
        var scratch = new byte[Math.Min(1 << 20, target - _position)];
        while (_position < target)
        {
            int n = await _stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, target - _position)), cancellationToken).ConfigureAwait(false);
            if (n == 0) throw Error(ErrorIds.TruncatedTarArchive, headerOffset, $"the archive ends at {_position:N0} inside the data of '{name}', which runs to {target:N0}");
            _position += n;
        }
    }

    TarFormatException Error(string errorId, long offset, string what) =>
        new(errorId, $"{Archive}: {what} (at offset {offset:N0}).", Archive, offset);
}

/// <summary>A tar archive that cannot be read on (not a tar, truncated, corrupt), with the offset where it went wrong.</summary>
public sealed class TarFormatException : S3TurboException
{
    public TarFormatException(string errorId, string message, string archive, long offset)
        : base(errorId, FailureKind.InvalidData, message, archive) => Offset = offset;

    /// <summary>Offset in the (decompressed) archive where reading failed.</summary>
    public long Offset { get; }
}
