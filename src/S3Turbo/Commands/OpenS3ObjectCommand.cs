using S3Turbo.Engine.Connection;
using System.Management.Automation;
using S3Turbo.Engine;
using S3Turbo.Infrastructure;

namespace S3Turbo.Commands;

/// <summary>Opens a read-only, seekable stream over an S3 object that fetches only the ranges that are read.</summary>
[Cmdlet(VerbsCommon.Open, "S3Object", DefaultParameterSetName = UriSet)]
// An S3ObjectStream; declared as the Stream it is, because the engine lives in the module's own load context where
// a script cannot name its types ([System.IO.Stream] always resolves).
[OutputType(typeof(System.IO.Stream))]
public sealed class OpenS3ObjectCommand : S3Cmdlet
{
    const string UriSet = "Uri", KeySet = "Key";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = UriSet, ValueFromPipeline = true)]
    public string Uri { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = KeySet, ValueFromPipelineByPropertyName = true)]
    [Alias("Bucket")] [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string BucketName { get; set; } = "";

    [Parameter(Mandatory = true, ParameterSetName = KeySet, Position = 0, ValueFromPipelineByPropertyName = true)]
    public string Key { get; set; } = "";

    [Parameter(ValueFromPipelineByPropertyName = true)] public string? VersionId { get; set; }
    [Parameter] [ValidateRange(4096, 64 * 1024 * 1024)] public int BlockSize { get; set; } = 1024 * 1024;
    [Parameter] [ValidateRange(8192L, long.MaxValue)] public long MaxMemory { get; set; } = 64L * 1024 * 1024;
    [Parameter] [ValidateRange(0L, long.MaxValue)] public long MaxReadAhead { get; set; } = 64L * 1024 * 1024;
    [Parameter] [ValidateRange(1, 64)] public int MaxConcurrentFetches { get; set; } = 8;
    [Parameter] [ValidateRange(1, long.MaxValue)] public long? MaxBytesPerSecond { get; set; }

    S3Connection? _client;

    protected override string ProgressActivity => "Open-S3Object";

    protected override void BeginProcessing()
    {
        _client = ConnectOrThrow();
        base.BeginProcessing();
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        var (bucket, key) = ParameterSetName == UriSet ? S3Path.Parse(Uri, nameof(Uri)) : new S3Path(BucketName, Key);
        try
        {
            // The stream outlives this command, so it is not tied to the command's stop token.
            var stream = await S3ObjectStream.OpenAsync(_client!, new ObjectStreamOptions
            {
                BucketName = bucket, Key = key, VersionId = VersionId, BlockSize = BlockSize, MaxMemory = MaxMemory,
                MaxReadAhead = MaxReadAhead, MaxConcurrentFetches = MaxConcurrentFetches, MaxBytesPerSecond = MaxBytesPerSecond,
            }, cancellationToken).ConfigureAwait(false);
            await WriteObjectAsync(stream).ConfigureAwait(false);
        }
        catch (S3TurboException ex) when (!ex.IsFatalForRun && ex.Kind != FailureKind.Stopped)
        {
            await WriteErrorAsync(ToErrorRecord(ex)).ConfigureAwait(false); // one missing object among many piped
        }
    }
}
