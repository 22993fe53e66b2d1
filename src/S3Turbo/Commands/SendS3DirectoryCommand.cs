using S3Turbo.Engine.Connection;
using System.Collections;
using System.Management.Automation;
using System.Threading.Channels;
using S3Turbo.Engine;
using S3Turbo.Engine.Upload;
using S3Turbo.Infrastructure;

namespace S3Turbo.Commands;

/// <summary>Uploads files and directory trees to S3: small files concurrently, large files as parallel multipart
/// uploads read straight from disk, with Overwrite/Add/Update modes.</summary>
[Cmdlet(VerbsCommunications.Send, "S3Directory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = PathSet)]
[OutputType(typeof(TransferSummary), typeof(UploadResult))]
public sealed class SendS3DirectoryCommand : S3WriteCmdlet
{
    const string PathSet = "Path", LiteralPathSet = "LiteralPath", InputObjectSet = "InputObject";
    /// <summary>Piped files wait here (at most this many) until the common root that keys are relative to is known.</summary>
    internal const int BasePathLookahead = 10_000;

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
    [Parameter] [ValidateRange(5L * 1024 * 1024, 5L * 1024 * 1024 * 1024 * 1024)] public long MultipartThreshold { get; set; } = 16L * 1024 * 1024;
    [Parameter] [ValidateRange(5L * 1024 * 1024, 5L * 1024 * 1024 * 1024)] public long? PartSize { get; set; }
    [Parameter] [ValidateRange(1, 4096)] public int MaxConcurrency { get; set; }
    [Parameter] public SwitchParameter PassThru { get; set; }

    DirectoryUpload? _upload;
    Task? _pump;
    bool _whatIf;
    bool _declined;
    WildcardFilter _filter = new(null, null);
    KeyMapper? _pipelineKeys;
    readonly List<FileSystemInfo> _lookahead = new();
    readonly List<string> _resolvedPaths = new();

    protected override string ProgressActivity => $"Send-S3Directory → s3://{BucketName}/{KeyMapper.NormalizePrefix(KeyPrefix)}";

    protected override void BeginProcessing()
    {
        var client = ConnectOrThrow();
        _whatIf = IsWhatIf();
        // One confirmation for the whole run (-Confirm); -WhatIf instead lists every file that would be sent.
        _declined = !_whatIf && !ShouldProcess($"s3://{BucketName}/{KeyMapper.NormalizePrefix(KeyPrefix)}", "Upload files");
        _filter = new WildcardFilter(Include, Exclude);
        if (BasePath is not null) _pipelineKeys = new KeyMapper(GetUnresolvedProviderPathFromPSPath(BasePath), KeyPrefix);
        var options = new UploadOptions
        {
            BucketName = BucketName, Mode = Mode, MultipartThreshold = MultipartThreshold, PartSize = PartSize,
            MaxConcurrency = MyInvocation.BoundParameters.ContainsKey(nameof(MaxConcurrency)) ? MaxConcurrency : null,
            WhatIf = _whatIf,
            Settings = BuildObjectSettings(),
            Progress = new InlineProgress<TransferProgress>(ReportProgress),
        };
        try
        {
            _upload = new DirectoryUpload(client, options, StopToken);
        }
        catch (S3TurboException ex) { ThrowRunFailure(ex); }
        _upload!.Scheduler.ConcurrencyChanged += (before, after) => TryWriteVerbose($"Request concurrency {before} → {after}.");
        base.BeginProcessing();
    }

    protected override async Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        if (_declined) return;
        await GuardAsync(() => _upload!.PreflightAsync(cancellationToken)).ConfigureAwait(false);
        _pump = PumpResultsAsync(cancellationToken);
    }

    protected override void ProcessRecord()
    {
        // Path resolution uses session state, so it happens here on the pipeline thread.
        _resolvedPaths.Clear();
        if (ParameterSetName != InputObjectSet && !_declined)
        {
            foreach (var path in ParameterSetName == PathSet ? Path : LiteralPath)
            {
                try
                {
                    if (ParameterSetName == LiteralPathSet) _resolvedPaths.Add(GetUnresolvedProviderPathFromPSPath(path));
                    else _resolvedPaths.AddRange(GetResolvedProviderPathFromPSPath(path, out _));
                }
                catch (Exception ex) when (ex is ItemNotFoundException or System.Management.Automation.DriveNotFoundException or ProviderNotFoundException)
                {
                    _resolvedPaths.Add(path); // reported as PathNotFound by the engine, counted with the rest
                }
            }
        }
        base.ProcessRecord();
    }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => _declined ? Task.CompletedTask : GuardAsync(async () =>
    {
        if (ParameterSetName == InputObjectSet)
        {
            if (InputObject is null) return;
            if (_pipelineKeys is not null) await AddInfoAsync(InputObject, _pipelineKeys, cancellationToken).ConfigureAwait(false);
            else
            {
                _lookahead.Add(InputObject);
                if (_lookahead.Count >= BasePathLookahead) await FlushLookaheadAsync(cancellationToken).ConfigureAwait(false);
            }
            return;
        }
        foreach (var path in _resolvedPaths)
        {
            if (Directory.Exists(path))
                await AddDirectoryAsync(new DirectoryInfo(path), _pipelineKeys ?? new KeyMapper(path, KeyPrefix), cancellationToken).ConfigureAwait(false);
            else if (File.Exists(path))
                await AddInfoAsync(new FileInfo(path), _pipelineKeys ?? new KeyMapper(System.IO.Path.GetDirectoryName(path)!, KeyPrefix), cancellationToken).ConfigureAwait(false);
            else
                await AddAsync(UploadItem.ForFailure(path, new S3TurboException(ErrorIds.PathNotFound, FailureKind.NotFound,
                    $"Cannot find path '{path}' because it does not exist.", path)), cancellationToken).ConfigureAwait(false);
        }
    });

    protected override Task EndProcessingAsync(CancellationToken cancellationToken) => _declined ? Task.CompletedTask : GuardAsync(async () =>
    {
        if (_lookahead.Count > 0) await FlushLookaheadAsync(cancellationToken).ConfigureAwait(false);
        _upload!.CompleteAdding();
        if (_pump is not null) await _pump.ConfigureAwait(false);
        var summary = await _upload.Completion.ConfigureAwait(false);
        if (PassThru) await WriteVerboseAsync($"{summary.ItemsTransferred} uploaded, {summary.ItemsSkipped} skipped, {summary.ItemsFailed} failed.").ConfigureAwait(false);
        else await WriteObjectAsync(summary).ConfigureAwait(false);
    });

    async Task FlushLookaheadAsync(CancellationToken cancellationToken)
    {
        var root = KeyMapper.CommonRoot(_lookahead.Select(i => i is DirectoryInfo d ? System.IO.Path.Combine(d.FullName, "x") : i.FullName));
        _pipelineKeys = new KeyMapper(root, KeyPrefix);
        await WriteVerboseAsync($"Keys are relative to '{root}' (the common root of the piped items; use -BasePath to choose).").ConfigureAwait(false);
        var buffered = _lookahead.ToArray();
        _lookahead.Clear();
        foreach (var info in buffered) await AddInfoAsync(info, _pipelineKeys, cancellationToken).ConfigureAwait(false);
    }

    async Task AddInfoAsync(FileSystemInfo info, KeyMapper keys, CancellationToken cancellationToken)
    {
        if (info is DirectoryInfo dir)
        {
            // Get-ChildItem -Recurse pipes the files as well: expanding directories too would send them twice.
            if (Recurse) await AddDirectoryAsync(dir, keys, cancellationToken).ConfigureAwait(false);
            return;
        }
        info.Refresh();
        var item = LocalFileEnumerator.ForFile((FileInfo)info, _filter, keys);
        if (item is not null) await AddAsync(item, cancellationToken).ConfigureAwait(false);
    }

    async Task AddDirectoryAsync(DirectoryInfo dir, KeyMapper keys, CancellationToken cancellationToken)
    {
        foreach (var item in LocalFileEnumerator.Enumerate(dir.FullName, Recurse, FollowSymlink, _filter, keys, cancellationToken))
            await AddAsync(item, cancellationToken).ConfigureAwait(false);
    }

    async Task AddAsync(UploadItem item, CancellationToken cancellationToken)
    {
        try { await _upload!.AddAsync(item, cancellationToken).ConfigureAwait(false); }
        catch (ChannelClosedException)
        {
            await _upload!.Completion.ConfigureAwait(false); // the run stopped: surface why
            throw;
        }
    }

    async Task PumpResultsAsync(CancellationToken cancellationToken)
    {
        await foreach (var result in _upload!.Results.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            switch (result.Status)
            {
                case TransferStatus.Failed:
                    await WriteErrorAsync(ToErrorRecord(result.Error!)).ConfigureAwait(false);
                    break;
                case TransferStatus.Skipped when result.Key.Length == 0:
                    await WriteWarningAsync($"Skipped '{result.Path}': {result.Reason}.").ConfigureAwait(false);
                    break;
                case TransferStatus.WouldUpload:
                    await ShouldProcessAsync($"{result.Path} → s3://{result.BucketName}/{result.Key} ({result.Size:N0} bytes)", "Upload").ConfigureAwait(false);
                    break;
            }
            if (PassThru) await WriteObjectAsync(result).ConfigureAwait(false);
        }
    }

    /// <summary>On stop or failure, waits for the engine to finish cleaning up (aborting multipart uploads)
    /// before the cmdlet returns control.</summary>
    async Task GuardAsync(Func<Task> body)
    {
        try { await body().ConfigureAwait(false); }
        catch (Exception) when (_upload is not null)
        {
            _upload.CompleteAdding();
            try { await _upload.Completion.ConfigureAwait(false); } catch (Exception) { /* the first error is the one to report */ }
            throw;
        }
    }
}
