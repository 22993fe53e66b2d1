using System.Management.Automation;
using S3Turbo.Engine.Connection;
using S3Turbo.Engine.Download;
using S3Turbo.Engine.Remove;
using S3Turbo.Infrastructure;

namespace S3Turbo.Commands;

/// <summary>Downloads every object under a prefix (or piped objects) into a local directory: a streamed listing feeds
/// concurrent GETs, large objects as parallel ranged GETs into a temporary file that is verified, then renamed.</summary>
[Cmdlet(VerbsCommunications.Receive, "S3Prefix", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = InputSet)]
[OutputType(typeof(TransferSummary), typeof(DownloadResult))]
public sealed class ReceiveS3PrefixCommand : TransferCmdlet<DownloadItem, NoPart, DownloadResult>
{
    const string UriSet = "Uri", PrefixSet = "Prefix", InputSet = "Input", ManifestSet = "Manifest";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = UriSet)]
    public string[] Uri { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = PrefixSet)]
    [Alias("Bucket")] [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string BucketName { get; set; } = "";

    /// <summary>The prefix keys are made relative to (with -BucketName, what is listed; with piped objects, what is
    /// cut off their keys).</summary>
    [Parameter(ParameterSetName = PrefixSet)]
    [Parameter(ParameterSetName = InputSet)]
    [Parameter(ParameterSetName = ManifestSet)]
    [Alias("Prefix")]
    public string? KeyPrefix { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ManifestSet)]
    [Alias("Manifest")]
    public string ManifestPath { get; set; } = "";

    /// <summary>Piped S3 URIs and objects with BucketName and Key.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputSet, ValueFromPipeline = true)]
    public PSObject? InputObject { get; set; }

    [Parameter(Mandatory = true, Position = 1)] public string Destination { get; set; } = "";
    [Parameter] [SupportsWildcards] public string[]? Include { get; set; }
    [Parameter] [SupportsWildcards] public string[]? Exclude { get; set; }
    [Parameter] public TransferMode Mode { get; set; } = TransferMode.Update;
    [Parameter] [ValidateRange(5L * 1024 * 1024, 5L * 1024 * 1024 * 1024 * 1024)] public long MultipartThreshold { get; set; } = 16L * 1024 * 1024;
    [Parameter] [ValidateRange(5L * 1024 * 1024, 5L * 1024 * 1024 * 1024)] public long PartSize { get; set; } = 8L * 1024 * 1024;
    [Parameter] [ValidateRange(1, 4096)] public int? MaxConcurrency { get; set; }
    [Parameter] [ValidateRange(0.1, 1_000_000.0)] public double? MaxRequestsPerSecond { get; set; }
    [Parameter] [ValidateRange(1, 1000)] public int PageSize { get; set; } = 1000;
    [Parameter] public SwitchParameter Delete { get; set; }
    [Parameter] public SwitchParameter Resumable { get; set; }
    [Parameter] [ValidateRange(0, long.MaxValue)] public long? MaxDelete { get; set; }

    PrefixDownload? _download;
    string _destination = "";

    protected override string ProgressActivity => $"Receive-S3Prefix → {_destination}";

    protected override (string Target, string Action) DescribeRun()
    {
        _destination = LocalPaths.Root(GetUnresolvedProviderPathFromPSPath(Destination));
        return (CheckMirror(Delete, MaxDelete, _destination), Delete ? "Download objects and delete files without an object" : "Download objects");
    }

    protected override MirrorTarget? MirrorTarget => Delete ? new LocalMirrorTarget(_destination, new WildcardFilter(Include, Exclude), MaxDelete) : null;

    protected override TransferEngine<DownloadItem, NoPart, DownloadResult> StartEngine(S3Connection connection, bool whatIf, IProgress<TransferProgress> progress)
    {
        (var engine, _download) = PrefixDownload.Start(connection, new DownloadOptions
        {
            Destination = _destination, Mode = Mode, MultipartThreshold = MultipartThreshold, PartSize = PartSize, PageSize = PageSize,
            Filter = new WildcardFilter(Include, Exclude), MaxConcurrency = MaxConcurrency, MaxRequestsPerSecond = MaxRequestsPerSecond,
            WhatIf = whatIf, Progress = progress, Shard = Shard, TimeLimit = TimeLimit, MaxBytesPerSecond = MaxBytesPerSecond, KeepResumable = Resumable,
        }, StopToken);
        return engine;
    }

    protected override IEnumerable<TransferInput> PlanRecord() => ParameterSetName switch
    {
        InputSet => new[] { PlanPiped(InputObject!) },
        ManifestSet => new[] { ManifestInput(ManifestPath, e => _download!.PlanObjectAsync(e.BucketName, e.Key, KeyPrefix, e.Size, e.ETag, e.LastModified, StopToken)) },
        PrefixSet => new[] { PrefixInput(() => new S3Path(BucketName, KeyPrefix ?? "")) },
        _ => Uri.Select(uri => PrefixInput(() => S3Path.Parse(uri, nameof(Uri)))),
    };

    /// <summary>A piped URI is a prefix like -Uri; a piped object (BucketName, Key, and Size, ETag, LastModified when
    /// present) is one object, its key relative to -KeyPrefix when it starts with it.</summary>
    TransferInput PlanPiped(PSObject input)
    {
        if (input.BaseObject is string uri) return PrefixInput(() => S3Path.Parse(uri, nameof(InputObject)));
        if (PipedInput.PipedObject(input, out var invalid) is not { } piped) return Rejected(invalid!);
        var (bucket, key) = piped;
        long? size = long.TryParse(PipedInput.PropertyText(input, "Size"), out long s) ? s : null;
        DateTime? lastModified = input.Properties["LastModified"]?.Value is { } lm && LanguagePrimitives.TryConvertTo<DateTime>(lm, out var time) ? time : null;
        return Input(_download!.PlanObjectAsync(bucket, key, KeyPrefix, size, PipedInput.PropertyText(input, "ETag"), lastModified, StopToken));
    }

    TransferInput PrefixInput(Func<S3Path> parse)
    {
        S3Path source;
        try { source = parse(); }
        catch (S3TurboException ex) { return Rejected(ex); }
        string filtered = Include is null && Exclude is null ? "" : " that -Include/-Exclude accept";
        return Input(_download!.PlanPrefixAsync(source.BucketName, source.Key, StopToken),
            $"No objects under s3://{source.BucketName}/{KeyMapper.NormalizePrefix(source.Key)}{filtered}: nothing to download.");
    }
}
