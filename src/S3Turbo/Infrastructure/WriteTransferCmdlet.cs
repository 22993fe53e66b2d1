using System.Collections;
using System.Management.Automation;

namespace S3Turbo.Infrastructure;

/// <summary>A bulk cmdlet that writes objects: the object-setting parameters on top (see IObjectSettingParameters).</summary>
public abstract class WriteTransferCmdlet<TItem, TPart, TResult> : TransferCmdlet<TItem, TPart, TResult>, IObjectSettingParameters
    where TItem : TransferItem where TPart : class where TResult : class, ITransferOutcome
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
