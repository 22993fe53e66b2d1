using System.Management.Automation;
using S3Turbo.Engine.Connection;
using S3Turbo.Engine.Queue;
using S3Turbo.Infrastructure;

namespace S3Turbo.Commands;

/// <summary>Sends S3Turbo work items to an SQS queue for queue-fed workers (Get-S3TarIndex -QueueUrl,
/// Copy-S3Prefix -QueueUrl): one per object of a streamed listing, a manifest or the pipeline, ten to a request.</summary>
[Cmdlet(VerbsCommunications.Send, "S3WorkItem", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = InputSet)]
[OutputType(typeof(TransferSummary), typeof(WorkItemResult))]
public sealed class SendS3WorkItemCommand : TransferCmdlet<WorkItemBatch, NoPart, WorkItemResult>
{
    const string UriSet = "Uri", PrefixSet = "Prefix", InputSet = "Input", ManifestSet = "Manifest";

    [Parameter(Mandatory = true)] public string QueueUrl { get; set; } = "";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = UriSet)]
    public string[] Uri { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = PrefixSet)]
    [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string BucketName { get; set; } = "";

    [Parameter(Position = 1, ParameterSetName = PrefixSet)]
    public string[]? KeyPrefix { get; set; }

    /// <summary>Piped S3 URIs (prefixes) and objects with BucketName and Key.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputSet, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ManifestSet)]
    [Alias("Manifest")]
    public string ManifestPath { get; set; } = "";

    /// <summary>One work item naming the prefix or manifest itself (its worker lists or reads it) instead of one per
    /// object; piped URIs are prefixes too (a piped object is one item either way).</summary>
    [Parameter(ParameterSetName = UriSet)] [Parameter(ParameterSetName = PrefixSet)] [Parameter(ParameterSetName = ManifestSet)] [Parameter(ParameterSetName = InputSet)]
    public SwitchParameter AsOneItem { get; set; }

    [Parameter] [ValidateSet("Get-S3TarIndex", "Copy-S3Prefix")] public string? Operation { get; set; }
    [Parameter] [SupportsWildcards] public string[]? Include { get; set; }
    [Parameter] [SupportsWildcards] public string[]? Exclude { get; set; }
    [Parameter] [ValidateRange(1, 4096)] public int? MaxConcurrency { get; set; }

    WorkItemSending? _sending;
    PipedBatches<QueueTarget, WorkItemBatch>? _piped;

    protected override string ProgressActivity => "Send-S3WorkItem";
    protected override (string Target, string Action) DescribeRun() => (QueueUrl, "Send work items");

    protected override TransferEngine<WorkItemBatch, NoPart, WorkItemResult> StartEngine(S3Connection connection, bool whatIf, IProgress<TransferProgress> progress)
    {
        (var engine, _sending) = WorkItemSending.Start(connection, new WorkItemSendOptions
        {
            QueueUrl = QueueUrl, Operation = Operation, Filter = new WildcardFilter(Include, Exclude), MaxConcurrency = MaxConcurrency,
            WhatIf = whatIf, Progress = progress, Shard = Shard, TimeLimit = TimeLimit, MaxBytesPerSecond = MaxBytesPerSecond,
        }, StopToken);
        _piped = _sending.PipedBatches();
        return engine;
    }

    protected override IEnumerable<TransferInput> PlanRecord() => ParameterSetName switch
    {
        InputSet => PlanPiped(InputObject!),
        ManifestSet when AsOneItem => new[] { One(new QueueTarget(QueueTargetKind.Manifest, "", ResolveLocation(ManifestPath))) },
        ManifestSet => new[] { ManifestInput(ManifestPath, allowVersions: false, entries => _sending!.PlanManifestAsync(entries, StopToken)) },
        PrefixSet => (KeyPrefix is { Length: > 0 } given ? given : new[] { "" }).Select(prefix => PrefixInput(() => new S3Path(BucketName, prefix))),
        _ => Uri.Select(uri => PrefixInput(() => S3Path.Parse(uri, nameof(Uri)))),
    };

    protected override IEnumerable<TransferInput> PlanEnd() => _piped!.Flush() is { } last ? new[] { Input(new[] { last }) } : Array.Empty<TransferInput>();

    /// <summary>A piped URI is a prefix like -Uri; a piped object (BucketName, Key, and Size and ETag when present)
    /// joins the pending batch.</summary>
    IEnumerable<TransferInput> PlanPiped(PSObject input)
    {
        if (input.BaseObject is string uri) return new[] { PrefixInput(() => S3Path.Parse(uri, nameof(InputObject))) };
        if (PipedInput.PipedObject(input, out var invalid) is not { } piped) return new[] { Rejected(invalid!) };
        var (bucket, key) = piped;
        long? size = long.TryParse(PipedInput.PropertyText(input, "Size"), out long known) ? known : null;
        QueueTarget? target;
        try { target = _sending!.Piped(bucket, key, size, PipedInput.PropertyText(input, "ETag")); }
        catch (S3TurboException invalidBucket) { return new[] { Rejected(invalidBucket) }; }
        return target is null ? Array.Empty<TransferInput>() : _piped!.Add("", target).Select(batch => Input(new[] { batch })).ToList();
    }

    TransferInput One(QueueTarget target)
    {
        try { return Input(new[] { _sending!.Single(target) }); }
        catch (S3TurboException ex) { return Rejected(ex); }
    }

    /// <summary>A prefix: listed here, one work item per object (or one for the prefix with -AsOneItem).</summary>
    TransferInput PrefixInput(Func<S3Path> parse)
    {
        S3Path source;
        try { source = parse(); }
        catch (S3TurboException ex) { return Rejected(ex); }
        var prefix = KeyMapper.NormalizePrefix(source.Key);
        if (AsOneItem) return One(new QueueTarget(QueueTargetKind.Prefix, source.BucketName, prefix));
        string filtered = Include is null && Exclude is null ? "" : " that -Include/-Exclude accept";
        return Input(_sending!.PlanPrefixAsync(source.BucketName, prefix, StopToken), $"No objects under s3://{source.BucketName}/{prefix}{filtered}: no work items sent.");
    }

    protected override string DescribeSummary(TransferSummary summary) =>
        $"Send-S3WorkItem: {summary.ItemsTransferred:N0} work items sent, {summary.ItemsFailed:N0} failed, in {summary.Elapsed.TotalSeconds:N2} s.";
}
