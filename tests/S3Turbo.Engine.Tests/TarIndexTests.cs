using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using Amazon.S3.Model;
using S3Turbo.Engine.Tar;
using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

/// <summary>Archives made by GNU tar (Debian's tar) and by .NET's TarWriter, indexed from the real S3 server and
/// compared with what `tar -tv` says of the same file.</summary>
public class TarIndexTests : IClassFixture<BucketFixture>, IDisposable
{
    readonly BucketFixture _s3;
    readonly TempDir _dir = new();
    public TarIndexTests(BucketFixture s3) => _s3 = s3;
    public void Dispose() => _dir.Dispose();

    static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["LC_ALL"] = "C.UTF-8";
        using var p = Process.Start(start)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {error}");
        return output;
    }

    /// <summary>A tree with nested directories, long and non-ASCII names, links and an empty file.</summary>
    string MakeTree()
    {
        var root = Path.Combine(_dir.Path, "tree");
        _dir.Write("tree/small.txt", "hello"u8.ToArray());
        _dir.Write("tree/empty.dat", Array.Empty<byte>());
        _dir.Write("tree/sub dir/ünïcødé ✓.bin", TempDir.Random(70_000, 1));
        var longDir = string.Join('/', Enumerable.Range(0, 6).Select(i => $"directory-level-{i:D2}"));
        _dir.Write($"tree/{longDir}/a-file-whose-path-needs-the-ustar-prefix-field.txt", TempDir.Random(1000, 2));
        _dir.Write($"tree/one-component-longer-than-a-hundred-bytes-{new string('y', 80)}.txt", TempDir.Random(10, 3));
        Directory.CreateDirectory(Path.Combine(root, "empty-dir"));
        File.CreateSymbolicLink(Path.Combine(root, "link-to-small"), "small.txt");
        File.CreateSymbolicLink(Path.Combine(root, "link-with-a-long-target"), longDir + "/../" + new string('t', 120));
        Run("ln", Path.Combine(root, "small.txt"), Path.Combine(root, "hard-link"));
        return root;
    }

    async Task<string> PutAsync(string key, byte[] bytes)
    {
        await _s3.S3.PutObjectAsync(new PutObjectRequest { BucketName = _s3.Bucket, Key = key, InputStream = new MemoryStream(bytes) });
        return key;
    }

    async Task<(List<TarEntry> Entries, TarArchiveResult Result)> IndexAsync(string key)
    {
        var (indexer, _) = TarIndexer.Start(_s3.S3, new TarIndexOptions(), default);
        await indexer.AddAsync(new TarArchiveItem(_s3.Bucket, key));
        indexer.CompleteAdding();
        var entries = new List<TarEntry>();
        TarArchiveResult? result = null;
        await foreach (var item in indexer.Results.ReadAllAsync())
            if (item.Part is { } e) entries.Add(e); else result = item.Outcome;
        await indexer.Completion;
        return (entries, result!);
    }

    /// <summary>(name, size, type letter) as `tar -tv` lists them.</summary>
    static List<(string Name, long Size, char Type)> TarListing(string archive)
    {
        var rows = new List<(string, long, char)>();
        foreach (var line in Run("tar", "--list", "--verbose", "--numeric-owner", "--quoting-style=literal", "--file", archive).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // -rw-r--r-- 0/0   5 2026-11-26 16:00 ./small.txt
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var name = string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(5));
            int arrow = name.IndexOf(" -> ", StringComparison.Ordinal), hard = name.IndexOf(" link to ", StringComparison.Ordinal);
            if (arrow >= 0) name = name[..arrow];
            if (hard >= 0) name = name[..hard];
            rows.Add((name, long.Parse(parts[2]), parts[0][0]));
        }
        return rows;
    }

    static char Letter(TarEntry e) => e.Type switch
    {
        TarEntryType.Directory => 'd', TarEntryType.SymbolicLink => 'l', TarEntryType.HardLink => 'h', TarEntryType.Fifo => 'p',
        TarEntryType.CharacterDevice => 'c', TarEntryType.BlockDevice => 'b', _ => '-',
    };

    async Task AssertMatchesTarAsync(string archivePath, string key)
    {
        var (entries, result) = await IndexAsync(key);
        Assert.Null(result.Error);
        var expected = TarListing(archivePath);
        Assert.Equal(expected.Select(e => e.Name), entries.Select(e => e.Name));
        Assert.Equal(expected.Select(e => (e.Size, e.Type)), entries.Select(e => (e.Size, Letter(e))));
    }

    [Theory]
    [InlineData("ustar")]
    [InlineData("gnu")]
    [InlineData("pax")]
    public async Task Gnu_tar_archives_index_as_tar_lists_them(string format)
    {
        var tree = MakeTree();
        var archive = Path.Combine(_dir.Path, $"{format}.tar");
        // ustar cannot hold the long symlink target: leave it out of that archive.
        var args = new List<string> { "--create", $"--format={format}", "--file", archive, "--directory", tree };
        if (format == "ustar") { args.Add("--exclude=link-with-a-long-target"); args.Add("--exclude=one-component-longer-*"); }
        args.Add(".");
        Run("tar", args.ToArray());
        await AssertMatchesTarAsync(archive, await PutAsync($"gnu/{format}.tar", File.ReadAllBytes(archive)));
        var (entries, _) = await IndexAsync($"gnu/{format}.tar");
        var unicode = entries.Single(e => e.Name.EndsWith("ünïcødé ✓.bin"));
        var bytes = File.ReadAllBytes(archive);
        Assert.True(bytes.AsSpan((int)unicode.DataOffset, 70_000).SequenceEqual(TempDir.Random(70_000, 1)), "DataOffset must point at the member's bytes");
        Assert.Equal("small.txt", entries.Single(e => e.Name.EndsWith("link-to-small")).LinkName);
        // Whichever of the two names tar met first holds the data; the other is a hard link to it.
        var hard = entries.Single(e => e.Type == TarEntryType.HardLink);
        var target = entries.Single(e => e.Type == TarEntryType.File && (e.Name.EndsWith("/small.txt") || e.Name.EndsWith("/hard-link")));
        Assert.Equal(target.Name, hard.LinkName);
        if (format != "ustar") Assert.Contains(entries, e => e.Name.EndsWith(new string('y', 80) + ".txt"));
    }

    [Fact]
    public async Task Compressed_archives_are_recognised_by_their_magic_bytes_not_their_names()
    {
        var tree = MakeTree();
        var tar = Path.Combine(_dir.Path, "c.tar");
        Run("tar", "--create", "--format=pax", "--file", tar, "--directory", tree, ".");
        var raw = File.ReadAllBytes(tar);
        var gz = new MemoryStream();
        using (var z = new GZipStream(gz, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw);
        var zst = new MemoryStream();
        using (var z = new ZstdSharp.CompressionStream(zst, 3, leaveOpen: true)) z.Write(raw);
        await PutAsync("c/archive.tar.gz", gz.ToArray());
        await PutAsync("c/archive.tar.zst", zst.ToArray());
        await PutAsync("c/actually-gzip.tar", gz.ToArray());       // the name says tar, the bytes say gzip
        await PutAsync("c/actually-plain.tar.gz", raw);            // the name says gzip, the bytes are plain tar
        var expected = (await IndexAsync(await PutAsync("c/plain.tar", raw))).Entries.Select(e => (e.Name, e.Size, e.Type, e.DataOffset)).ToList();
        foreach (var (key, compression) in new[] { ("c/archive.tar.gz", "Gzip"), ("c/archive.tar.zst", "Zstd"), ("c/actually-gzip.tar", "Gzip"), ("c/actually-plain.tar.gz", "None") })
        {
            var (entries, result) = await IndexAsync(key);
            Assert.Null(result.Error);
            Assert.Equal(compression, result.Compression);
            Assert.Equal(expected, entries.Select(e => (e.Name, e.Size, e.Type, e.DataOffset)).ToList());
        }
    }

    [Fact]
    public async Task Sparse_files_report_their_real_size_in_gnu_and_pax_formats()
    {
        var src = Path.Combine(_dir.Path, "sparse");
        Directory.CreateDirectory(src);
        var image = Path.Combine(src, "disk.img");
        using (var f = new FileStream(image, FileMode.Create))
        {
            f.SetLength(9L * 1024 * 1024 * 1024); // 9 GiB: the real size needs base-256 in a GNU header
            f.Position = 5_000_000_000; f.Write("hello"u8);
            f.Position = 1_000; f.Write("start"u8);
        }
        foreach (var format in new[] { "gnu", "pax" })
        {
            var archive = Path.Combine(_dir.Path, $"sparse-{format}.tar");
            Run("tar", "--create", "--sparse", $"--format={format}", "--file", archive, "--directory", src, "disk.img");
            Assert.True(new FileInfo(archive).Length < 1024 * 1024, "the archive of a sparse file is small");
            await AssertMatchesTarAsync(archive, await PutAsync($"sparse/{format}.tar", File.ReadAllBytes(archive)));
            var (entries, _) = await IndexAsync($"sparse/{format}.tar");
            var entry = Assert.Single(entries);
            Assert.Equal("disk.img", entry.Name);
            Assert.Equal(9L * 1024 * 1024 * 1024, entry.Size);
            Assert.True(entry.IsSparse);
            Assert.True(entry.StoredSize < 1024 * 1024);
        }
    }

    [Theory]
    [InlineData(TarEntryFormat.Ustar)]
    [InlineData(TarEntryFormat.Gnu)]
    [InlineData(TarEntryFormat.Pax)]
    public async Task DotNet_TarWriter_archives_index_with_their_names_and_offsets(TarEntryFormat format)
    {
        var archive = new MemoryStream();
        var names = new List<string>();
        using (var writer = new TarWriter(archive, format, leaveOpen: true))
        {
            for (int i = 0; i < 20; i++)
            {
                var name = format == TarEntryFormat.Ustar ? $"dir{i % 3}/file-{i}.bin" : $"dïr{i % 3}/{new string('n', 90)}/fïle-{i}.bin";
                names.Add(name);
                var entry = format switch
                {
                    TarEntryFormat.Ustar => (System.Formats.Tar.TarEntry)new UstarTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name),
                    TarEntryFormat.Gnu => new GnuTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name),
                    _ => new PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, name),
                };
                entry.DataStream = new MemoryStream(TempDir.Random(1000 + i, i));
                writer.WriteEntry(entry);
            }
        }
        var bytes = archive.ToArray();
        var (entries, result) = await IndexAsync(await PutAsync($"dotnet/{format}.tar", bytes));
        Assert.Null(result.Error);
        Assert.Equal(names, entries.Select(e => e.Name));
        for (int i = 0; i < 20; i++)
        {
            Assert.Equal(1000 + i, entries[i].Size);
            Assert.True(bytes.AsSpan((int)entries[i].DataOffset, 1000 + i).SequenceEqual(TempDir.Random(1000 + i, i)));
        }
    }

    [Fact]
    public async Task An_empty_archive_has_no_entries_and_a_zero_byte_object_is_not_a_tar()
    {
        var empty = Path.Combine(_dir.Path, "empty.tar");
        Run("tar", "--create", "--file", empty, "--files-from", "/dev/null");
        var (entries, result) = await IndexAsync(await PutAsync("bad/empty.tar", File.ReadAllBytes(empty)));
        Assert.Empty(entries);
        Assert.Null(result.Error);
        var (_, zero) = await IndexAsync(await PutAsync("bad/zero.tar", Array.Empty<byte>()));
        Assert.Equal(ErrorIds.NotATarArchive, zero.Error!.ErrorId);
        var (_, random) = await IndexAsync(await PutAsync("bad/random.tar", TempDir.Random(5000, 9)));
        Assert.Equal(ErrorIds.NotATarArchive, random.Error!.ErrorId);
        Assert.Contains("bad/random.tar", random.Error.Message);
    }

    [Fact]
    public async Task Truncated_and_corrupt_archives_keep_the_entries_before_the_damage_and_name_the_offset()
    {
        var tree = MakeTree();
        var archive = Path.Combine(_dir.Path, "whole.tar");
        Run("tar", "--create", "--format=gnu", "--file", archive, "--directory", tree, ".");
        var bytes = File.ReadAllBytes(archive);
        var (all, _) = await IndexAsync(await PutAsync("dmg/whole.tar", bytes));
        var big = all.Single(e => e.Name.EndsWith(".bin"));
        int before = all.IndexOf(big);

        var truncated = bytes.AsSpan(0, (int)big.DataOffset + 1000).ToArray();
        var (kept, cut) = await IndexAsync(await PutAsync("dmg/truncated.tar", truncated));
        Assert.Equal(ErrorIds.TruncatedTarArchive, cut.Error!.ErrorId);
        Assert.Equal(all.Take(before).Select(e => e.Name), kept.Select(e => e.Name));
        Assert.Equal(big.HeaderOffset, ((TarFormatException)cut.Error).Offset);

        var corrupt = (byte[])bytes.Clone();
        corrupt[big.HeaderOffset + 10] ^= 0x55; // inside the name field of that member's header
        var (kept2, bad) = await IndexAsync(await PutAsync("dmg/corrupt.tar", corrupt));
        Assert.Equal(ErrorIds.InvalidTarArchive, bad.Error!.ErrorId);
        Assert.Contains($"offset {big.HeaderOffset:N0}", bad.Error.Message);
        Assert.Equal(before, kept2.Count);
    }

    [Fact]
    public async Task Header_hopping_reads_under_one_percent_of_an_archive_of_large_members()
    {
        const int members = 40, memberSize = 25 * 1024 * 1024;
        // Streamed straight into S3: 1 GiB of member data that never sits in memory.
        await using (var upload = new S3UploadStream(_s3.S3, new UploadStreamOptions { BucketName = _s3.Bucket, Key = "hop/large.tar", PartSize = 16 * 1024 * 1024 }))
        using (var writer = new TarWriter(upload, TarEntryFormat.Pax, leaveOpen: true))
        {
            // A directory first, as `tar -C dir .` writes "./": a small first member must not be taken for an
            // archive of small members.
            writer.WriteEntry(new PaxTarEntry(System.Formats.Tar.TarEntryType.Directory, "data/"));
            for (int i = 0; i < members; i++)
                writer.WriteEntry(new PaxTarEntry(System.Formats.Tar.TarEntryType.RegularFile, $"data/member-{i:D2}.bin") { DataStream = new PatternStream(memberSize, i) });
        }
        var (all, result) = await IndexAsync("hop/large.tar");
        Assert.Null(result.Error);
        Assert.Equal(TarEntryType.Directory, all[0].Type);
        var entries = all.Skip(1).ToList();
        Assert.Equal(members, entries.Count);
        Assert.All(entries, e => Assert.Equal(memberSize, e.Size));
        Assert.True(result.BytesRead < result.ArchiveBytes / 100, $"read {result.BytesRead:N0} of {result.ArchiveBytes:N0} bytes");
        // Spot-check one member's offset with a ranged GET.
        var probe = entries[17];
        using var get = await _s3.S3.GetObjectAsync(new GetObjectRequest { BucketName = _s3.Bucket, Key = "hop/large.tar", ByteRange = new ByteRange(probe.DataOffset, probe.DataOffset + 15) });
        var head = new byte[16];
        await get.ResponseStream.ReadExactlyAsync(head);
        var expected = new byte[16];
        new PatternStream(memberSize, 17).ReadExactly(expected);
        Assert.Equal(expected, head);
    }

    [Fact]
    public async Task Index_files_read_back_equal_in_every_format()
    {
        var tree = MakeTree();
        var archive = Path.Combine(_dir.Path, "fmt.tar");
        Run("tar", "--create", "--format=pax", "--file", archive, "--directory", tree, ".");
        var (entries, _) = await IndexAsync(await PutAsync("fmt/a.tar", File.ReadAllBytes(archive)));
        var expected = entries.Select(TarIndexRow.From).Select(r => string.Join('|', r.Values())).ToList();
        foreach (var format in new[] { TarIndexFormat.Jsonl, TarIndexFormat.Csv, TarIndexFormat.Parquet })
        {
            var path = Path.Combine(_dir.Path, "index" + TarIndexWriter.Extension(format));
            await using (var output = TarIndexOutput.ToFile(path, format))
            {
                foreach (var e in entries) await output.WriteAsync(e, default);
                await output.CompleteAsync(new TransferSummary(), default);
            }
            Assert.Empty(Directory.GetFiles(_dir.Path, "index*.partial-*"));
            List<TarIndexRow> rows = format switch
            {
                TarIndexFormat.Jsonl => File.ReadAllLines(path).Select(l => System.Text.Json.JsonSerializer.Deserialize<TarIndexRow>(l)!).ToList(),
                TarIndexFormat.Parquet => (await Parquet.Serialization.ParquetSerializer.DeserializeAsync<TarIndexRow>(File.OpenRead(path))).Data.ToList(),
                _ => ReadCsv(path),
            };
            Assert.Equal(expected, rows.Select(r => string.Join('|', r.Values())).ToList());
        }
    }

    static List<TarIndexRow> ReadCsv(string path)
    {
        var lines = File.ReadAllLines(path);
        Assert.Equal(string.Join(',', TarIndexRow.Columns), lines[0]);
        return lines.Skip(1).Select(line =>
        {
            var f = new List<string>();
            var cur = new System.Text.StringBuilder();
            bool quoted = false;
            for (int i = 0; i < line.Length; i++)
            {
                char c = line[i];
                if (quoted) { if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { cur.Append('"'); i++; } else if (c == '"') quoted = false; else cur.Append(c); }
                else if (c == '"') quoted = true;
                else if (c == ',') { f.Add(cur.ToString()); cur.Clear(); }
                else cur.Append(c);
            }
            f.Add(cur.ToString());
            return new TarIndexRow
            {
                Archive = f[0], Filename = f[1], Size = long.Parse(f[2]), Type = f[3], HeaderOffset = long.Parse(f[4]), DataOffset = long.Parse(f[5]),
                StoredSize = long.Parse(f[6]), Sparse = f[7] == "true", LinkName = f[8].Length == 0 ? null : f[8], Mode = int.Parse(f[9]),
                Uid = long.Parse(f[10]), Gid = long.Parse(f[11]), UserName = f[12], GroupName = f[13],
                ModifiedTime = DateTime.Parse(f[14], null, System.Globalization.DateTimeStyles.AdjustToUniversal | System.Globalization.DateTimeStyles.AssumeUniversal),
            };
        }).ToList();
    }
}

/// <summary>A read-only stream of a deterministic byte pattern, for large test data that never sits in memory.</summary>
public sealed class PatternStream : Stream
{
    readonly long _length; readonly int _seed; long _position;
    public PatternStream(long length, int seed) { _length = length; _seed = seed; }
    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = (int)Math.Min(count, _length - _position);
        for (int i = 0; i < n; i++) buffer[offset + i] = (byte)((_position + i) * 31 + _seed * 7 + ((_position + i) >> 12));
        _position += n;
        return n;
    }
    // Seekable (TarWriter asks for the length of a data stream it writes into an unseekable archive).
    public override bool CanRead => true; public override bool CanSeek => true; public override bool CanWrite => false;
    public override long Length => _length;
    public override long Position { get => _position; set => _position = value; }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => _position = origin switch { SeekOrigin.Begin => offset, SeekOrigin.Current => _position + offset, _ => _length + offset };
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
