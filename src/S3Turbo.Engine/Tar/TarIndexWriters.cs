using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
#if NET
using Parquet;
using Parquet.Serialization;
#endif

namespace S3Turbo.Engine.Tar;


/// <summary>Writes index rows to a stream in one of the formats. The column names are the seed index's
/// (archive, filename, size) followed by the extra fields, in snake_case, the same in every format.</summary>
public abstract class TarIndexWriter : IAsyncDisposable
{
    public static TarIndexFormat FormatFromPath(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jsonl" or ".ndjson" or ".json" => TarIndexFormat.Jsonl,
        ".csv" => TarIndexFormat.Csv,
        ".parquet" => TarIndexFormat.Parquet,
        var other => throw new S3TurboException(ErrorIds.InvalidOutputFormat, FailureKind.InvalidArgument,
            $"Cannot tell the index format from '{path}' (extension '{other}'): use .jsonl, .csv or .parquet, or give -Format.", path),
    };

    public static string Extension(TarIndexFormat format) => format switch { TarIndexFormat.Csv => ".csv", TarIndexFormat.Parquet => ".parquet", _ => ".jsonl" };

    /// <summary>A writer over <paramref name="destination"/>; Parquet needs a seekable destination (a file).</summary>
    public static TarIndexWriter Create(TarIndexFormat format, Stream destination) => format switch
    {
        TarIndexFormat.Jsonl => new JsonlIndexWriter(destination),
        TarIndexFormat.Csv => new CsvIndexWriter(destination),
#if NET
        _ => new ParquetIndexWriter(destination),
#else
        // Parquet.Net 6 has no .NET Framework build.
        _ => throw new S3TurboException(ErrorIds.ParquetNeedsPowerShell7, FailureKind.NotSupported, "Parquet output needs PowerShell 7; Windows PowerShell 5.1 can write JSONL or CSV.", null),
#endif
    };

    public long Rows { get; private set; }

    public async ValueTask WriteAsync(TarEntry entry, CancellationToken cancellationToken = default)
    {
        await WriteRowAsync(TarIndexRow.From(entry), cancellationToken).ConfigureAwait(false);
        Rows++;
    }

    protected abstract ValueTask WriteRowAsync(TarIndexRow row, CancellationToken cancellationToken);
    /// <summary>Writes what is buffered and the format's trailer; the destination stays open.</summary>
    public abstract Task CompleteAsync(CancellationToken cancellationToken = default);
    public virtual ValueTask DisposeAsync() => ValueTask.CompletedTask;

    sealed class JsonlIndexWriter : TarIndexWriter
    {
        readonly Stream _destination;
        readonly MemoryStream _buffer = new();
        public JsonlIndexWriter(Stream destination) => _destination = destination;

