using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Amazon.S3.Model;

namespace S3Turbo.Engine.Manifest;

/// <summary>One task (object) of a run, as a completion report row.</summary>
public sealed record ReportRow(string BucketName, string Key, string? VersionId, bool Succeeded, int HttpStatusCode, string? ErrorCode, string ResultMessage)
{
    /// <summary>The row for an item's outcome, about the object (or file) it names: succeeded with its status word
    /// (Copied, Skipped, Indexed…) as the message, or failed with the error's id, the store's HTTP status where there
    /// was one, and its message.</summary>
    public static ReportRow For(ITransferOutcome outcome)
    {
        var (bucket, key, versionId) = outcome.Subject;
        if (outcome.Outcome != OutcomeKind.Failed) return new ReportRow(bucket, key, versionId, true, 200, null, outcome.StatusText);
        var error = outcome.Error;
        int status = error?.InnerException is Amazon.Runtime.AmazonServiceException { StatusCode: var code } && (int)code > 0 ? (int)code
            : error?.Kind switch { FailureKind.NotFound => 404, FailureKind.PermissionDenied or FailureKind.Authentication => 403, FailureKind.InvalidArgument or FailureKind.InvalidData => 400, _ => 500 };
        return new ReportRow(bucket, key, versionId, false, status, error?.ErrorId ?? "Failed", error?.Message ?? "Failed");
    }
}

/// <summary>A completion report in S3 Batch Operations' format (Report_CSV_20180820), so tools that read Batch
/// Operations reports read a manifest or sharded run's outcome: job-ID/manifest.json lists one CSV result file per
/// task status (succeeded, failed), each with its MD5. Rows are written to temporary files as results come (memory
/// stays flat for any number of tasks) and stored, in S3 or a local directory, when the run completes.</summary>
public sealed class CompletionReport : IDisposable
{
    public const string Format = "Report_CSV_20180820";
    // AWS's manifest names the columns in this order, while its rows carry the HTTP status before the error code;
    // the rows follow AWS's rows, so a reader written against real reports reads these.
    public const string Schema = "Bucket, Key, VersionId, TaskStatus, ErrorCode, HTTPStatusCode, ResultMessage";

    readonly RequestBudget? _budget;
    readonly string? _bucket, _directory;
    readonly string _prefix;
    readonly bool _failedOnly;
    readonly string _temp = Path.Combine(Path.GetTempPath(), "s3turbo-report-" + Guid.NewGuid().ToString("N"));
    readonly Dictionary<bool, StreamWriter> _writers = new();
    readonly StringBuilder _line = new();

    CompletionReport(RequestBudget? budget, string? bucket, string? directory, string prefix, bool failedOnly, string jobId)
    {
        _budget = budget; _bucket = bucket; _directory = directory; _failedOnly = failedOnly;
        JobId = jobId;
        _prefix = prefix + "job-" + jobId + "/";
    }

    /// <summary>A report at an s3://bucket/prefix/ URI (through the run's request budget) or under a local directory.</summary>
    public static CompletionReport Create(RequestBudget budget, string location, bool failedOnly, string jobId)
    {
        if (location.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            var path = S3Path.Parse(location, "ReportPath");
            return new CompletionReport(budget, path.BucketName, null, KeyMapper.NormalizePrefix(path.Key), failedOnly, jobId);
        }
        return new CompletionReport(null, null, Path.GetFullPath(location), "", failedOnly, jobId);
    }

    public string JobId { get; }
    public long Succeeded { get; private set; }
    public long Failed { get; private set; }

    /// <summary>Where the report's manifest.json is (or will be).</summary>
    public string ManifestLocation => _bucket is not null ? $"s3://{_bucket}/{_prefix}manifest.json" : Path.Combine(_directory!, _prefix, "manifest.json");

    /// <summary>Adds a task's row (failed tasks only, when the report is for those). Called from one thread at a time.</summary>
    public void Add(ReportRow row)
    {
        if (row.Succeeded) Succeeded++; else Failed++;
        if (row.Succeeded && _failedOnly) return;
        if (!_writers.TryGetValue(row.Succeeded, out var writer))
        {
            Directory.CreateDirectory(_temp);
            _writers[row.Succeeded] = writer = new StreamWriter(Path.Combine(_temp, row.Succeeded ? "succeeded.csv" : "failed.csv"), false, new UTF8Encoding(false));
        }
        // Keys URL-encoded, as in Batch Operations' CSVs; '/' stays readable (a Batch manifest reader decodes either).
        _line.Clear();
        CsvRow.Append(_line, new[]
        {
            row.BucketName, Uri.EscapeDataString(row.Key).Replace("%2F", "/"), row.VersionId, row.Succeeded ? "succeeded" : "failed",
            row.HttpStatusCode.ToString(CultureInfo.InvariantCulture), row.ErrorCode, row.ResultMessage,
        });
        writer.Write(_line.ToString());
    }

    /// <summary>Stores the result files, then the manifest.json that names them; returns the manifest's location.</summary>
    public async Task<string> CompleteAsync(CancellationToken cancellationToken)
    {
        var results = new List<Dictionary<string, string>>();
        foreach (var (succeeded, writer) in _writers.OrderByDescending(w => w.Key))
        {
            writer.Dispose(); // flushes
            var file = Path.Combine(_temp, succeeded ? "succeeded.csv" : "failed.csv");
            string md5;
            using (var read = File.OpenRead(file)) using (var hash = MD5.Create()) md5 = Convert.ToHexString(hash.ComputeHash(read)).ToLowerInvariant();
            string name;
            using (var sha = SHA1.Create()) name = Convert.ToHexString(sha.ComputeHash(Encoding.UTF8.GetBytes(JobId + (succeeded ? "/succeeded" : "/failed")))).ToLowerInvariant();
            string key = _prefix + "results/" + name + ".csv";
            await StoreAsync(key, file, "text/csv", cancellationToken).ConfigureAwait(false);
            results.Add(new Dictionary<string, string>
            {
                ["TaskExecutionStatus"] = succeeded ? "succeeded" : "failed", ["Bucket"] = _bucket ?? _directory!, ["MD5Checksum"] = md5, ["Key"] = key,
            });
        }
        _writers.Clear();
        var manifest = Path.Combine(_temp, "manifest.json");
        Directory.CreateDirectory(_temp);
        File.WriteAllText(manifest, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["Format"] = Format, ["ReportCreationDate"] = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
            ["Results"] = results, ["ReportSchema"] = Schema,
        }, new JsonSerializerOptions { WriteIndented = true }));
        await StoreAsync(_prefix + "manifest.json", manifest, "application/json", cancellationToken).ConfigureAwait(false);
        return ManifestLocation;
    }

    async Task StoreAsync(string key, string file, string contentType, CancellationToken cancellationToken)
    {
        if (_bucket is null)
        {
            var target = Path.Combine(_directory!, key.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
            return;
        }
        await _budget!.RunAsync(ct => _budget.Client.PutObjectAsync(new PutObjectRequest
        {
            // As every upload: never aws-chunked (see UploadProof), with a whole-object checksum (the SDK computes it).
            BucketName = _bucket, Key = key, FilePath = file, ContentType = contentType, UseChunkEncoding = false, ChecksumAlgorithm = Amazon.S3.ChecksumAlgorithm.CRC64NVME,
        }, ct), new FileInfo(file).Length, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        foreach (var writer in _writers.Values) writer.Dispose();
        _writers.Clear();
        try { if (Directory.Exists(_temp)) Directory.Delete(_temp, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
