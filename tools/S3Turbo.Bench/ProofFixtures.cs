using System.Diagnostics;
using System.IO.Hashing;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;

namespace S3Turbo.Bench;

/// <summary>What the proof section of the bench needs beside the cmdlets: an object written as a streaming uploader
/// writes one (uneven parts), and the CPU cost of the hashes that prove a download.</summary>
static class ProofFixtures
{
    /// <summary>27,000,000 bytes in the parts issue 31 found (6 MiB + 17 B, 8,000,000 B, 5 MiB + 1 B, the rest),
    /// with a CRC64NVME per part and the FULL_OBJECT checksum on completion as current SDKs send them, or (withChecksum
    /// false) none, as older tools.</summary>
    public static async Task PutUnevenAsync(IAmazonS3 s3, string bucket, string key, bool withChecksum)
    {
        var data = new byte[27_000_000];
        new Random(27).NextBytes(data);
        long[] sizes = { 6 * 1048576 + 17, 8_000_000, 5 * 1048576 + 1, 0 };
        sizes[3] = data.Length - sizes.Take(3).Sum();
        var initiate = new InitiateMultipartUploadRequest { BucketName = bucket, Key = key };
        if (withChecksum) { initiate.ChecksumAlgorithm = ChecksumAlgorithm.CRC64NVME; initiate.ChecksumType = ChecksumType.FULL_OBJECT; }
        var uploadId = (await s3.InitiateMultipartUploadAsync(initiate)).UploadId;
        var parts = new List<PartETag>();
        long offset = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            var request = new UploadPartRequest
            {
                BucketName = bucket, Key = key, UploadId = uploadId, PartNumber = i + 1, UseChunkEncoding = false,
                InputStream = new MemoryStream(data, (int)offset, (int)sizes[i]),
            };
            if (withChecksum) { request.ChecksumAlgorithm = ChecksumAlgorithm.CRC64NVME; request.ChecksumCRC64NVME = Crc64Nvme(data.AsSpan((int)offset, (int)sizes[i])); }
            var response = await s3.UploadPartAsync(request);
            parts.Add(new PartETag(i + 1, response.ETag) { ChecksumCRC64NVME = request.ChecksumCRC64NVME });
            offset += sizes[i];
        }
        var complete = new CompleteMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId, PartETags = parts };
        if (withChecksum) { complete.ChecksumType = ChecksumType.FULL_OBJECT; complete.ChecksumCRC64NVME = Crc64Nvme(data); }
        await s3.CompleteMultipartUploadAsync(complete);
    }

    public static string FileCrc64Nvme(string path)
    {
        var crc = new Crc64(Crc64ParameterSet.Nvme);
        using (var file = File.OpenRead(path)) crc.Append(file);
        var value = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(value, crc.GetCurrentHashAsUInt64());
        return Convert.ToBase64String(value);
    }

    static string Crc64Nvme(ReadOnlySpan<byte> data)
    {
        var crc = new Crc64(Crc64ParameterSet.Nvme);
        crc.Append(data);
        var value = new byte[8];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(value, crc.GetCurrentHashAsUInt64());
        return Convert.ToBase64String(value);
    }

    /// <summary>CPU seconds of a CRC64NVME and of an MD5 over a file's bytes, already in memory (what a download's
    /// proof adds to receiving and writing them), printed as key=value.</summary>
    public static void HashCost(string path)
    {
        var data = File.ReadAllBytes(path);
        double Cpu(Action hash)
        {
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            hash();
            return (Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds;
        }
        double gib = data.Length / 1073741824.0;
        var crc = Cpu(() => { var c = new Crc64(Crc64ParameterSet.Nvme); c.Append(data); c.GetCurrentHashAsUInt64(); });
        var md5 = Cpu(() => MD5.HashData(data));
        Console.WriteLine($"crc64nvme_cpu_s_per_gib={crc / gib:F3} md5_cpu_s_per_gib={md5 / gib:F3} bytes={data.Length}");
    }
}
