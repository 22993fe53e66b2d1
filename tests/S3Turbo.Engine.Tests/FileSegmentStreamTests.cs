using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

public class FileSegmentStreamTests
{
    [Fact]
    public void Reads_exactly_its_range()
    {
        using var dir = new TempDir();
        var data = TempDir.Random(10_000, 1);
        var path = dir.Write("f.bin", data);
        using var segment = new FileSegmentStream(path, 1000, 3000, FileSnapshot.Of(new FileInfo(path)));
        var copy = new MemoryStream();
        segment.CopyTo(copy);
        Assert.Equal(data.Skip(1000).Take(3000).ToArray(), copy.ToArray());
        segment.Position = 0; // the SDK rewinds for retries
        Assert.Equal(data[1000], (byte)segment.ReadByte());
    }

    [Fact]
    public void A_file_that_changed_is_refused_before_the_last_bytes_are_handed_out()
    {
        using var dir = new TempDir();
        var path = dir.Write("f.bin", TempDir.Random(10_000, 2));
        var snapshot = FileSnapshot.Of(new FileInfo(path));
        File.SetLastWriteTimeUtc(path, snapshot.LastWriteTimeUtc.AddSeconds(5)); // same size, new content time
        using var segment = new FileSegmentStream(path, 0, 10_000, snapshot);
        var buffer = new byte[4096];
        Assert.Equal(4096, segment.Read(buffer, 0, 4096));
        Assert.Equal(4096, segment.Read(buffer, 0, 4096));
        var ex = Assert.Throws<S3TurboException>(() => segment.Read(buffer, 0, 4096)); // the read that would finish it
        Assert.Equal(ErrorIds.SourceChanged, ex.ErrorId);
    }

    [Fact]
    public void A_truncated_file_is_SourceChanged()
    {
        using var dir = new TempDir();
        var path = dir.Write("f.bin", TempDir.Random(10_000, 3));
        var snapshot = FileSnapshot.Of(new FileInfo(path));
        using (var f = new FileStream(path, FileMode.Open)) f.SetLength(5000);
        using var segment = new FileSegmentStream(path, 0, 10_000, snapshot);
        var ex = Assert.Throws<S3TurboException>(() => segment.CopyTo(Stream.Null));
        Assert.Equal(ErrorIds.SourceChanged, ex.ErrorId);
    }
}
