using S3Turbo.Engine.Connection;
using System.Management.Automation;
using System.Text;
using S3Turbo.Engine;
using S3Turbo.Engine.Upload;
using S3Turbo.Infrastructure;

namespace S3Turbo.Commands;

/// <summary>Returns a writable stream that uploads to S3 while it is written, or, with pipeline input, writes the
/// input into one and completes it.</summary>
[Cmdlet(VerbsCommon.New, "S3UploadStream", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
// An S3UploadStream, declared as the Stream it is (the engine's types are not nameable from a script; see Open-S3Object).
[OutputType(typeof(System.IO.Stream), typeof(UploadResult))]
public sealed class NewS3UploadStreamCommand : S3WriteCmdlet
{
    [Parameter(Mandatory = true, Position = 0)] [Alias("Bucket")] [ArgumentCompleter(typeof(BucketNameCompleter))] public string BucketName { get; set; } = "";
    [Parameter(Mandatory = true, Position = 1)] public string Key { get; set; } = "";
    [Parameter(ValueFromPipeline = true)] public PSObject? InputObject { get; set; }
    [Parameter] [ValidateRange(5L * 1024 * 1024, 5L * 1024 * 1024 * 1024)] public long PartSize { get; set; } = PartSizing.DefaultPartSize;
    [Parameter] [ValidateRange(1, 64)] public int MaxPartsInFlight { get; set; } = 4;
    [Parameter] [ValidateRange(0L, 5L * 1024 * 1024 * 1024 * 1024)] public long ExpectedSize { get; set; }
    [Parameter] public Encoding Encoding { get; set; } = new UTF8Encoding(false);
    [Parameter] public SwitchParameter NoNewline { get; set; }
    [Parameter] public SwitchParameter AlwaysCompareMd5 { get; set; }
    [Parameter] [ValidateRange(1, long.MaxValue)] public long? MaxBytesPerSecond { get; set; }

    S3UploadStream? _stream;
    ObjectSettings? _settings;
    bool _piped;
    bool _skipped;
    static readonly byte[] Newline = { (byte)'\n' };

    protected override string ProgressActivity => $"New-S3UploadStream → s3://{BucketName}/{Key}";

    protected override void BeginProcessing()
    {
        var client = ConnectOrThrow();
        _piped = MyInvocation.ExpectingInput;
        if (!ShouldProcess(DisplayText.Escape($"s3://{BucketName}/{Key}"), "Upload a stream")) { _skipped = true; return; }
        try
        {
            // A returned stream outlives this command, so only a piped upload is tied to its stop token.
            _stream = new S3UploadStream(client, new UploadStreamOptions
            {
                BucketName = BucketName, Key = Key, PartSize = PartSize, MaxPartsInFlight = MaxPartsInFlight,
                ExpectedSize = MyInvocation.BoundParameters.ContainsKey(nameof(ExpectedSize)) ? ExpectedSize : null,
                Settings = _settings = BuildObjectSettings(), AlwaysCompareMd5 = AlwaysCompareMd5, MaxBytesPerSecond = MaxBytesPerSecond,
            }, _piped ? StopToken : CancellationToken.None);
        }
        catch (S3TurboException ex) { ThrowRunFailure(ex); }
        // Ctrl+C while piping: abort before StopProcessing returns, so no parts outlive the command.
        if (_piped) StopToken.Register(AbortPipedUpload);
        base.BeginProcessing();
    }

    protected override async Task ProcessRecordAsync(CancellationToken cancellationToken)
    {
        if (_skipped || !_piped || InputObject is null) return;
        try { await WriteInputAsync(InputObject.BaseObject, cancellationToken).ConfigureAwait(false); }
        catch (Exception ex)
        {
            await _stream!.AbortAsync().ConfigureAwait(false);
            if (ex is IOException io) throw ErrorClassifier.ClassifyStreamFailure(io, BucketName, Key, _settings);
            throw;
        }
    }

    async Task WriteInputAsync(object input, CancellationToken cancellationToken)
    {
        switch (input)
        {
            case byte[] bytes: await _stream!.WriteAsync(bytes, cancellationToken).ConfigureAwait(false); break;
            case byte single: await _stream!.WriteAsync(new[] { single }, cancellationToken).ConfigureAwait(false); break;
            case Stream source: await source.CopyToAsync(_stream!, 1 << 20, cancellationToken).ConfigureAwait(false); break;
            case FileInfo file:
                using (var source = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
                    await source.CopyToAsync(_stream!, 1 << 20, cancellationToken).ConfigureAwait(false);
                break;
            default:
                var text = input as string ?? LanguagePrimitives.ConvertTo<string>(input) ?? "";
                await _stream!.WriteAsync(Encoding.GetBytes(text), cancellationToken).ConfigureAwait(false);
                if (!NoNewline) await _stream.WriteAsync(Newline, cancellationToken).ConfigureAwait(false);
                break;
        }
    }

    /// <summary>A piped upload that did not complete, however the command ended (a stop, an error, a pipeline torn
    /// down), is aborted before the command is released, so no multipart upload outlives it.</summary>
    protected override void Dispose(bool disposing)
    {
        if (disposing && _piped && _stream is { Result: null })
        {
            try { AbortPipedUpload(); }
            catch (AggregateException) { /* the abort never throws for the store's sake; nothing more to do here */ }
        }
        base.Dispose(disposing);
    }

    /// <summary>Aborts the piped upload and waits for it (a minute at most: the abort's own bound).</summary>
    void AbortPipedUpload() => _stream!.AbortAsync().Wait(TimeSpan.FromSeconds(60));

    protected override async Task EndProcessingAsync(CancellationToken cancellationToken)
    {
        if (_skipped) return;
        if (!_piped) { await WriteObjectAsync(_stream).ConfigureAwait(false); return; }
        try
        {
            var result = await _stream!.CompleteAsync(cancellationToken).ConfigureAwait(false);
            await WriteObjectAsync(result).ConfigureAwait(false);
        }
        catch (IOException io)
        {
            throw ErrorClassifier.ClassifyStreamFailure(io, BucketName, Key, _settings);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await _stream!.AbortAsync().ConfigureAwait(false);
            throw;
        }
    }
}
