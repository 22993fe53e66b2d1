using S3Turbo.Engine.Connection;
using System.Management.Automation;
using System.Threading.Channels;
using S3Turbo.Engine;
using S3Turbo.Engine.Listing;
using S3Turbo.Engine.Tar;
using S3Turbo.Engine.Upload;
using S3Turbo.Infrastructure;

namespace S3Turbo.Commands;

/// <summary>Indexes tar archives stored in S3 (names, sizes, offsets) without downloading them where it can.</summary>
[Cmdlet(VerbsCommon.Get, "S3TarIndex", DefaultParameterSetName = UriSet)]
[OutputType(typeof(TarEntry), typeof(TarIndexSummary))]
public sealed class GetS3TarIndexCommand : S3Cmdlet
{
    const string UriSet = "Uri", KeySet = "Key", PrefixSet = "Prefix";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = UriSet, ValueFromPipeline = true)]
    public string[] Uri { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = KeySet, ValueFromPipelineByPropertyName = true)]
    [Parameter(Mandatory = true, ParameterSetName = PrefixSet)]
    [Alias("Bucket")] [ArgumentCompleter(typeof(BucketNameCompleter))]
    public string BucketName { get; set; } = "";

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = KeySet, ValueFromPipelineByPropertyName = true)]
    public string[] Key { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = PrefixSet)] [AllowEmptyString] public string Prefix { get; set; } = "";
    [Parameter(ParameterSetName = PrefixSet)] [SupportsWildcards] public string[] Include { get; set; } = { "*.tar", "*.tar.gz", "*.tgz", "*.tar.zst", "*.tzst" };
    [Parameter(ParameterSetName = PrefixSet)] [SupportsWildcards] public string[]? Exclude { get; set; }

    [Parameter] public string? OutFile { get; set; }
    [Parameter] [ArgumentCompleter(typeof(BucketNameCompleter))] public string? DestinationBucket { get; set; }
    [Parameter] public string? DestinationKey { get; set; }
    [Parameter] public string? DestinationPrefix { get; set; }
    [Parameter] public TarIndexFormat? Format { get; set; }
    [Parameter] [ValidateRange(1, 256)] public int MaxConcurrency { get; set; } = 8;
    [Parameter] public SwitchParameter PassThru { get; set; }

    TarIndexer? _indexer;
    TarIndexOutput? _output;
    Task? _pump;

    protected override string ProgressActivity => "Get-S3TarIndex";

    protected override void BeginProcessing()
    {
        var client = ConnectOrThrow();
        try
        {
            _output = CreateOutput(client);
            _indexer = new TarIndexer(client, new TarIndexOptions
            {
                MaxConcurrency = MaxConcurrency, Progress = new InlineProgress<TransferProgress>(ReportProgress),
            }, StopToken);
        }
        catch (S3TurboException ex) { ThrowRunFailure(ex); }
        base.BeginProcessing();
    }

    TarIndexOutput? CreateOutput(S3Connection client)
    {
        int destinations = (OutFile is null ? 0 : 1) + (DestinationKey is null ? 0 : 1) + (DestinationPrefix is null ? 0 : 1);
        if (destinations > 1)
            throw new S3TurboException("AmbiguousDestination", FailureKind.InvalidArgument, "Give one of -OutFile, -DestinationKey or -DestinationPrefix.", null);
        if ((DestinationKey is not null || DestinationPrefix is not null) == (DestinationBucket is null))
            throw new S3TurboException("NoDestination", FailureKind.InvalidArgument,
                DestinationBucket is null ? "-DestinationKey and -DestinationPrefix need -DestinationBucket." : "-DestinationBucket needs -DestinationKey or -DestinationPrefix.", DestinationBucket);
        if (OutFile is not null)
            return TarIndexOutput.ToFile(GetUnresolvedProviderPathFromPSPath(OutFile), Format ?? TarIndexWriter.FormatFromPath(OutFile));
        if (DestinationKey is not null)
            return TarIndexOutput.ToObject(client, DestinationBucket!, DestinationKey, Format ?? TarIndexWriter.FormatFromPath(DestinationKey));
        if (DestinationPrefix is not null)
            return TarIndexOutput.PerArchive(client, DestinationBucket!, DestinationPrefix, Format ?? TarIndexFormat.Jsonl);
        return null;
    }

    protected override Task BeginProcessingAsync(CancellationToken cancellationToken)
    {
        _pump = PumpAsync(cancellationToken);
        return Task.CompletedTask;
    }

    protected override Task ProcessRecordAsync(CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        switch (ParameterSetName)
        {
            case PrefixSet:
                long found = await ReportInputErrorsAsync(() => _indexer!.AddPrefixAsync(BucketName, KeyMapper.NormalizePrefix(Prefix), new WildcardFilter(Include, Exclude), cancellationToken)).ConfigureAwait(false);
                if (found == 0) await WriteWarningAsync($"No archives under s3://{BucketName}/{KeyMapper.NormalizePrefix(Prefix)} match -Include {string.Join(",", Include)}.").ConfigureAwait(false);
                break;
            case KeySet:
                foreach (var key in Key) await ReportInputErrorsAsync(async () => { await _indexer!.AddArchiveAsync(BucketName, key, null, cancellationToken).ConfigureAwait(false); return 1; }).ConfigureAwait(false);
                break;
            default:
                foreach (var uri in Uri)
                    await ReportInputErrorsAsync(async () =>
                    {
                        var path = S3Path.Parse(uri, nameof(Uri));
                        await _indexer!.AddArchiveAsync(path.BucketName, path.Key, null, cancellationToken).ConfigureAwait(false);
                        return 1;
                    }).ConfigureAwait(false);
                break;
        }
    });

    async Task<long> ReportInputErrorsAsync(Func<Task<long>> add)
    {
        try { return await add().ConfigureAwait(false); }
        catch (S3TurboException ex) when (!ex.IsFatalForRun && ex.Kind != FailureKind.Stopped)
        {
            await WriteErrorAsync(ToErrorRecord(ex)).ConfigureAwait(false);
            return -1;
        }
    }

    protected override Task EndProcessingAsync(CancellationToken cancellationToken) => GuardAsync(async () =>
    {
        _indexer!.CompleteAdding();
        await _pump!.ConfigureAwait(false);
        var summary = await _indexer.Completion.ConfigureAwait(false);
        if (_output is not null)
        {
            await _output.CompleteAsync(cancellationToken).ConfigureAwait(false);
            summary = summary with { Outputs = _output.Written.ToArray() };
        }
        await WriteVerboseAsync($"{summary.Archives} archives ({summary.ArchivesFailed} failed), {summary.Entries} entries; read {summary.BytesRead:N0} of {summary.ArchiveBytes:N0} bytes ({summary.PercentRead:N2}%) in {summary.Requests} requests.").ConfigureAwait(false);
        if (_output is not null && !PassThru) await WriteObjectAsync(summary).ConfigureAwait(false);
    });

    async Task PumpAsync(CancellationToken cancellationToken)
    {
        await foreach (var item in _indexer!.Output.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            switch (item)
            {
                case TarEntry entry:
                    if (_output is not null) await _output.WriteAsync(entry, cancellationToken).ConfigureAwait(false);
                    if (_output is null || PassThru) await WriteObjectAsync(entry).ConfigureAwait(false);
                    break;
                case TarArchiveResult result:
                    if (_output is not null) await _output.ArchiveDoneAsync(result, cancellationToken).ConfigureAwait(false);
                    if (result.Error is not null) await WriteErrorAsync(ToErrorRecord(result.Error)).ConfigureAwait(false);
                    else await WriteVerboseAsync($"{result.Archive}: {result.Entries} entries, read {result.BytesRead:N0} of {result.ArchiveBytes:N0} bytes ({result.Compression}).").ConfigureAwait(false);
                    break;
            }
        }
    }

    /// <summary>On stop or failure: stop indexing and drop every output not yet completed.</summary>
    async Task GuardAsync(Func<Task> body)
    {
        try { await body().ConfigureAwait(false); }
        catch (Exception ex)
        {
            _indexer?.CompleteAdding();
            try { if (_pump is not null) await _pump.ConfigureAwait(false); } catch (Exception) when (ex is not ChannelClosedException) { }
            if (_output is not null) await _output.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
