
namespace S3Turbo;

public enum TarArchiveStatus { Indexed, Failed }

public enum TarEntryType { File, Directory, SymbolicLink, HardLink, CharacterDevice, BlockDevice, Fifo, Other }

/// <summary>One member of a tar archive in S3 (S3Turbo.TarEntry).</summary>
public sealed record TarEntry
{
    public string BucketName { get; init; } = "";
    public string Key { get; init; } = "";
    /// <summary>The archive, as s3://bucket/key.</summary>
    public string Archive => $"s3://{BucketName}/{Key}";
    /// <summary>The member's full path inside the archive.</summary>
    public string Name { get; init; } = "";
    /// <summary>The member's size; for sparse files their real (expanded) size.</summary>
    public long Size { get; init; }
    /// <summary>Bytes the member's data takes in the archive (differs from Size only for sparse files).</summary>
    public long StoredSize { get; init; }
    public bool IsSparse { get; init; }
    /// <summary>Where the member's first header starts (including PAX or GNU long-name headers before it).</summary>
    public long HeaderOffset { get; init; }
    /// <summary>Where the member's data starts: for an uncompressed archive one ranged GET of
    /// [DataOffset, DataOffset + StoredSize) returns it. In compressed archives, offsets are in the decompressed stream.</summary>
    public long DataOffset { get; init; }
    public TarEntryType Type { get; init; }
    public string? LinkName { get; init; }
    public int Mode { get; init; }
    public long Uid { get; init; }
    public long Gid { get; init; }
    public string UserName { get; init; } = "";
    public string GroupName { get; init; } = "";
    public DateTimeOffset ModifiedTime { get; init; }
}

/// <summary>One archive's outcome (S3Turbo.TarArchiveResult).</summary>
public sealed record TarArchiveResult : ITransferOutcome
{
    public TarArchiveStatus Status => Error is null ? TarArchiveStatus.Indexed : TarArchiveStatus.Failed;
    long ITransferOutcome.Size => ArchiveBytes;
    OutcomeKind ITransferOutcome.Outcome => Error is null ? OutcomeKind.Done : OutcomeKind.Failed;
    OutcomeSubject ITransferOutcome.Subject => new(BucketName, Key);
    string ITransferOutcome.StatusText => Status.ToString();
    (string Target, string Action)? ITransferOutcome.WhatIf => null; // indexing writes nothing but the index: no dry run
    public string BucketName { get; init; } = "";
    public string Key { get; init; } = "";
    public string Archive => $"s3://{BucketName}/{Key}";
    /// <summary>None, Gzip or Zstd.</summary>
    public string Compression { get; init; } = "None";
    public long Entries { get; init; }
    public long ArchiveBytes { get; init; }
    /// <summary>Bytes fetched from S3 to index it.</summary>
    public long BytesRead { get; init; }
    public long Requests { get; init; }
    public TimeSpan Duration { get; init; }
    public S3TurboException? Error { get; init; }
}

/// <summary>The end-of-run summary of a tar index run (S3Turbo.TarIndexSummary): the common summary plus what
/// indexing read.</summary>
public sealed record TarIndexSummary : TransferSummary
{
    public TarIndexSummary(TransferSummary common) : base(common) { }
    /// <summary>Archives indexed or failed.</summary>
    public long Archives => ItemsTransferred + ItemsFailed;
    public long ArchivesFailed => ItemsFailed;
    public long Entries { get; init; }
    public long ArchiveBytes { get; init; }
    public long BytesRead { get; init; }
    public double PercentRead => ArchiveBytes == 0 ? 0 : 100.0 * BytesRead / ArchiveBytes;
    public long Requests { get; init; }
    /// <summary>Where the index was written (a file or s3:// locations), if anywhere.</summary>
    public IReadOnlyList<string> Outputs { get; init; } = Array.Empty<string>();

    public override string Describe() =>
        $"{Archives} archives ({ArchivesFailed} failed), {Entries} entries; read {BytesRead:N0} of {ArchiveBytes:N0} bytes ({PercentRead:N2}%) in {Requests} requests.";
}
