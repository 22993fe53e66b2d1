namespace S3Turbo;

/// <summary>AWS.Tools' -RequestChecksumCalculation: WhenRequired sends no checksum headers unless -ChecksumAlgorithm
/// asks for one, for stores that reject them (e.g. Ceph 16); objects are then proven by their MD5 ETags.</summary>
public enum ChecksumCalculation { WhenSupported, WhenRequired }

/// <summary>Whether a copy keeps the source's metadata and system headers or takes new ones.</summary>
public enum MetadataDirective { Copy, Replace }

/// <summary>The file formats of a tar index.</summary>
public enum TarIndexFormat { Jsonl, Csv, Parquet }

/// <summary>Which tasks a completion report (-ReportPath) lists.</summary>
public enum ReportScope { AllTasks, FailedTasksOnly }

/// <summary>The checksum every object S3Turbo writes carries (-ChecksumAlgorithm): S3's default CRC64NVME, CRC32C or
/// CRC32 (full-object checksums, also for multipart uploads), SHA256 (a composite of the parts' SHA-256 for multipart
/// uploads, as S3 allows no other), or None for stores that refuse checksum headers.</summary>
public enum ChecksumAlgorithm { CRC64NVME, CRC32C, CRC32, SHA256, None }
