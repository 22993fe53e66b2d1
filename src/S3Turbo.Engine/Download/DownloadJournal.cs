using System.Globalization;
using System.IO.Hashing;
using System.Text;

namespace S3Turbo.Engine.Download;

/// <summary>What a download leaves beside its target while it runs, so that a run that dies (kill -9, a reboot, a
/// time limit) leaves work the next run can finish instead of repeat: the temporary file (named after the target, so
/// the next run finds it) and, for ranged downloads, a journal of the ranges written into it, each with the
/// CRC-64/NVME of its bytes. The next run keeps a range only if the journal names the same object (ETag and size)
/// and the range's bytes in the temporary file still give that CRC; everything else is fetched again. Written by
/// hand: a few tab-separated lines, appended and flushed as each range completes, need no format library.</summary>
public sealed class DownloadJournal : IDisposable
{
    const string Header = "s3turbo-download 1";
    readonly FileStream _file;
    readonly object _gate = new();

    DownloadJournal(FileStream file) => _file = file;

    /// <summary>The temporary file of a target: a short name (the target's own may already be as long as the file
    /// system allows) that the same target always gets.</summary>
    public static string TemporaryFor(string target)
    {
        var name = Path.GetFileName(target);
        var hash = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(name));
        return Path.Combine(Path.GetDirectoryName(target)!, $".s3turbo-{hash:x16}.partial");
    }

    public static string PathFor(string temporary) => Path.ChangeExtension(temporary, ".journal");

    /// <summary>Whether a file name is one of these leftovers (a temporary file or a journal).</summary>
    public static bool IsLeftover(string fileName) =>
        fileName.StartsWith(".s3turbo-", StringComparison.Ordinal) && (fileName.EndsWith(".partial", StringComparison.Ordinal) || fileName.EndsWith(".journal", StringComparison.Ordinal));

    /// <summary>The ranges a journal records as written (offset and length to their CRC-64/NVME) when it is of this
    /// object (same ETag and size) and its temporary file is whole; null otherwise.</summary>
    public static Dictionary<(long Offset, long Length), ulong>? Read(string temporary, string? etag, long size)
    {
        var path = PathFor(temporary);
        try
        {
            if (!File.Exists(path) || !File.Exists(temporary) || new FileInfo(temporary).Length != size) return null;
            var lines = File.ReadAllLines(path);
            if (lines.Length == 0 || lines[0] != $"{Header}\t{etag}\t{size.ToString(CultureInfo.InvariantCulture)}") return null;
            var ranges = new Dictionary<(long, long), ulong>();
            foreach (var line in lines.Skip(1))
            {
                var fields = line.Split('\t');
                // A line cut short by the process's death is not a record.
                if (fields.Length == 3 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var offset)
                    && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var length)
                    && ulong.TryParse(fields[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var crc) && fields[2].Length == 16)
                    ranges[(offset, length)] = crc;
            }
            return ranges;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>A new journal for this object (any earlier one replaced).</summary>
    public static DownloadJournal Create(string temporary, string? etag, long size)
    {
        var file = new FileStream(PathFor(temporary), FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete);
        var journal = new DownloadJournal(file);
        journal.WriteLine($"{Header}\t{etag}\t{size.ToString(CultureInfo.InvariantCulture)}");
        return journal;
    }

    /// <summary>The existing journal, to record more ranges.</summary>
    public static DownloadJournal Append(string temporary) =>
        new(new FileStream(PathFor(temporary), FileMode.Append, FileAccess.Write, FileShare.Read | FileShare.Delete));

    /// <summary>Records a range whose bytes are in the temporary file (written and flushed before this is called).</summary>
    public void Record(long offset, long length, ulong crc64Nvme) =>
        WriteLine($"{offset.ToString(CultureInfo.InvariantCulture)}\t{length.ToString(CultureInfo.InvariantCulture)}\t{crc64Nvme:x16}");

    void WriteLine(string line)
    {
        var bytes = Encoding.ASCII.GetBytes(line + "\n");
        lock (_gate)
        {
            _file.Write(bytes, 0, bytes.Length);
            _file.Flush();
        }
    }

    public void Dispose() => _file.Dispose();

    /// <summary>Removes a target's temporary file and journal.</summary>
    public static void Delete(string temporary)
    {
        foreach (var path in new[] { temporary, PathFor(temporary) })
            try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
