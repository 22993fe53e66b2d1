namespace S3Turbo;

/// <summary>When the SDK computes request checksums. Many S3-compatible stores (e.g. Ceph 16) reject the
/// SDK's default aws-chunked trailing checksums, so WhenRequired is offered for them.</summary>
public enum ChecksumCalculation { WhenSupported, WhenRequired }

/// <summary>Whether a copy keeps the source's metadata and system headers or takes new ones.</summary>
public enum MetadataDirective { Copy, Replace }

/// <summary>The file formats of a tar index.</summary>
public enum TarIndexFormat { Jsonl, Csv, Parquet }

/// <summary>Which tasks a completion report (-ReportPath) lists.</summary>
public enum ReportScope { AllTasks, FailedTasksOnly }
