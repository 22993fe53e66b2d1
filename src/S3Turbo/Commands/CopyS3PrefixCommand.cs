using S3Turbo.Engine.Connection;
using System.Management.Automation;
using System.Threading.Channels;
using S3Turbo.Engine;
using S3Turbo.Engine.Copy;
using S3Turbo.Engine.Listing;
using S3Turbo.Engine.Upload;
using S3Turbo.Infrastructure;

namespace S3Turbo.Commands;

/// <summary>Server-side copy of every object under a prefix to another bucket/prefix: a streamed ListObjectsV2
/// listing feeds throttled CopyObject (or multipart UploadPartCopy) requests.</summary>
[Cmdlet(VerbsCommon.Copy, "S3Prefix", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = UriSet)]
[OutputType(typeof(TransferSummary), typeof(CopyResult))]
public sealed class CopyS3PrefixCommand : S3WriteCmdlet
{
    const string UriSet = "Uri", PrefixSet = "Prefix", ObjectSet = "Object";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = UriSet, ValueFromPipeline = true)]
    public string[] Source { get; set; } = Array.Empty<string>();

    [Parameter(Position = 1)]
    public string? Destination { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = PrefixSet)]
    [Parameter(Mandatory = true, ParameterSetName = ObjectSet, ValueFromPipelineByPropertyName = true)]
    [Alias("BucketName")] [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string SourceBucket { get; set; } = "";

    [Parameter(ParameterSetName = PrefixSet, ValueFromPipeline = true)]
    [Parameter(ParameterSetName = ObjectSet)]
    public string[]? SourcePrefix { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ObjectSet, ValueFromPipelineByPropertyName = true)]
    public string Key { get; set; } = "";

    [Parameter(ParameterSetName = ObjectSet, ValueFromPipelineByPropertyName = true)]
    public long? Size { get; set; }

    [Parameter(ParameterSetName = ObjectSet, ValueFromPipelineByPropertyName = true)]
    public string? ETag { get; set; }

    [Parameter] [ArgumentCompleter(typeof(BucketNameCompleter))] public string? DestinationBucket { get; set; }
    [Parameter] public string? DestinationPrefix { get; set; }
    [Parameter] [SupportsWildcards] public string[]? Include { get; set; }
    [Parameter] [SupportsWildcards] public string[]? Exclude { get; set; }
    [Parameter] public TransferMode Mode { get; set; } = TransferMode.Update;
    [Parameter] public MetadataDirective MetadataDirective { get; set; } = MetadataDirective.Copy;
    [Parameter] public bool CopyTags { get; set; } = true;
    [Parameter] [ValidateRange(5L * 1024 * 1024, 5L * 1024 * 1024 * 1024)] public long MultipartCopyThreshold { get; set; } = PartSizing.MaxPartSize;
    [Parameter] [ValidateRange(5L * 1024 * 1024, 5L * 1024 * 1024 * 1024)] public long PartSize { get; set; } = CopyOptions.DefaultCopyPartSize;
    [Parameter] [ValidateRange(1, 4096)] public int MaxConcurrency { get; set; }
    [Parameter] [ValidateRange(0.1, 1_000_000.0)] public double MaxRequestsPerSecond { get; set; }
    [Parameter] [ValidateRange(1, 1000)] public int PageSize { get; set; } = 1000;
    [Parameter] public SwitchParameter PassThru { get; set; }

    PrefixCopy? _copy;
    Task? _pump;
    bool _declined;
    S3Path _destination;

    protected override string ProgressActivity => $"Copy-S3Prefix → {_destination}";

    protected override void BeginProcessing()
    {
        var client = ConnectOrThrow();
        try
        {
            _destination = ResolveDestination();
            bool whatIf = IsWhatIf();
            _declined = !whatIf && !ShouldProcess(_destination.ToString(), "Copy objects");
            _copy = new PrefixCopy(client, new CopyOptions
            {
                DestinationBucket = _destination.BucketName, DestinationPrefix = _destination.Key, Mode = Mode,
                MultipartCopyThreshold = MultipartCopyThreshold, PartSize = PartSize, PageSize = PageSize,
                MaxConcurrency = MyInvocation.BoundParameters.ContainsKey(nameof(MaxConcurrency)) ? MaxConcurrency : null,
                MaxRequestsPerSecond = MyInvocation.BoundParameters.ContainsKey(nameof(MaxRequestsPerSecond)) ? MaxRequestsPerSecond : null,
                Filter = new WildcardFilter(Include, Exclude), MetadataDirective = MetadataDirective, Settings = BuildObjectSettings(),
                CopyTags = CopyTags, WhatIf = whatIf, Progress = new InlineProgress<TransferProgress>(ReportProgress),
            }, StopToken);
        }
        catch (S3TurboException ex) { ThrowRunFailure(ex); }
        _copy!.Scheduler.ConcurrencyChanged += (before, after) => TryWriteVerbose($"Request concurrency {before} → {after}.");
        base.BeginProcessing();
    }

    S3Path ResolveDestination()
    {
        if (Destination is not null && (DestinationBucket is not null || DestinationPrefix is not null))
            throw new S3TurboException("AmbiguousDestination", FailureKind.InvalidArgument,
                "Give the destination either as -Destination s3://bucket/prefix/ or as -DestinationBucket (and -DestinationPrefix), not both.", Destination);
        if (Destination is not null) return S3Path.Parse(Destination, nameof(Destination));
        if (DestinationBucket is null)
            throw new S3TurboException("NoDestination", FailureKind.InvalidArgument,
                "No destination: give -Destination s3://bucket/prefix/ or -DestinationBucket (and -DestinationPrefix).", null);
        BucketNames.Validate(DestinationBucket);
        return new S3Path(DestinationBucket, DestinationPrefix ?? "");
    }

    protected override async Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        if (_declined) return;
        await GuardAsync(() => _copy!.PreflightAsync(cancellationToken)).ConfigureAwait(false);
        _pump = PumpResultsAsync(cancellationToken);
    }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => _declined ? Task.CompletedTask : GuardAsync(async () =>
    {
        switch (ParameterSetName)
        {
            case ObjectSet:
                await ReportArgumentErrorsAsync(() => _copy!.AddObjectAsync(SourceBucket, Key, SourcePrefix?.FirstOrDefault(), Size, ETag, cancellationToken)).ConfigureAwait(false);
                break;
            case PrefixSet:
                foreach (var prefix in SourcePrefix is { Length: > 0 } given ? given : new[] { "" })
                    await AddPrefixAsync(new S3Path(SourceBucket, prefix), cancellationToken).ConfigureAwait(false);
                break;
            default:
                foreach (var uri in Source)
                {
                    S3Path location = default;
                    if (await ReportArgumentErrorsAsync(() => { location = S3Path.Parse(uri, nameof(Source)); return Task.CompletedTask; }).ConfigureAwait(false))
                        await AddPrefixAsync(location, cancellationToken).ConfigureAwait(false);
                }
                break;
        }
    });

    async Task AddPrefixAsync(S3Path source, CancellationToken cancellationToken)
    {
        long listed = 0;
        if (await ReportArgumentErrorsAsync(async () => listed = await _copy!.AddPrefixAsync(source.BucketName, source.Key, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false)
            && listed == 0)
            await WriteWarningAsync($"No objects under s3://{source.BucketName}/{KeyMapper.NormalizePrefix(source.Key)}: nothing to copy from there.").ConfigureAwait(false);
    }

    /// <summary>A bad source (invalid URI, missing bucket, overlapping prefixes) is a non-terminating error for that
    /// input; the other inputs still go. Failures every input would share stop the run.</summary>
    async Task<bool> ReportArgumentErrorsAsync(Func<Task> add)
    {
        try { await add().ConfigureAwait(false); return true; }
        catch (S3TurboException ex) when (!ex.IsFatalForRun && ex.Kind != FailureKind.Stopped)
        {
            await WriteErrorAsync(ToErrorRecord(ex)).ConfigureAwait(false);
            return false;
        }
    }

    protected override Task EndProcessingAsync(CancellationToken cancellationToken) => _declined ? Task.CompletedTask : GuardAsync(async () =>
    {
        _copy!.CompleteAdding();
        if (_pump is not null) await _pump.ConfigureAwait(false);
        var summary = await _copy.Completion.ConfigureAwait(false);
        if (PassThru) await WriteVerboseAsync($"{summary.ItemsTransferred} copied, {summary.ItemsSkipped} skipped, {summary.ItemsFailed} failed.").ConfigureAwait(false);
        else await WriteObjectAsync(summary).ConfigureAwait(false);
    });

    async Task PumpResultsAsync(CancellationToken cancellationToken)
    {
        await foreach (var result in _copy!.Results.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            if (result.Status == TransferStatus.Failed) await WriteErrorAsync(ToErrorRecord(result.Error!)).ConfigureAwait(false);
            else if (result.Status == TransferStatus.WouldCopy)
                await ShouldProcessAsync($"s3://{result.SourceBucket}/{result.SourceKey} → s3://{result.DestinationBucket}/{result.DestinationKey} ({result.Size:N0} bytes)", "Copy").ConfigureAwait(false);
            if (PassThru) await WriteObjectAsync(result).ConfigureAwait(false);
        }
    }

    /// <summary>On stop or failure, waits for the engine to finish cleaning up (aborting multipart copies) before
    /// the cmdlet returns control.</summary>
    async Task GuardAsync(Func<Task> body)
    {
        try { await body().ConfigureAwait(false); }
        catch (Exception ex) when (_copy is not null)
        {
            _copy.CompleteAdding();
            // A closed queue means the run already stopped: its reason (from Completion) is the error to report.
            try { await _copy.Completion.ConfigureAwait(false); } catch (Exception) when (ex is not ChannelClosedException) { }
            throw;
        }
    }
}
