using System.Runtime.CompilerServices;

namespace S3Turbo.Engine.Remove;

/// <summary>A local file a mirror removes.</summary>
public sealed class LocalFileItem : TransferItem
{
    public LocalFileItem(string path, long size) { Path = path; Size = size; }
    public string Path { get; }
    public long Size { get; }
}

/// <summary>A local mirror's removals (Receive-S3Prefix -Delete) as a run of their own: counted, shown in progress,
/// listed by -WhatIf and written to the completion report like any other outcome. No file is removed through a link
/// inside the destination; a file that cannot be removed is a failure with its path, and the others still go.</summary>
public sealed class LocalFileRemoval : TransferAction<LocalFileItem, FileRemoveResult>
{
    readonly string _root;

    public LocalFileRemoval(string root) => _root = root;

    public override string Operation => "Remove";
    public override string FallbackErrorId => ErrorIds.RemoveFailed;
    public override long SizeOf(LocalFileItem item) => item.Size;

    /// <summary>The files under the target that no object stands for (see <see cref="Mirror.LocalExtrasAsync"/>).</summary>
    public static async IAsyncEnumerable<LocalFileItem> PlanAsync(LocalMirrorTarget target, MirrorSources sources, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var extra in Mirror.LocalExtrasAsync(target, sources, cancellationToken).ConfigureAwait(false))
            yield return new LocalFileItem(extra.Path, extra.Size);
    }

    public override async IAsyncEnumerable<FileRemoveResult> RunAsync(LocalFileItem item, bool dryRun, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        if (!dryRun)
        {
            Download.LocalPaths.CheckNoLinkBetween(_root, System.IO.Path.GetDirectoryName(item.Path)!, item.Path);
            File.Delete(item.Path);
        }
        yield return new FileRemoveResult { Path = item.Path, Size = item.Size, Status = dryRun ? RemoveStatus.WouldDelete : RemoveStatus.Deleted };
    }

    public override IEnumerable<FileRemoveResult> Failed(LocalFileItem item, S3TurboException failure, TimeSpan elapsed) =>
        new[] { new FileRemoveResult { Path = item.Path, Size = item.Size, Status = RemoveStatus.Failed, Reason = failure.Message, Error = failure } };

    public override S3TurboException Classify(Exception exception, LocalFileItem item) => exception switch
    {
        S3TurboException typed => typed,
        UnauthorizedAccessException or IOException => new S3TurboException(ErrorIds.AccessDenied, FailureKind.PermissionDenied,
            $"-Delete could not remove '{item.Path}': {exception.Message}", item.Path, exception),
        _ => new S3TurboException(FallbackErrorId, FailureKind.Unknown, $"-Delete could not remove '{item.Path}': {exception.Message}", item.Path, exception),
    };
}
