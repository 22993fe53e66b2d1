using System.Collections;
using System.Management.Automation;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Infrastructure;

/// <summary>The object-setting parameters of every cmdlet that writes objects (content type, metadata, headers,
/// storage class, ACL, encryption, tags). Two bases declare them, because a cmdlet has one base class: this one
/// (New-S3UploadStream) and <see cref="WriteTransferCmdlet{TItem,TPart,TResult}"/> (the bulk cmdlets that write); the
/// bulk cmdlets that only read or remove do not offer them.</summary>
public interface IObjectSettingParameters
{
    string? ContentType { get; }
    Hashtable? Metadata { get; }
    Hashtable? Header { get; }
    string? CacheControl { get; }
    string? ContentEncoding { get; }
    string? StorageClass { get; }
    string? CannedAcl { get; }
    string? ServerSideEncryption { get; }
    string? KmsKeyId { get; }
    Hashtable? Tag { get; }
    ChecksumAlgorithm? ChecksumAlgorithm { get; }
    ChecksumCalculation RequestChecksumCalculation { get; }
}

public static class ObjectSettingParameters
{
    public static ObjectSettings Build(IObjectSettingParameters p) => new()
    {
        ContentType = p.ContentType, Metadata = ToDictionary(p.Metadata), Headers = ToDictionary(p.Header), CacheControl = p.CacheControl,
        ContentEncoding = p.ContentEncoding, StorageClass = p.StorageClass, CannedAcl = p.CannedAcl,
        ServerSideEncryption = p.ServerSideEncryption, KmsKeyId = p.KmsKeyId, Tags = ToDictionary(p.Tag),
        // -RequestChecksumCalculation WhenRequired (for stores that refuse checksum headers) means no checksum, unless
        // -ChecksumAlgorithm names one.
        Checksum = p.ChecksumAlgorithm ?? (p.RequestChecksumCalculation == ChecksumCalculation.WhenRequired ? S3Turbo.ChecksumAlgorithm.None : S3Turbo.ChecksumAlgorithm.CRC64NVME),
    };

    static IReadOnlyDictionary<string, string> ToDictionary(Hashtable? table) =>
        table is null ? new Dictionary<string, string>()
        : table.Cast<DictionaryEntry>().ToDictionary(e => e.Key.ToString()!, e => LanguagePrimitives.ConvertTo<string>(e.Value) ?? "");
}

/// <summary>A cmdlet that writes one object (New-S3UploadStream).</summary>
public abstract class S3WriteCmdlet : S3Cmdlet, IObjectSettingParameters
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
    [Parameter] public ChecksumAlgorithm? ChecksumAlgorithm { get; set; }

    protected ObjectSettings BuildObjectSettings() => ObjectSettingParameters.Build(this);
}

/// <summary>Calls back on the reporting thread (Progress&lt;T&gt; would post to a synchronization context).</summary>
sealed class InlineProgress<T> : IProgress<T>
{
    readonly Action<T> _report;
    public InlineProgress(Action<T> report) => _report = report;
    public void Report(T value) => _report(value);
}
