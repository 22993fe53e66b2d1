using S3Turbo.Engine.Connection;
using System.Management.Automation;
using S3Turbo.Engine.Copy;
using S3Turbo.Engine.Queue;
using S3Turbo.Engine.Remove;
using S3Turbo.Infrastructure;

namespace S3Turbo.Commands;

/// <summary>Server-side copy of every object under a prefix to another bucket/prefix: a streamed ListObjectsV2
/// listing feeds throttled CopyObject (or multipart UploadPartCopy) requests.</summary>
[Cmdlet(VerbsCommon.Copy, "S3Prefix", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = UriSet)]
[OutputType(typeof(TransferSummary), typeof(CopyResult))]
public sealed class CopyS3PrefixCommand : WriteTransferCmdlet<CopyItem, NoPart, CopyResult>
{
    const string UriSet = "Uri", PrefixSet = "Prefix", ObjectSet = "Object", ManifestSet = "Manifest", QueueSet = "Queue";

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
    [Parameter(ParameterSetName = ManifestSet)]
    [Parameter(ParameterSetName = QueueSet)]
    public string[]? SourcePrefix { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = QueueSet)] public string QueueUrl { get; set; } = "";
    /// <summary>Seconds without a message (and with none in hand) after which a queue worker stops.</summary>
    [Parameter(ParameterSetName = QueueSet)] [ValidateRange(0, 86400)] public int IdleTimeout { get; set; } = 60;
    [Parameter(ParameterSetName = QueueSet)] [ValidateRange(3, 43200)] public int VisibilityTimeout { get; set; } = 120;

    [Parameter(Mandatory = true, ParameterSetName = ManifestSet)]
    [Alias("Manifest")]
    public string ManifestPath { get; set; } = "";

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
    [Parameter] [ValidateRange(1, 4096)] public int? MaxConcurrency { get; set; }
    [Parameter] [ValidateRange(0.1, 1_000_000.0)] public double? MaxRequestsPerSecond { get; set; }
    [Parameter] [ValidateRange(1, 1000)] public int PageSize { get; set; } = 1000;
    [Parameter] public SwitchParameter Delete { get; set; }
    [Parameter] [ValidateRange(0, long.MaxValue)] public long? MaxDelete { get; set; }

    PrefixCopy? _copy;
    S3Path _destination;

    protected override string ProgressActivity => $"Copy-S3Prefix → {_destination}";
    protected override (string Target, string Action) DescribeRun()
    {
        if (Delete && ParameterSetName == QueueSet)
            throw new S3TurboException(ErrorIds.ConflictingParameters, FailureKind.InvalidArgument,
                "-Delete cannot be combined with -QueueUrl: a queue worker sees only the messages it takes, so it cannot tell which destination objects have no source.", QueueUrl);
        return (CheckMirror(Delete, MaxDelete, (_destination = ResolveDestination()).ToString()), Delete ? "Copy objects and delete objects without a source" : "Copy objects");
    }

    protected override MirrorTarget? MirrorTarget => Delete ? new S3MirrorTarget(_destination.BucketName, _destination.Key, new WildcardFilter(Include, Exclude), MaxDelete) : null;

    protected override TransferEngine<CopyItem, NoPart, CopyResult> StartEngine(S3Connection connection, bool whatIf, IProgress<TransferProgress> progress)
    {
        (var engine, _copy) = PrefixCopy.Start(connection, new CopyOptions
        {
            DestinationBucket = _destination.BucketName, DestinationPrefix = _destination.Key, Mode = Mode,
            MultipartCopyThreshold = MultipartCopyThreshold, PartSize = PartSize, PageSize = PageSize,
            MaxConcurrency = MaxConcurrency, MaxRequestsPerSecond = MaxRequestsPerSecond,
            Filter = new WildcardFilter(Include, Exclude), MetadataDirective = MetadataDirective, Settings = BuildObjectSettings(),
            CopyTags = CopyTags, WhatIf = whatIf, Progress = progress, Shard = Shard, TimeLimit = TimeLimit, MaxBytesPerSecond = MaxBytesPerSecond,
        }, StopToken);
        return engine;
    }

    S3Path ResolveDestination()
    {
        if (Destination is not null && (DestinationBucket is not null || DestinationPrefix is not null))
            throw new S3TurboException(ErrorIds.AmbiguousDestination, FailureKind.InvalidArgument,
                "Give the destination either as -Destination s3://bucket/prefix/ or as -DestinationBucket (and -DestinationPrefix), not both.", Destination);
        if (Destination is not null) return S3Path.Parse(Destination, nameof(Destination));
        if (DestinationBucket is null)
            throw new S3TurboException(ErrorIds.NoDestination, FailureKind.InvalidArgument,
                "No destination: give -Destination s3://bucket/prefix/ or -DestinationBucket (and -DestinationPrefix).", null);
        BucketNames.Validate(DestinationBucket);
        return new S3Path(DestinationBucket, DestinationPrefix ?? "");
    }

    protected override IEnumerable<TransferInput> PlanRecord() => ParameterSetName switch
    {
        ObjectSet => new[] { Input(_copy!.PlanObjectAsync(SourceBucket, Key, SourcePrefix?.FirstOrDefault(), Size, ETag, StopToken)) },
        ManifestSet => new[] { ManifestInput(ManifestPath, e => _copy!.PlanObjectAsync(e.BucketName, e.Key, SourcePrefix?.FirstOrDefault(), e.Size, e.ETag, StopToken)) },
        QueueSet => new[] { QueueInput(QueueUrl, IdleTimeout, VisibilityTimeout, 64, PlanQueueTarget) },
        PrefixSet => (SourcePrefix is { Length: > 0 } given ? given : new[] { "" }).Select(prefix => PrefixInput(() => new S3Path(SourceBucket, prefix))),
        _ => Source.Select(uri => PrefixInput(() => S3Path.Parse(uri, nameof(Source)))),
    };

    /// <summary>An object event or work item is one object (its key mapped under -SourcePrefix as a piped object's
    /// is); a prefix or manifest item names the objects under or in it.</summary>
    IAsyncEnumerable<CopyItem> PlanQueueTarget(QueueTarget target) => target.Kind switch
    {
        QueueTargetKind.Prefix => _copy!.PlanPrefixAsync(target.BucketName, target.Key, StopToken),
        QueueTargetKind.Manifest => Run.QueueManifest(target.Key, e => _copy!.PlanObjectAsync(e.BucketName, e.Key, SourcePrefix?.FirstOrDefault(), e.Size, e.ETag, StopToken), StopToken),
        _ => _copy!.PlanObjectAsync(target.BucketName, target.Key, SourcePrefix?.FirstOrDefault(), target.Size, target.ETag, StopToken),
    };

    protected override string? QueueOperation => ParameterSetName == QueueSet ? MyInvocation.MyCommand.Name : null;

    /// <summary>A source prefix; a URI that does not parse is that input's own error.</summary>
    TransferInput PrefixInput(Func<S3Path> parse)
    {
        S3Path source;
        try { source = parse(); }
        catch (S3TurboException ex) { return Rejected(ex); }
        string filtered = Include is null && Exclude is null ? "" : " that -Include/-Exclude accept";
        return Input(_copy!.PlanPrefixAsync(source.BucketName, source.Key, StopToken),
            $"No objects under s3://{source.BucketName}/{KeyMapper.NormalizePrefix(source.Key)}{filtered}: nothing to copy from there.");
    }
}
