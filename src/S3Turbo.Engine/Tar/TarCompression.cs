using System.IO.Compression;

namespace S3Turbo.Engine.Tar;

/// <summary>The compressions a tar archive comes in, told by its first bytes (not its name), each read as a stream
/// front to back: gzip (.NET's own), zstd (ZstdSharp), xz and bzip2 (SharpCompress). Shared by the index
/// (Get-S3TarIndex) and the member upload (Send-S3Directory -Tar).</summary>
public static class TarCompression
{
    /// <summary>The name of the compression the magic bytes announce ("gzip", "zstd", "xz", "bzip2"), or null.</summary>
    public static string? Detect(ReadOnlySpan<byte> magic)
    {
        if (magic.Length >= 2 && magic[0] == 0x1F && magic[1] == 0x8B) return "gzip";
        if (magic.Length >= 4 && magic[..4].SequenceEqual(new byte[] { 0x28, 0xB5, 0x2F, 0xFD })) return "zstd";
        if (magic.Length >= 4 && magic[..4].SequenceEqual(new byte[] { 0xFD, (byte)'7', (byte)'z', (byte)'X' })) return "xz";
        if (magic.Length >= 3 && magic[0] == (byte)'B' && magic[1] == (byte)'Z' && magic[2] == (byte)'h') return "bzip2";
        return null;
    }

    /// <summary>A decompressing stream over <paramref name="compressed"/> (left open), or the stream itself when uncompressed.</summary>
    public static Stream Open(Stream compressed, string? compression) => compression switch
    {
        "gzip" => new GZipStream(compressed, CompressionMode.Decompress, leaveOpen: true),
        "zstd" => new ZstdSharp.DecompressionStream(compressed, leaveOpen: true),
        // SharpCompress's decoders read their input a few bytes at a time: a buffer turns that into large reads.
        "xz" => new SharpCompress.Compressors.Xz.XZStream(Buffered(compressed)),
        // Concatenated streams decompressed as one, as bzip2 -d does (pbzip2 writes them). An xz file is read as one
        // stream (xz -T writes one, of many blocks); SharpCompress stops after the first of concatenated ones, which
        // the tar reader then reports as a truncated archive, never as a short index.
        "bzip2" => SharpCompress.Compressors.BZip2.BZip2Stream.Create(Buffered(compressed), SharpCompress.Compressors.CompressionMode.Decompress, decompressConcatenated: true, leaveOpen: false),
        _ => compressed,
    };

    // XZStream asks its input for Position (a block's header size), which a BufferedStream over a forward-only stream
    // refuses: the outer reader counts what has been read instead.
    static Stream Buffered(Stream compressed) => new ForwardReader(new BufferedStream(new ForwardReader(compressed, owns: false), 1 << 16), owns: true);

    /// <summary>Reads a decompressing stream to its end (what follows the tar's end marker: record padding), so that the
    /// codec checks what it checks only there.</summary>
    public static async Task ReadToEndAsync(Stream decompressed, CancellationToken cancellationToken)
    {
        var rest = new byte[81920];
        while (await decompressed.ReadAsync(rest, 0, rest.Length, cancellationToken).ConfigureAwait(false) > 0) { }
    }

    /// <summary>The error for a compressed stream that is damaged (<see cref="IsDamagedStream"/>), naming the archive;
    /// <paramref name="consequence"/> says what it means for the work already done, if anything.</summary>
    public static TarFormatException Damaged(string archive, string? compression, Exception ex, string? consequence = null) =>
        new(ErrorIds.InvalidTarArchive, $"{archive}: the {compression} stream is damaged: {ex.Message}" + (consequence is null ? "" : $" ({consequence})"), archive, -1);

    /// <summary>Whether an exception is a damaged compressed stream (as opposed to a failed read).</summary>
    public static bool IsDamagedStream(Exception ex) =>
        ex is InvalidDataException or ZstdSharp.ZstdException
            // SharpCompress throws its own types only for bad data, some of them internal (measured on cut and
            // flipped archives: ArchiveOperationException 'BZip2 error', IncompleteArchiveException, InvalidFormatException
            // 'Block check corrupt', LZMA's DataErrorException); a failed read of the archive keeps its own type.
            || ex.GetType().Namespace?.StartsWith("SharpCompress", StringComparison.Ordinal) == true;

    /// <summary>A forward-only view of a stream: it reads through, counts what it has read as its Position, and leaves
    /// the stream under it open unless it owns it (XZStream has no leave-open, and a BufferedStream disposes what it
    /// wraps).</summary>
    sealed class ForwardReader : Stream
    {
        readonly Stream _inner;
        readonly bool _owns;
        long _read;
        public ForwardReader(Stream inner, bool owns) { _inner = inner; _owns = owns; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) { int n = _inner.Read(buffer, offset, count); _read += n; return n; }
        public override async Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        {
            int n = await _inner.ReadAsync(buffer, offset, count, cancellationToken).ConfigureAwait(false);
            _read += n;
            return n;
        }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing && _owns) _inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