        protected override async ValueTask WriteRowAsync(TarIndexRow row, CancellationToken cancellationToken)
        {
            JsonSerializer.Serialize(_buffer, row, TarIndexJson.Default.TarIndexRow);
            _buffer.WriteByte((byte)'\n');
            if (_buffer.Length >= 1 << 16) await FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        async Task FlushAsync(CancellationToken cancellationToken)
        {
            await _destination.WriteAsync(_buffer.GetBuffer().AsMemory(0, (int)_buffer.Length), cancellationToken).ConfigureAwait(false);
            _buffer.SetLength(0);
        }

        public override async Task CompleteAsync(CancellationToken cancellationToken = default)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            await _destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    sealed class CsvIndexWriter : TarIndexWriter
    {
        static readonly string Header = string.Join(',', TarIndexRow.Columns) + "\n";
        readonly Stream _destination;
        readonly StringBuilder _text = new(Header);
        public CsvIndexWriter(Stream destination) => _destination = destination;

        protected override async ValueTask WriteRowAsync(TarIndexRow row, CancellationToken cancellationToken)
        {
            CsvRow.Append(_text, row.Values());
            if (_text.Length >= 1 << 15) await FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        async Task FlushAsync(CancellationToken cancellationToken)
        {
            var bytes = Encoding.UTF8.GetBytes(_text.ToString());
            _text.Clear();
            await _destination.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        }

        public override async Task CompleteAsync(CancellationToken cancellationToken = default)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            await _destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

#if NET
    /// <summary>Parquet via Parquet.Net: rows are buffered and written as row groups of 100,000, appended to the
    /// (seekable) destination, so memory stays bounded for archives of millions of members.</summary>
    sealed class ParquetIndexWriter : TarIndexWriter
    {
        const int RowGroupRows = 100_000;
        readonly Stream _destination;
        readonly List<TarIndexRow> _rows = new();
        bool _started;
        public ParquetIndexWriter(Stream destination) => _destination = destination;

        protected override async ValueTask WriteRowAsync(TarIndexRow row, CancellationToken cancellationToken)
        {
            _rows.Add(row);
            if (_rows.Count >= RowGroupRows) await FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (_rows.Count == 0 && _started) return;
            await ParquetSerializer.SerializeAsync(_rows, _destination, new ParquetOptions { Append = _started }, cancellationToken: cancellationToken).ConfigureAwait(false);
            _started = true;
            _rows.Clear();
        }

        public override async Task CompleteAsync(CancellationToken cancellationToken = default)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            await _destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

#endif
}

/// <summary>One index row: the seed's fields (archive, filename, size) and S3Turbo's extra ones.</summary>
public sealed class TarIndexRow
{
    public static readonly string[] Columns =
    {
        "archive", "filename", "size", "type", "header_offset", "data_offset", "stored_size", "sparse", "link_name", "mode", "uid", "gid", "user_name", "group_name", "modified_time",
    };

    [JsonPropertyName("archive")] public string Archive { get; set; } = "";
    [JsonPropertyName("filename")] public string Filename { get; set; } = "";
    [JsonPropertyName("size")] public long Size { get; set; }
    [JsonPropertyName("type")] public string Type { get; set; } = "";
    [JsonPropertyName("header_offset")] public long HeaderOffset { get; set; }
    [JsonPropertyName("data_offset")] public long DataOffset { get; set; }
    [JsonPropertyName("stored_size")] public long StoredSize { get; set; }
    [JsonPropertyName("sparse")] public bool Sparse { get; set; }
    [JsonPropertyName("link_name")] public string? LinkName { get; set; }
    [JsonPropertyName("mode")] public int Mode { get; set; }
    [JsonPropertyName("uid")] public long Uid { get; set; }
    [JsonPropertyName("gid")] public long Gid { get; set; }
    [JsonPropertyName("user_name")] public string UserName { get; set; } = "";
    [JsonPropertyName("group_name")] public string GroupName { get; set; } = "";
    [JsonPropertyName("modified_time")] public DateTime ModifiedTime { get; set; }

    public static TarIndexRow From(TarEntry e) => new()
    {
        Archive = e.Archive, Filename = e.Name, Size = e.Size, Type = e.Type.ToString(), HeaderOffset = e.HeaderOffset, DataOffset = e.DataOffset,
        StoredSize = e.StoredSize, Sparse = e.IsSparse, LinkName = e.LinkName, Mode = e.Mode, Uid = e.Uid, Gid = e.Gid,
        UserName = e.UserName, GroupName = e.GroupName, ModifiedTime = e.ModifiedTime.UtcDateTime,
    };

    internal string?[] Values() => new[]
    {
        Archive, Filename, Size.ToString(CultureInfo.InvariantCulture), Type, HeaderOffset.ToString(CultureInfo.InvariantCulture),
        DataOffset.ToString(CultureInfo.InvariantCulture), StoredSize.ToString(CultureInfo.InvariantCulture), Sparse ? "true" : "false", LinkName,
        Mode.ToString(CultureInfo.InvariantCulture), Uid.ToString(CultureInfo.InvariantCulture), Gid.ToString(CultureInfo.InvariantCulture), UserName, GroupName,
        ModifiedTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
    };
}

[JsonSerializable(typeof(TarIndexRow))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
internal partial class TarIndexJson : JsonSerializerContext { }
