using System.Collections;
using System.Management.Automation;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Infrastructure;

/// <summary>The object-setting parameters shared by every cmdlet that writes objects (content type, metadata,
/// headers, storage class, ACL, encryption, tags).</summary>
public abstract class S3WriteCmdlet : S3Cmdlet
{
    [Parameter] public string? ContentType { get; set; }
    [Parameter] public Hashtable? Metadata { get; set; }
    [Parameter] public Hashtable? Header { get; set; }
    [Parameter] public string? CacheControl { get; set; }
    [Parameter] public string? ContentEncoding { get; set; }
    [Parameter] [ValidateSet("STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "GLACIER_IR", "DEEP_ARCHIVE", "REDUCED_REDUNDANCY", "EXPRESS_ONEZONE")]
    public string? StorageClass { get; set; }
    [Parameter] [ValidateSet("private", "public-read", "public-read-write", "authenticated-read", "aws-exec-read", "bucket-owner-read", "bucket-owner-full-control")]
    public string? CannedAcl { get; set; }
    [Parameter] [ValidateSet("AES256", "aws:kms", "aws:kms:dsse")] public string? ServerSideEncryption { get; set; }
    [Parameter] public string? KmsKeyId { get; set; }
    [Parameter] public Hashtable? Tag { get; set; }

    protected ObjectSettings BuildObjectSettings() => new()
    {
        ContentType = ContentType, Metadata = ToDictionary(Metadata), Headers = ToDictionary(Header), CacheControl = CacheControl,
        ContentEncoding = ContentEncoding, StorageClass = StorageClass, CannedAcl = CannedAcl,
        ServerSideEncryption = ServerSideEncryption, KmsKeyId = KmsKeyId, Tags = ToDictionary(Tag),
    };

    static IReadOnlyDictionary<string, string> ToDictionary(Hashtable? table) =>
        table is null ? new Dictionary<string, string>()
        : table.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => LanguagePrimitives.ConvertTo<string>(e.Value) ?? "");
}

/// <summary>Calls back on the reporting thread (Progress&lt;T&gt; would post to a synchronization context).</summary>
sealed class InlineProgress<T> : IProgress<T>
{
    readonly Action<T> _report;
    public InlineProgress(Action<T> report) => _report = report;
    public void Report(T value) => _report(value);
}
