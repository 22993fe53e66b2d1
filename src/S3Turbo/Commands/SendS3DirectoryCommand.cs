using System.Management.Automation;
using S3Turbo.Engine.Connection;
using S3Turbo.Engine.Remove;
using S3Turbo.Engine.Upload;
using S3Turbo.Infrastructure;

namespace S3Turbo.Commands;

/// <summary>Uploads files and directory trees to S3: small files concurrently, large files as parallel multipart
/// uploads read straight from disk, with Overwrite/Add/Update modes.</summary>
[Cmdlet(VerbsCommunications.Send, "S3Directory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = PathSet)]
[OutputType(typeof(TransferSummary), typeof(UploadResult))]
public sealed class SendS3DirectoryCommand : WriteTransferCmdlet<UploadItem, NoPart, UploadResult>
{
    const string PathSet = "Path", LiteralPathSet = "LiteralPath", InputObjectSet = "InputObject";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [SupportsWildcards]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = LiteralPathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("PSPath", "LP")]
    public string[] LiteralPath { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    public FileSystemInfo? InputObject { get; set; }

    [Parameter(Mandatory = true)] [Alias("Bucket")] [ArgumentCompleter(typeof(BucketNameCompleter))] public string BucketName { get; set; } = "";
    [Parameter] [Alias("Prefix")] public string? KeyPrefix { get; set; }
    [Parameter] public string? BasePath { get; set; }
    [Parameter] public SwitchParameter Recurse { get; set; }
    [Parameter] public SwitchParameter FollowSymlink { get; set; }
    [Parameter] [SupportsWildcards] public string[]? Include { get; set; }
    [Parameter] [SupportsWildcards] public string[]? Exclude { get; set; }
    [Parameter] public TransferMode Mode { get; set; } = TransferMode.Update;
    [Parameter] public UploadComparison Compare { get; set; } = UploadComparison.Checksum;
    [Parameter] public SwitchParameter Gzip { get; set; }
    [Parameter] [SupportsWildcards] public string[]? GzipContentType { get; set; }
    [Parameter] public SwitchParameter Tar { get; set; }
    [Parameter] [ValidateRange(5L * 1024 * 1024, 5L * 1024 * 1024 * 1024 * 1024)] public long MultipartThreshold { get; set; } = 16L * 1024 * 1024;
    [Parameter] [ValidateRange(5L * 1024 * 1024, 5L * 1024 * 1024 * 1024)] public long? PartSize { get; set; }
    [Parameter] [ValidateRange(1, 4096)] public int? MaxConcurrency { get; set; }
    [Parameter] public SwitchParameter Delete { get; set; }
    [Parameter] public SwitchParameter Resumable { get; set; }
    [Parameter] [ValidateRange(0, long.MaxValue)] public long? MaxDelete { get; set; }

    DirectoryUploadPlan? _plan;
    TarArchiveMembers? _tar;

    protected override string ProgressActivity => $"Send-S3Directory → s3://{BucketName}/{KeyMapper.NormalizePrefix(KeyPrefix)}";
    protected override (string Target, string Action) DescribeRun() =>
        (CheckMirror(Delete, MaxDelete, $"s3://{BucketName}/{KeyMapper.NormalizePrefix(KeyPrefix)}"), Delete ? "Upload files and delete objects without a source" : "Upload files");

    protected override MirrorTarget? MirrorTarget => Delete ? new S3MirrorTarget(BucketName, KeyPrefix ?? "", new WildcardFilter(Include, Exclude), MaxDelete) : null;

    protected override TransferEngine<UploadItem, NoPart, UploadResult> StartEngine(S3Connection connection, bool whatIf, IProgress<TransferProgress> progress)
    {
        _plan = new DirectoryUploadPlan(KeyPrefix, BasePath is null ? null : GetUnresolvedProviderPathFromPSPath(BasePath), Recurse, FollowSymlink,
            new WildcardFilter(Include, Exclude), TryWriteVerbose, Shard);
        if (Tar) _tar = new TarArchiveMembers(KeyPrefix, new WildcardFilter(Include, Exclude), MultipartThreshold, Shard);
        return DirectoryUpload.Start(connection, new UploadOptions
        {
            BucketName = BucketName, KeyPrefix = KeyPrefix ?? "", Mode = Mode, Compare = Compare, MultipartThreshold = MultipartThreshold, PartSize = PartSize, MaxConcurrency = MaxConcurrency,
            WhatIf = whatIf, Settings = BuildObjectSettings(), Progress = progress, Shard = Shard, TimeLimit = TimeLimit, MaxBytesPerSecond = MaxBytesPerSecond, KeepResumable = Resumable,
            // -GzipContentType alone implies -Gzip: naming what to compress is asking for compression.
            GzipContentTypes = GzipContentType is { Length: > 0 } types ? types : Gzip ? UploadOptions.DefaultGzipContentTypes : null,
        }, StopToken);
    }

    protected override IEnumerable<TransferInput> PlanRecord()
    {
        if (ParameterSetName == InputObjectSet)
        {
            if (InputObject is not null) yield return _tar is not null ? Input(_tar.ReadAsync(InputObject.FullName, StopToken)) : Input(_plan!.FromPiped(InputObject, StopToken));
            yield break;
        }
        foreach (var path in ParameterSetName == PathSet ? Path : LiteralPath)
            foreach (var resolved in Resolve(path))
                yield return _tar is not null ? Input(_tar.ReadAsync(resolved, StopToken)) : Input(_plan!.FromPath(resolved, StopToken));
    }

    protected override IEnumerable<TransferInput> PlanEnd() { if (_tar is null) yield return Input(_plan!.Flush(StopToken)); }

    /// <summary>Wildcards expand to every match; a path that cannot be resolved is passed on as it is, to be reported
    /// as PathNotFound and counted with the rest.</summary>
    IEnumerable<string> Resolve(string path)
    {
        try
        {
            return ParameterSetName == LiteralPathSet ? new[] { GetUnresolvedProviderPathFromPSPath(path) } : GetResolvedProviderPathFromPSPath(path, out _);
        }
        catch (Exception ex) when (ex is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException)
        {
            return new[] { path };
        }
    }

    protected override async ValueTask OnOutcomeAsync(ITransferOutcome outcome)
    {
        if (outcome is UploadResult { Status: UploadStatus.Skipped } result && result.Reason is not (DirectoryUpload.UnchangedReason or DirectoryUpload.ExistsReason))
            await WriteWarningAsync($"Skipped '{result.Path}': {result.Reason}.").ConfigureAwait(false);
    }
}
