using S3Turbo.Engine.Connection;
using System.Management.Automation;
using S3Turbo.Engine.Queue;
using S3Turbo.Engine.Tar;
using S3Turbo.Infrastructure;

namespace S3Turbo.Commands;

/// <summary>Indexes tar archives stored in S3 (names, sizes, offsets) without downloading them where it can.</summary>
[Cmdlet(VerbsCommon.Get, "S3TarIndex", DefaultParameterSetName = UriSet)]
[OutputType(typeof(TarEntry), typeof(TarIndexSummary))]
public sealed class GetS3TarIndexCommand : WriteTransferCmdlet<TarArchiveItem, TarEntry, TarArchiveResult>
{
    const string UriSet = "Uri", KeySet = "Key", PrefixSet = "Prefix", ManifestSet = "Manifest", QueueSet = "Queue";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = UriSet, ValueFromPipeline = true)]
    public string[] Uri { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = KeySet, ValueFromPipelineByPropertyName = true)]
    [Parameter(Mandatory = true, ParameterSetName = PrefixSet)]
    [Alias("Bucket")] [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string BucketName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = KeySet, ValueFromPipelineByPropertyName = true)]
    public string[] Key { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = PrefixSet)] [AllowEmptyString] public string Prefix { get; set; } = "";
    [Parameter(Mandatory = true, ParameterSetName = ManifestSet)] [Alias("Manifest")] public string ManifestPath { get; set; } = "";
    [Parameter(Mandatory = true, ParameterSetName = QueueSet)] public string QueueUrl { get; set; } = "";
    /// <summary>Seconds without a message (and with none in hand) after which a queue worker stops.</summary>
    [Parameter(ParameterSetName = QueueSet)] [ValidateRange(0, 86400)] public int IdleTimeout { get; set; } = 60;
    [Parameter(ParameterSetName = QueueSet)] [ValidateRange(3, 43200)] public int VisibilityTimeout { get; set; } = 120;
    [Parameter(ParameterSetName = PrefixSet)] [Parameter(ParameterSetName = ManifestSet)] [Parameter(ParameterSetName = QueueSet)]
    [SupportsWildcards] public string[] Include { get; set; } = { "*.tar", "*.tar.gz", "*.tgz", "*.tar.zst", "*.tzst", "*.tar.xz", "*.txz", "*.tar.bz2", "*.tbz2", "*.tbz" };
    [Parameter(ParameterSetName = PrefixSet)] [Parameter(ParameterSetName = ManifestSet)] [Parameter(ParameterSetName = QueueSet)]
    [SupportsWildcards] public string[]? Exclude { get; set; }

    [Parameter] public string? OutFile { get; set; }
    [Parameter] [ArgumentCompleter(typeof(BucketNameCompleter))] public string? DestinationBucket { get; set; }
    [Parameter] public string? DestinationKey { get; set; }
    [Parameter] public string? DestinationPrefix { get; set; }
    [Parameter] public TarIndexFormat? Format { get; set; }
    /// <summary>Archives indexed at once (default: the engine's, 8).</summary>
    [Parameter] [ValidateRange(1, 256)] public int? MaxConcurrency { get; set; }

    TarIndexer? _indexer;
    TarIndexOutput? _output;
    WildcardFilter? _archives; // -Include/-Exclude for queue targets, compiled once for all messages

    protected override string ProgressActivity => "Get-S3TarIndex";
    protected override (string Target, string Action) DescribeRun() =>
        (OutFile ?? (DestinationBucket is null ? "the pipeline" : $"s3://{DestinationBucket}/{DestinationKey ?? DestinationPrefix}"), "Index tar archives");

    protected override IRunOutput<TarEntry, TarArchiveResult>? Output => _output;

    protected override TransferEngine<TarArchiveItem, TarEntry, TarArchiveResult> StartEngine(S3Connection connection, bool whatIf, IProgress<TransferProgress> progress)
    {
        _archives = new WildcardFilter(Include, Exclude);
        (var engine, _indexer) = TarIndexer.Start(connection, new TarIndexOptions
        {
            MaxItemsInFlight = MaxConcurrency ?? TarIndexOptions.DefaultArchivesInFlight, WhatIf = whatIf, Progress = progress, Shard = Shard, TimeLimit = TimeLimit, MaxBytesPerSecond = MaxBytesPerSecond,
        }, StopToken);
        try { _output = CreateOutput(engine.Budget); }
        catch { engine.Dispose(); throw; }
        return engine;
    }

    TarIndexOutput? CreateOutput(RequestBudget budget)
    {
        int destinations = (OutFile is null ? 0 : 1) + (DestinationKey is null ? 0 : 1) + (DestinationPrefix is null ? 0 : 1);
        if (destinations > 1)
            throw new S3TurboException(ErrorIds.AmbiguousDestination, FailureKind.InvalidArgument, "Give one of -OutFile, -DestinationKey or -DestinationPrefix.", null);
        if ((DestinationKey is not null || DestinationPrefix is not null) == (DestinationBucket is null))
            throw new S3TurboException(ErrorIds.NoDestination, FailureKind.InvalidArgument,
                DestinationBucket is null ? "-DestinationKey and -DestinationPrefix need -DestinationBucket." : "-DestinationBucket needs -DestinationKey or -DestinationPrefix.", DestinationBucket);
        if (ParameterSetName == QueueSet && (OutFile is not null || DestinationKey is not null))
            throw new S3TurboException(ErrorIds.ConflictingParameters, FailureKind.InvalidArgument,
                "A queue worker (-QueueUrl) writes one index per archive (-DestinationPrefix) or to the pipeline: a message is deleted only once its archive's index is stored, which one -OutFile or -DestinationKey written at the end cannot give.",
                OutFile ?? DestinationKey);
        if (OutFile is not null)
            return TarIndexOutput.ToFile(GetUnresolvedProviderPathFromPSPath(OutFile), Format ?? TarIndexWriter.FormatFromPath(OutFile));
        if (DestinationKey is not null)
            return TarIndexOutput.ToObject(budget, DestinationBucket!, DestinationKey, Format ?? TarIndexWriter.FormatFromPath(DestinationKey), BuildObjectSettings());
        if (DestinationPrefix is not null)
            return TarIndexOutput.PerArchive(budget, DestinationBucket!, DestinationPrefix, Format ?? TarIndexFormat.Jsonl, BuildObjectSettings());
        return null;
    }

    protected override IEnumerable<TransferInput> PlanRecord()
    {
        switch (ParameterSetName)
        {
            case PrefixSet:
                var prefix = KeyMapper.NormalizePrefix(Prefix);
                yield return Input(_indexer!.PlanPrefixAsync(BucketName, prefix, new WildcardFilter(Include, Exclude), StopToken),
                    $"No archives under s3://{BucketName}/{prefix} match -Include {string.Join(",", Include)}.");
                break;
            case KeySet:
                foreach (var key in Key) yield return Input(_indexer!.PlanArchiveAsync(BucketName, key));
                break;
            case ManifestSet:
                var archives = new WildcardFilter(Include, Exclude);
                yield return ManifestInput(ManifestPath, e => archives.AcceptsKey(e.Key) ? _indexer!.PlanArchiveAsync(e.BucketName, e.Key, e.Size, e.ETag) : None());
                break;
            case QueueSet:
                // Messages held at once: enough to keep every archive slot busy, few enough to leave work to other workers.
                yield return QueueInput(QueueUrl, IdleTimeout, VisibilityTimeout, (MaxConcurrency ?? TarIndexOptions.DefaultArchivesInFlight) + 2, PlanQueueTarget);
                break;
            default:
                foreach (var uri in Uri) yield return UriInput(uri);
                break;
        }
    }

    TransferInput UriInput(string uri)
    {
        try
        {
            var path = S3Path.Parse(uri, nameof(Uri));
            return Input(_indexer!.PlanArchiveAsync(path.BucketName, path.Key));
        }
        catch (S3TurboException ex) { return Rejected(ex); }
    }

    /// <summary>An object event or work item names one archive (indexed when -Include/-Exclude accept it: a bucket's
    /// notifications may name every new object); a prefix or manifest item names the archives under or in it.</summary>
    IAsyncEnumerable<TarArchiveItem> PlanQueueTarget(QueueTarget target)
    {
        var archives = _archives!;
        return target.Kind switch
        {
            QueueTargetKind.Prefix => _indexer!.PlanPrefixAsync(target.BucketName, KeyMapper.NormalizePrefix(target.Key), archives, StopToken),
            QueueTargetKind.Manifest => Run.QueueManifest(target.Key, e => archives.AcceptsKey(e.Key) ? _indexer!.PlanArchiveAsync(e.BucketName, e.Key, e.Size, e.ETag) : None(), StopToken),
            _ => archives.AcceptsKey(target.Key) ? _indexer!.PlanArchiveAsync(target.BucketName, target.Key, target.Size, target.ETag) : None(),
        };
    }

    protected override string? QueueOperation => ParameterSetName == QueueSet ? MyInvocation.MyCommand.Name : null;

    static async IAsyncEnumerable<TarArchiveItem> None() { await Task.CompletedTask.ConfigureAwait(false); yield break; }

    /// <summary>Entries go to the index and, without one (or with -PassThru), to the pipeline; each archive is
    /// reported in a verbose line.</summary>
    protected override bool ShouldOutputPart(TarEntry part) => _output is null || PassThru;
    protected override bool ShouldOutput(ITransferOutcome outcome) => false;
    protected override bool ShouldOutputSummary => _output is not null && !PassThru;

    protected override async ValueTask OnOutcomeAsync(ITransferOutcome outcome)
    {
        if (outcome is TarArchiveResult { Error: null } archive)
            await WriteVerboseAsync($"{archive.Archive}: {archive.Entries} entries, read {archive.BytesRead:N0} of {archive.ArchiveBytes:N0} bytes ({archive.Compression}).").ConfigureAwait(false);
    }
}
