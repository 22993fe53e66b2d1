using System.Management.Automation;
using S3Turbo.Engine.Connection;
using S3Turbo.Engine.Remove;
using S3Turbo.Infrastructure;

namespace S3Turbo.Commands;

/// <summary>Removes every object (or every version) under a prefix: a streamed listing feeds DeleteObjects batches
/// of up to 1,000 keys, several in flight.</summary>
[Cmdlet(VerbsCommon.Remove, "S3Prefix", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, DefaultParameterSetName = InputSet)]
[OutputType(typeof(TransferSummary), typeof(RemoveResult))]
public sealed class RemoveS3PrefixCommand : TransferCmdlet<RemovalBatch, NoPart, RemoveResult>
{
    const string UriSet = "Uri", PrefixSet = "Prefix", InputSet = "Input", ManifestSet = "Manifest";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = UriSet)]
    public string[] Uri { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = PrefixSet)]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string BucketName { get; set; } = "";

    [Parameter(Position = 1, ParameterSetName = PrefixSet, ValueFromPipeline = true)]
    public string[]? KeyPrefix { get; set; }

    /// <summary>Piped S3 URIs and objects with BucketName and Key (one parameter for both: a string parameter
    /// bound by value would take every object as its ToString()).</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputSet, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ManifestSet)]
    [Alias("Manifest")]
    public string ManifestPath { get; set; } = "";

    [Parameter] public SwitchParameter AllVersions { get; set; }
    [Parameter(ParameterSetName = UriSet)] [Parameter(ParameterSetName = PrefixSet)] public SwitchParameter IncompleteUploads { get; set; }
    [Parameter(ParameterSetName = UriSet)] [Parameter(ParameterSetName = PrefixSet)] [DurationTransformation] public TimeSpan? OlderThan { get; set; }
    [Parameter] [SupportsWildcards] public string[]? Include { get; set; }
    [Parameter] [SupportsWildcards] public string[]? Exclude { get; set; }
    [Parameter] public SwitchParameter Force { get; set; }
    [Parameter] [ValidateRange(1, 4096)] public int? MaxConcurrency { get; set; }
    [Parameter] [ValidateRange(0.1, 1_000_000.0)] public double? MaxRequestsPerSecond { get; set; }
    [Parameter] [ValidateRange(1, 1000)] public int BatchSize { get; set; } = RemoveOptions.MaxBatchSize;
    [Parameter] [ValidateRange(1, 1000)] public int PageSize { get; set; } = 1000;

    PrefixRemoval? _removal;
    PipedBatches<RemovalKey, RemovalBatch>? _piped;

    protected override string ProgressActivity => "Remove-S3Prefix";
    protected override bool ConfirmedWithoutPrompt => Force;
    protected override string RunPreposition => "under";

    protected override (string Target, string Action) DescribeRun()
    {
        if (OlderThan is not null && !IncompleteUploads)
            throw new S3TurboException(ErrorIds.ConflictingParameters, FailureKind.InvalidArgument,
                $"-OlderThan {OlderThan} chooses which incomplete multipart uploads -IncompleteUploads aborts, and -IncompleteUploads was not given.", OlderThan);
        if (IncompleteUploads && AllVersions)
            throw new S3TurboException(ErrorIds.ConflictingParameters, FailureKind.InvalidArgument,
                "-IncompleteUploads aborts multipart uploads and removes no object: it cannot be combined with -AllVersions.", "AllVersions");
        if (OlderThan is { } age && age <= TimeSpan.Zero)
            throw new S3TurboException(ErrorIds.InvalidTimeLimit, FailureKind.InvalidArgument, $"-OlderThan {age} is not valid: give a positive age, for example 24h or 7d.", age);
        string target = ParameterSetName switch
        {
            PrefixSet => string.Join(", ", (KeyPrefix is { Length: > 0 } given ? given : new[] { "" }).Select(p => $"s3://{BucketName}/{KeyMapper.NormalizePrefix(p)}")),
            UriSet => string.Join(", ", Uri),
            ManifestSet => $"the objects the manifest {ManifestPath} names",
            _ => "the objects piped in",
        };
        return (target, IncompleteUploads ? $"Abort the incomplete multipart uploads{(OlderThan is { } older ? $" begun more than {older} ago" : "")}"
            : AllVersions ? "Remove every version of the objects" : "Remove the objects");
    }

    protected override TransferEngine<RemovalBatch, NoPart, RemoveResult> StartEngine(S3Connection connection, bool whatIf, IProgress<TransferProgress> progress)
    {
        (var engine, _removal) = PrefixRemoval.Start(connection, new RemoveOptions
        {
            AllVersions = AllVersions, BatchSize = BatchSize, PageSize = PageSize, Filter = new WildcardFilter(Include, Exclude),
            MaxConcurrency = MaxConcurrency, MaxRequestsPerSecond = MaxRequestsPerSecond, WhatIf = whatIf, Progress = progress, Shard = Shard, TimeLimit = TimeLimit, MaxBytesPerSecond = MaxBytesPerSecond,
        }, StopToken);
        _piped = _removal.PipedBatches();
        return engine;
    }

    protected override IEnumerable<TransferInput> PlanRecord() => ParameterSetName switch
    {
        InputSet => PlanPiped(InputObject!),
        ManifestSet => new[] { ManifestInput(ManifestPath, allowVersions: true, entries => _removal!.PlanManifestAsync(entries, StopToken)) },
        PrefixSet => (KeyPrefix is { Length: > 0 } given ? given : new[] { "" }).Select(prefix => PrefixInput(() => new S3Path(BucketName, prefix))),
        _ => Uri.Select(uri => PrefixInput(() => S3Path.Parse(uri, nameof(Uri)))),
    };

    protected override IEnumerable<TransferInput> PlanEnd() => Batches(() => _piped!.Flush() is { } last ? new[] { last } : Array.Empty<RemovalBatch>());

    /// <summary>A piped URI is a prefix like -Uri; a piped object (BucketName, Key, and VersionId and Size when
    /// present) joins the pending batch of its bucket.</summary>
    IEnumerable<TransferInput> PlanPiped(PSObject input)
    {
        if (input.BaseObject is string uri) return new[] { PrefixInput(() => S3Path.Parse(uri, nameof(InputObject))) };
        if (PipedInput.PipedObject(input, out var invalid) is not { } piped) return new[] { Rejected(invalid!) };
        var (bucket, key) = piped;
        if (!_removal!.InShard(key)) return Array.Empty<TransferInput>();
        long.TryParse(PipedInput.PropertyText(input, "Size"), out long size);
        var removal = new RemovalKey(key, PipedInput.PropertyText(input, "VersionId") is { Length: > 0 } version ? version : null, size, false);
        return Batches(() => _piped!.Add(bucket, removal));
    }

    /// <summary>The batches piped keys completed, as inputs; a batch the engine refuses (a bad bucket) is its own error.</summary>
    IEnumerable<TransferInput> Batches(Func<IReadOnlyList<RemovalBatch>> batches)
    {
        try { return batches().Select(batch => Input(new[] { batch })).ToList(); }
        catch (S3TurboException ex) { return new[] { Rejected(ex) }; }
    }

    /// <summary>A prefix; the whole bucket (an empty prefix) only with -Force. A URI that does not parse is that input's own error.</summary>
    TransferInput PrefixInput(Func<S3Path> parse)
    {
        S3Path target;
        try { target = parse(); }
        catch (S3TurboException ex) { return Rejected(ex); }
        var prefix = KeyMapper.NormalizePrefix(target.Key);
        if (prefix.Length == 0 && !Force)
            return Rejected(new S3TurboException(ErrorIds.WholeBucketNeedsForce, FailureKind.InvalidArgument,
                $"s3://{target.BucketName}/ names the whole bucket: add -Force to remove everything in it, or give a prefix.", $"s3://{target.BucketName}/"));
        string filtered = Include is null && Exclude is null ? "" : " that -Include/-Exclude accept";
        if (IncompleteUploads)
            return Input(_removal!.PlanIncompleteUploadsAsync(target.BucketName, prefix, OlderThan, StopToken),
                $"No incomplete multipart uploads under s3://{target.BucketName}/{prefix}{filtered}{(OlderThan is { } older ? $" begun more than {older} ago" : "")}: nothing to abort.");
        return Input(_removal!.PlanPrefixAsync(target.BucketName, prefix, StopToken),
            $"No {(AllVersions ? "versions" : "objects")} under s3://{target.BucketName}/{prefix}{filtered}: nothing to remove.");
    }

    protected override string DescribeSummary(TransferSummary summary) => IncompleteUploads
        ? $"Remove: {summary.ItemsTransferred:N0} incomplete multipart uploads aborted, {summary.ItemsFailed:N0} failed, in {summary.Elapsed.TotalSeconds:N2} s."
        : $"Remove: {summary.ItemsTransferred:N0} removed ({summary.BytesTransferred:N0} bytes), {summary.ItemsFailed:N0} failed, in {summary.Elapsed.TotalSeconds:N2} s.";
}
