using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3.Model;
using Sylvan.Data.Csv;

namespace S3Turbo.Engine.Manifest;

/// <summary>One object a manifest names, with what the manifest knows of it; <see cref="Origin"/> says where
/// ("data/abc.csv.gz line 12"), for errors.</summary>
public sealed record ManifestEntry(string BucketName, string Key, string? VersionId, long? Size, string? ETag, DateTime? LastModified, string Origin);

/// <summary>What a manifest held that a run does not act on (reported, never dropped silently).</summary>
public sealed class ManifestCounts
{
    public long Entries;
    public long NoncurrentVersions;
    public long DeleteMarkers;
}

/// <summary>Reads the object lists users already have instead of listing: an S3 Inventory manifest.json (its CSV.gz
/// or Parquet data files, columns by its fileSchema, keys URL-decoded, each file's MD5 checked before any of its rows
/// is used) or an S3 Batch Operations CSV manifest (Bucket,Key[,VersionId], URL-encoded keys, checked whole before
/// its first row is used). Either may be a local file or an s3:// URI; inventory data files are read from the
/// manifest's destination bucket. A damaged manifest is an InvalidManifest/ManifestChecksumMismatch error naming
/// the file and line, raised before the rows of that file are handed out, so nothing runs on half a file.</summary>
public static class ObjectManifest
{
    /// <summary>The S3 Inventory CSV fields (fileSchema names), as the inventory documentation lists them.</summary>
    static readonly HashSet<string> InventoryFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "Bucket", "Key", "VersionId", "IsLatest", "IsDeleteMarker", "Size", "LastModifiedDate", "ETag", "StorageClass",
        "IsMultipartUploaded", "ReplicationStatus", "EncryptionStatus", "ObjectLockRetainUntilDate", "ObjectLockMode",
        "ObjectLockLegalHoldStatus", "IntelligentTieringAccessTier", "BucketKeyStatus", "ChecksumAlgorithm",
        "ObjectAccessControlList", "ObjectOwner", "LifecycleExpirationDate",
    };

    /// <summary>The entries of the manifest at <paramref name="location"/> (a path or s3://bucket/key).
    /// <paramref name="allowVersions"/>: a Batch Operations row may name a version (removal can act on it);
    /// otherwise such a row is an error, and an inventory's noncurrent versions and delete markers are counted in
    /// <paramref name="counts"/> and left out.</summary>
    public static async IAsyncEnumerable<ManifestEntry> ReadAsync(RequestBudget budget, string location, bool allowVersions, ManifestCounts counts,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var manifest = await FetchAsync(budget, location, null, cancellationToken).ConfigureAwait(false);
        if (LooksLikeJson(manifest.Path))
        {
            await foreach (var entry in ReadInventoryAsync(budget, location, manifest.Path, counts, cancellationToken).ConfigureAwait(false)) yield return entry;
            yield break;
        }
        var name = location;
        await foreach (var _ in ReadBatchCsvAsync(manifest.Path, name, allowVersions, cancellationToken).ConfigureAwait(false)) { } // the whole file is checked first
        await foreach (var entry in ReadBatchCsvAsync(manifest.Path, name, allowVersions, cancellationToken).ConfigureAwait(false))
        {
            counts.Entries++;
            yield return entry;
        }
    }

    static bool LooksLikeJson(string path)
    {
        using var file = File.OpenRead(path);
        int b;
        while ((b = file.ReadByte()) >= 0 && char.IsWhiteSpace((char)b)) { }
        return b == '{';
    }

    // ---- S3 Batch Operations CSV ----

    static async IAsyncEnumerable<ManifestEntry> ReadBatchCsvAsync(string path, string name, bool allowVersions, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var text = new StreamReader(path, Encoding.UTF8);
        using var csv = await CsvDataReader.CreateAsync(text, new CsvDataReaderOptions { HasHeaders = false }, cancellationToken).ConfigureAwait(false);
        int line = 0;
        while (await csv.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            line++;
            string where = $"{name} line {line}";
            int fields = csv.RowFieldCount;
            if (fields == 1 && csv.GetString(0).Length == 0) continue; // a blank line
            if (fields is < 2 or > 3)
                throw Invalid(where, $"a Batch Operations manifest row has 2 or 3 fields (Bucket,Key[,VersionId]); this one has {fields}");
            string bucket = csv.GetString(0).Trim(), key = Decode(csv.GetString(1), where);
            string? version = fields == 3 && csv.GetString(2).Length > 0 ? csv.GetString(2) : null;
            if (!BucketNames.IsValid(bucket)) throw Invalid(where, $"'{bucket}' is not a valid bucket name");
            if (key.Length == 0) throw Invalid(where, "the key is empty");
            if (version is not null && !allowVersions)
                throw Invalid(where, $"the row names version '{version}' of '{key}'; only Remove-S3Prefix acts on versions: give rows without a VersionId");
            yield return new ManifestEntry(bucket, key, version, null, null, null, where);
        }
    }

    /// <summary>Keys in both manifest kinds are URL-encoded (S3 writes spaces as '+').</summary>
    static string Decode(string encoded, string where)
    {
        try { return WebUtility.UrlDecode(encoded); }
        catch (Exception ex) when (ex is ArgumentException or FormatException) { throw Invalid(where, $"the key '{encoded}' is not URL-encoded"); }
    }

    // ---- S3 Inventory ----

    static async IAsyncEnumerable<ManifestEntry> ReadInventoryAsync(RequestBudget budget, string location, string manifestPath, ManifestCounts counts,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        JsonElement root;
        try { root = JsonDocument.Parse(File.ReadAllBytes(manifestPath)).RootElement; } // a manifest.json is small
        catch (JsonException ex) { throw Invalid(location, $"it is not valid JSON ({ex.Message})"); }
        string Text(string property) => root.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : throw Invalid(location, $"an inventory manifest needs \"{property}\"");
        string format = Text("fileFormat");
        string destination = Text("destinationBucket");
        string dataBucket = destination.StartsWith("arn:aws:s3:::", StringComparison.Ordinal) ? destination["arn:aws:s3:::".Length..] : destination;
        if (!root.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array) throw Invalid(location, "an inventory manifest needs a \"files\" array");
        string[]? columns = null;
        if (format.Equals("CSV", StringComparison.OrdinalIgnoreCase))
        {
            columns = Text("fileSchema").Split(',').Select(c => c.Trim()).ToArray();
            var unknown = columns.Where(c => !InventoryFields.Contains(c)).ToList();
            if (unknown.Count > 0) throw Invalid(location, $"fileSchema names columns S3 Inventory does not have: {string.Join(", ", unknown)}");
            if (!columns.Contains("Bucket", StringComparer.OrdinalIgnoreCase) || !columns.Contains("Key", StringComparer.OrdinalIgnoreCase))
                throw Invalid(location, "fileSchema must include Bucket and Key");
        }
        else if (!format.Equals("Parquet", StringComparison.OrdinalIgnoreCase))
            throw new S3TurboException(ErrorIds.UnsupportedManifestFormat, FailureKind.InvalidArgument,
                $"{location}: inventory fileFormat '{format}' is not read by S3Turbo (CSV and Parquet are); configure the inventory as CSV or Parquet.", location);

        foreach (var file in files.EnumerateArray())
        {
            string key = file.TryGetProperty("key", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : throw Invalid(location, "a \"files\" entry has no \"key\"");
            string? md5 = file.TryGetProperty("MD5checksum", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            var dataLocation = $"s3://{dataBucket}/{key}";
            using var data = await FetchAsync(budget, dataLocation, md5, cancellationToken).ConfigureAwait(false);
            IAsyncEnumerable<InventoryRow> Rows() => columns is not null ? ReadInventoryCsvAsync(data.Path, dataLocation, columns, cancellationToken) : ReadInventoryParquetAsync(data.Path, dataLocation, cancellationToken);
            await foreach (var _ in Rows().ConfigureAwait(false)) { } // every row is checked before the first is used
            await foreach (var row in Rows().ConfigureAwait(false))
            {
                if (row.IsDeleteMarker) { counts.DeleteMarkers++; continue; }
                if (!row.IsLatest) { counts.NoncurrentVersions++; continue; }
                counts.Entries++;
                yield return row.Entry;
            }
        }
    }

    readonly record struct InventoryRow(ManifestEntry Entry, bool IsLatest, bool IsDeleteMarker);

    static async IAsyncEnumerable<InventoryRow> ReadInventoryCsvAsync(string path, string name, string[] columns, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int Column(string field) => Array.FindIndex(columns, c => c.Equals(field, StringComparison.OrdinalIgnoreCase));
        int bucketAt = Column("Bucket"), keyAt = Column("Key"), latestAt = Column("IsLatest"),
            markerAt = Column("IsDeleteMarker"), sizeAt = Column("Size"), modifiedAt = Column("LastModifiedDate"), etagAt = Column("ETag");
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var text = new StreamReader(gzip, Encoding.UTF8);
        using var csv = await CsvDataReader.CreateAsync(text, new CsvDataReaderOptions { HasHeaders = false }, cancellationToken).ConfigureAwait(false);
        int line = 0;
        while (await csv.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            line++;
            string where = $"{name} line {line}";
            if (csv.RowFieldCount != columns.Length)
                throw Invalid(where, $"the row has {csv.RowFieldCount} fields but fileSchema names {columns.Length}");
            string Field(int at) => at < 0 ? "" : csv.GetString(at);
            string bucket = Field(bucketAt), key = Decode(Field(keyAt), where);
            if (!BucketNames.IsValid(bucket) || key.Length == 0) throw Invalid(where, $"the row does not name an object (bucket '{bucket}', key '{key}')");
            long? size = null;
            if (Field(sizeAt) is { Length: > 0 } s)
                size = long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Invalid(where, $"the size '{s}' is not a number");
            DateTime? modified = null;
            if (Field(modifiedAt) is { Length: > 0 } t)
                modified = DateTime.TryParse(t, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var d) ? d : throw Invalid(where, $"the date '{t}' is not a date");
            // The version is left out: only current versions are used, and they are acted on as the object itself
            // (a removal then adds a delete marker, as it would from a listing, instead of erasing the version).
            var entry = new ManifestEntry(bucket, key, null, size, Field(etagAt) is { Length: > 0 } e ? e : null, modified, where);
            yield return new InventoryRow(entry, !Field(latestAt).Equals("false", StringComparison.OrdinalIgnoreCase), Field(markerAt).Equals("true", StringComparison.OrdinalIgnoreCase));
        }
    }

#if NET
    static async IAsyncEnumerable<InventoryRow> ReadInventoryParquetAsync(string path, string name, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var file = File.OpenRead(path);
        await using var reader = await Parquet.ParquetReader.CreateAsync(file, cancellationToken: cancellationToken).ConfigureAwait(false);
        var fields = reader.Schema.GetDataFields().ToDictionary(f => f.Name, StringComparer.OrdinalIgnoreCase);
        if (!fields.ContainsKey("bucket") || !fields.ContainsKey("key")) throw Invalid(name, "a Parquet inventory file needs the columns bucket and key");
        Parquet.Schema.DataField? Field(string column) => fields.GetValueOrDefault(column);
        long row = 0;
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            int rows = checked((int)group.RowCount);
            var buckets = await Strings(group, Field("bucket"), rows, cancellationToken).ConfigureAwait(false);
            var keys = await Strings(group, Field("key"), rows, cancellationToken).ConfigureAwait(false);
            var etags = await Strings(group, Field("e_tag"), rows, cancellationToken).ConfigureAwait(false);
            var latest = await Values<bool>(group, Field("is_latest"), rows, cancellationToken).ConfigureAwait(false);
            var markers = await Values<bool>(group, Field("is_delete_marker"), rows, cancellationToken).ConfigureAwait(false);
            var sizes = await Values<long>(group, Field("size"), rows, cancellationToken).ConfigureAwait(false);
            var modified = Field("last_modified_date") is { } timeField
                ? timeField.ClrType == typeof(DateTimeOffset)
                    ? (await Values<DateTimeOffset>(group, timeField, rows, cancellationToken).ConfigureAwait(false))!.Select(t => t?.UtcDateTime).ToArray()
                    : (await Values<DateTime>(group, timeField, rows, cancellationToken).ConfigureAwait(false))!.Select(t => t?.ToUniversalTime()).ToArray()
                : null;
            for (int i = 0; i < rows; i++)
            {
                row++;
                string where = $"{name} row {row}";
                string bucket = buckets![i] ?? "", key = keys![i] ?? ""; // Parquet keys are not URL-encoded
                if (!BucketNames.IsValid(bucket) || key.Length == 0) throw Invalid(where, $"the row does not name an object (bucket '{bucket}', key '{key}')");
                var entry = new ManifestEntry(bucket, key, null, sizes?[i], etags?[i], modified?[i], where);
                yield return new InventoryRow(entry, latest?[i] is not false, markers?[i] is true);
            }
        }
    }

    static async Task<string?[]?> Strings(Parquet.ParquetRowGroupReader group, Parquet.Schema.DataField? field, int rows, CancellationToken cancellationToken)
    {
        if (field is null) return null;
        var values = new string?[rows];
        await group.ReadAsync(field, values.AsMemory(), null, cancellationToken).ConfigureAwait(false);
        return values;
    }

    static async Task<T?[]?> Values<T>(Parquet.ParquetRowGroupReader group, Parquet.Schema.DataField? field, int rows, CancellationToken cancellationToken) where T : struct
    {
        if (field is null) return null;
        var values = new T?[rows];
        if (field.IsNullable) await group.ReadAsync<T>(field, values.AsMemory(), null, cancellationToken).ConfigureAwait(false);
        else
        {
            var plain = new T[rows];
            await group.ReadAsync<T>(field, plain.AsMemory(), null, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < rows; i++) values[i] = plain[i];
        }
        return values;
    }
#else
    static IAsyncEnumerable<InventoryRow> ReadInventoryParquetAsync(string path, string name, CancellationToken cancellationToken) =>
        throw new S3TurboException(ErrorIds.UnsupportedManifestFormat, FailureKind.InvalidArgument,
            $"{name}: Parquet inventories are read by S3Turbo on PowerShell 7 (the Parquet library needs .NET 8); use PowerShell 7 or a CSV inventory.", name);
#endif

    // ---- fetching ----

    /// <summary>A local manifest as it is; one in S3 streamed to a temporary file (deleted on dispose) so it can be
    /// checked whole and read twice without memory growing with its size. <paramref name="expectedMd5"/>: the MD5
    /// the inventory manifest gives for a data file.</summary>
    static async Task<FetchedFile> FetchAsync(RequestBudget budget, string location, string? expectedMd5, CancellationToken cancellationToken)
    {
        if (!location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(location))
                throw new S3TurboException(ErrorIds.ManifestNotFound, FailureKind.NotFound, $"The manifest '{location}' does not exist.", location);
            if (expectedMd5 is not null) await CheckMd5Async(location, location, expectedMd5, cancellationToken).ConfigureAwait(false);
            return new FetchedFile(location, temporary: false);
        }
        var path = S3Path.Parse(location, "ManifestPath");
        var temporary = Path.Combine(Path.GetTempPath(), $"s3turbo-manifest-{Guid.NewGuid():N}");
        try
        {
            await budget.RunAsync(async ct =>
            {
                using var response = await budget.Client.GetObjectAsync(new GetObjectRequest { BucketName = path.BucketName, Key = path.Key }, ct).ConfigureAwait(false);
                using var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
                await response.ResponseStream.CopyToAsync(file, 1 << 16, ct).ConfigureAwait(false);
                return response;
            }, 0, cancellationToken).ConfigureAwait(false);
            if (expectedMd5 is not null) await CheckMd5Async(temporary, location, expectedMd5, cancellationToken).ConfigureAwait(false);
            return new FetchedFile(temporary, temporary: true);
        }
        catch (Amazon.S3.AmazonS3Exception ex) when (ex.StatusCode == HttpStatusCode.NotFound)
        {
            File.Delete(temporary);
            throw new S3TurboException(ErrorIds.ManifestNotFound, FailureKind.NotFound, $"The manifest file {location} does not exist ({ex.ErrorCode}).", location, ex);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    static async Task CheckMd5Async(string path, string location, string expected, CancellationToken cancellationToken)
    {
        using var file = File.OpenRead(path);
        using var md5 = MD5.Create();
        var buffer = new byte[1 << 16];
        int n;
        while ((n = await file.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false)) > 0) md5.TransformBlock(buffer, 0, n, null, 0);
        md5.TransformFinalBlock(buffer, 0, 0);
        var actual = Convert.ToHexString(md5.Hash!).ToLowerInvariant();
        if (!actual.Equals(expected.Trim(), StringComparison.OrdinalIgnoreCase))
            throw new S3TurboException(ErrorIds.ManifestChecksumMismatch, FailureKind.InvalidData,
                $"{location}: its MD5 is {actual} but the inventory manifest gives {expected}; the file is damaged or not the one the manifest describes. Nothing from it was used.", location);
    }

    sealed class FetchedFile : IDisposable
    {
        readonly bool _temporary;
        public FetchedFile(string path, bool temporary) { Path = path; _temporary = temporary; }
        public string Path { get; }
        public void Dispose() { if (_temporary) File.Delete(Path); }
    }

    static S3TurboException Invalid(string where, string what) =>
        new(ErrorIds.InvalidManifest, FailureKind.InvalidData, $"{where}: {what}.", where);
}
