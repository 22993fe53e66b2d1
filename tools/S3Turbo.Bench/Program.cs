using System.Net;
using Amazon.S3;
using Amazon.S3.Transfer;
using S3Turbo.Bench;

// Usage:
//   proxy <listen-port> <target-port> <one-way-delay-ms> [MB/s per connection, 0 for none] [stats file: bytes each way, - for none]
//         [certificate PEM path: terminate TLS with a self-signed certificate for 127.0.0.1, written there]
//   transferutility-dir <endpoint> <bucket> <prefix> <directory>
//   transferutility-file <endpoint> <bucket> <key> <file>
//   transferutility-download-dir <endpoint> <bucket> <prefix> <directory>   (what Read-S3Object -KeyPrefix does)
//   transferutility-download <endpoint> <bucket> <key> <file>              (what Read-S3Object -Key -File does)
//   get-single <endpoint> <bucket> <key>
//   copy-ceiling <endpoint> <source-bucket> <source-prefix> <destination-bucket> <concurrency,...>
//   get-ceiling <endpoint> <bucket> <prefix> <concurrency,...>
//   put-ceiling <endpoint> <bucket> <prefix> <local-directory> <concurrency,...>
//   seed <endpoint> <bucket> <prefix> <count> [text]   (count objects, 64 PUTs at a time: empty (what a removal bench
//        removes), or with "text" each holding its own name, so that copies can be checked against their source)
//   put-uneven <endpoint> <bucket> <key> <checksum|none>   (a multipart object of uneven parts, see ProofFixtures)
//   hash-cost <file>   (CPU seconds per GiB of CRC64NVME and MD5 over the file's bytes in memory)
//   crc64nvme <file>   (the file's CRC-64/NVME as S3 writes it: base64 of the big-endian value)
// Keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
switch (args.FirstOrDefault())
{
    case "proxy":
        await DelayProxy.RunAsync(new IPEndPoint(IPAddress.Loopback, int.Parse(args[1])), new IPEndPoint(IPAddress.Loopback, int.Parse(args[2])),
            TimeSpan.FromMilliseconds(double.Parse(args[3])), args.Length > 4 ? (long)(double.Parse(args[4]) * 1_000_000) : 0, CancellationToken.None,
            args.Length > 5 && args[5] != "-" ? args[5] : null, args.Length > 6 ? args[6] : null);
        return 0;
    case "transferutility-dir" or "transferutility-file":
        var s3 = new AmazonS3Client(new AmazonS3Config { ServiceURL = args[1], ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        using (var transfer = new TransferUtility(s3))
        {
            // Exactly what Write-S3Object -Folder / -File does: TransferUtility with its defaults.
            if (args[0] == "transferutility-dir")
                await transfer.UploadDirectoryAsync(new TransferUtilityUploadDirectoryRequest { BucketName = args[2], KeyPrefix = args[3], Directory = args[4], SearchOption = SearchOption.AllDirectories });
            else
                await transfer.UploadAsync(args[4], args[2], args[3]);
        }
        return 0;
    case "transferutility-download-dir" or "transferutility-download":
    {
        var client = new AmazonS3Client(new AmazonS3Config { ServiceURL = args[1], ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
        using var transfer = new TransferUtility(client);
        if (args[0] == "transferutility-download-dir")
            await transfer.DownloadDirectoryAsync(new TransferUtilityDownloadDirectoryRequest { BucketName = args[2], S3Directory = args[3], LocalDirectory = args[4] });
        else
            await transfer.DownloadAsync(new TransferUtilityDownloadRequest { BucketName = args[2], Key = args[3], FilePath = args[4] });
        return 0;
    }
    case "get-single":
        await ReadBaselines.SingleGetAsync(new AmazonS3Client(new AmazonS3Config { ServiceURL = args[1], ForcePathStyle = true, AuthenticationRegion = "us-east-1" }), args[2], args[3]);
        return 0;
    case "copy-ceiling":
        await RequestCeiling.CopyAsync(new AmazonS3Client(new AmazonS3Config { ServiceURL = args[1], ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxConnectionsPerServer = 512 }),
            args[2], args[3], args[4], args[5].Split(',').Select(int.Parse).ToArray());
        return 0;
    case "get-ceiling":
        await RequestCeiling.GetAsync(new AmazonS3Client(new AmazonS3Config { ServiceURL = args[1], ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxConnectionsPerServer = 512 }),
            args[2], args[3], args[4].Split(',').Select(int.Parse).ToArray());
        return 0;
    case "put-ceiling":
        await RequestCeiling.PutAsync(new AmazonS3Client(new AmazonS3Config { ServiceURL = args[1], ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxConnectionsPerServer = 512 }),
            args[2], args[3], args[4], args[5].Split(',').Select(int.Parse).ToArray());
        return 0;
    case "seed":
    {
        var client = new AmazonS3Client(new AmazonS3Config { ServiceURL = args[1], ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxConnectionsPerServer = 128 });
        await Parallel.ForEachAsync(Enumerable.Range(0, int.Parse(args[4])), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
            await client.PutObjectAsync(new Amazon.S3.Model.PutObjectRequest
            {
                BucketName = args[2], Key = $"{args[3]}d{i % 10}/o{i:D6}", ContentBody = args.Length > 5 && args[5] == "text" ? $"{args[3]}d{i % 10}/o{i:D6}" : "",
            }, ct));
        return 0;
    }
    case "put-uneven":
        await ProofFixtures.PutUnevenAsync(new AmazonS3Client(new AmazonS3Config
        {
            ServiceURL = args[1], ForcePathStyle = true, AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = Amazon.Runtime.RequestChecksumCalculation.WHEN_REQUIRED,
        }), args[2], args[3], args[4] == "checksum");
        return 0;
    case "hash-cost":
        ProofFixtures.HashCost(args[1]);
        return 0;
    case "crc64nvme":
        Console.WriteLine(ProofFixtures.FileCrc64Nvme(args[1]));
        return 0;
    default:
        Console.Error.WriteLine("usage: proxy | transferutility-dir | transferutility-file | transferutility-download-dir | transferutility-download | get-single | copy-ceiling | get-ceiling | put-ceiling | seed | put-uneven | hash-cost (see Program.cs)");
        return 2;
}
