#if NETFRAMEWORK
// The Windows PowerShell 5.1 build (net472) only: the .NET Core APIs the engine uses, written over what .NET
// Framework has, so the engine's code stays one text for both targets. Correctness over speed here: the 5.1 build
// is a compatibility target (it is compiled in CI but cannot be run on the Linux test machines).
global using System.Net.Http;
using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace S3Turbo.Engine;

static class NetFrameworkStaticPolyfills
{
    extension(Task)
    {
        /// <summary>Task.Delay on a TimeProvider (.NET 8); Microsoft.Bcl.TimeProvider has it as an extension.</summary>
        public static Task Delay(TimeSpan delay, TimeProvider timeProvider, CancellationToken cancellationToken) =>
            timeProvider.Delay(delay, cancellationToken);
    }

    extension(Math)
    {
        public static int Clamp(int value, int min, int max) => value < min ? min : value > max ? max : value;
        public static long Clamp(long value, long min, long max) => value < min ? min : value > max ? max : value;
        public static double Clamp(double value, double min, double max) => value < min ? min : value > max ? max : value;
    }

    extension(Convert)
    {
        public static string ToHexString(byte[] bytes) => BitConverter.ToString(bytes).Replace("-", "");
        public static string ToHexString(ReadOnlySpan<byte> bytes) => BitConverter.ToString(bytes.ToArray()).Replace("-", "");
        public static byte[] FromHexString(string hex)
        {
            if (hex.Length % 2 != 0) throw new FormatException("A hex string has an even number of digits.");
            var bytes = new byte[hex.Length / 2];
            for (int i = 0; i < bytes.Length; i++)
                bytes[i] = byte.Parse(hex.Substring(2 * i, 2), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture);
            return bytes;
        }
    }

    extension(MD5)
    {
        public static byte[] HashData(byte[] data) { using var md5 = MD5.Create(); return md5.ComputeHash(data); }
        public static byte[] HashData(ReadOnlySpan<byte> data) { using var md5 = MD5.Create(); return md5.ComputeHash(data.ToArray()); }
        public static int HashData(ReadOnlySpan<byte> data, Span<byte> destination)
        {
            byte[] hash = MD5.HashData(data);
            hash.CopyTo(destination);
            return hash.Length;
        }
    }

    extension(ObjectDisposedException)
    {
        public static void ThrowIf(bool condition, object instance)
        { if (condition) throw new ObjectDisposedException(instance.GetType().FullName); }
    }

    extension(GC)
    {
        public static T[] AllocateUninitializedArray<T>(int length, bool pinned = false) => new T[length];
    }

    extension(Array)
    {
        public static int MaxLength => 0x7FFFFFC7;
    }

    extension(DateTimeOffset)
    {
        public static DateTimeOffset UnixEpoch => new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }

    extension(Encoding)
    {
        public static Encoding Latin1 => Encoding.GetEncoding(28591);
    }

    extension(ValueTask)
    {
        public static ValueTask CompletedTask => default;
    }

    extension(OperatingSystem)
    {
        public static bool IsWindows() => Environment.OSVersion.Platform == PlatformID.Win32NT;
        /// <summary>Windows PowerShell (.NET Framework) runs on Windows only.</summary>
        public static bool IsMacOS() => false;
    }

    extension(string)
    {
        public static string Join(char separator, IEnumerable<string> values) => string.Join(separator.ToString(), values);
    }

    extension(Path)
    {
        public static string TrimEndingDirectorySeparator(string path) =>
            path.Length > 1 && (path[path.Length - 1] == Path.DirectorySeparatorChar || path[path.Length - 1] == Path.AltDirectorySeparatorChar)
                && !(path.Length == 3 && path[1] == ':') ? path.Substring(0, path.Length - 1) : path;

        public static string GetRelativePath(string relativeTo, string path)
        {
            string from = Path.GetFullPath(relativeTo).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) + Path.DirectorySeparatorChar;
            string to = Path.GetFullPath(path);
            if (to.StartsWith(from, StringComparison.OrdinalIgnoreCase)) return to.Substring(from.Length);
            if (string.Equals(to + Path.DirectorySeparatorChar, from, StringComparison.OrdinalIgnoreCase)) return ".";
            var relative = new Uri(from).MakeRelativeUri(new Uri(to));
            return Uri.UnescapeDataString(relative.ToString()).Replace('/', Path.DirectorySeparatorChar);
        }
    }

    extension(File)
    {
        public static void Move(string source, string destination, bool overwrite)
        {
            if (overwrite && File.Exists(destination)) File.Replace(source, destination, null);
            else File.Move(source, destination);
        }
    }
}

static class NetFrameworkInstancePolyfills
{
    extension(Task task)
    {
        public bool IsCompletedSuccessfully => task.Status == TaskStatus.RanToCompletion;
    }

    extension(IncrementalHash hash)
    {
        public void AppendData(ReadOnlySpan<byte> data) => hash.AppendData(data.ToArray());
    }

    extension(FileSystemInfo info)
    {
        /// <summary>Non-null for a reparse point (symbolic link or junction). .NET Framework cannot read the target.</summary>
        public string? LinkTarget => (info.Attributes & FileAttributes.ReparsePoint) != 0 ? info.FullName : null;

        /// <summary>Windows resolves file links on open, so a file link resolves to itself; directory links are not
        /// followed on this target (see LocalFileEnumerator), so no loop can start.</summary>
        public FileSystemInfo? ResolveLinkTarget(bool returnFinalTarget) => info;
    }

    public static async Task<T> WaitAsync<T>(this Task<T> task, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var delay = Task.Delay(timeout, cancel.Token);
        if (await Task.WhenAny(task, delay).ConfigureAwait(false) != task)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException();
        }
        cancel.Cancel();
        return await task.ConfigureAwait(false);
    }

    public static async Task<T> WaitAsync<T>(this Task<T> task, CancellationToken cancellationToken)
    {
        var never = Task.Delay(Timeout.Infinite, cancellationToken);
        if (await Task.WhenAny(task, never).ConfigureAwait(false) != task) cancellationToken.ThrowIfCancellationRequested();
        return await task.ConfigureAwait(false);
    }

    public static bool TryPop<T>(this Stack<T> stack, out T result)
    {
        if (stack.Count == 0) { result = default!; return false; }
        result = stack.Pop();
        return true;
    }

    public static bool TryPeek<T>(this Stack<T> stack, out T result)
    {
        if (stack.Count == 0) { result = default!; return false; }
        result = stack.Peek();
        return true;
    }

    public static TValue? GetValueOrDefault<TKey, TValue>(this Dictionary<TKey, TValue> dictionary, TKey key) where TKey : notnull =>
        dictionary.TryGetValue(key, out var value) ? value : default;

    public static bool Remove<TKey, TValue>(this Dictionary<TKey, TValue> dictionary, TKey key, out TValue value) where TKey : notnull
    {
        if (!dictionary.TryGetValue(key, out value!)) return false;
        dictionary.Remove(key);
        return true;
    }

    public static void Deconstruct<TKey, TValue>(this KeyValuePair<TKey, TValue> pair, out TKey key, out TValue value)
    { key = pair.Key; value = pair.Value; }

    public static bool Contains(this string text, char value) => text.IndexOf(value) >= 0;
    public static bool StartsWith(this string text, char value) => text.Length > 0 && text[0] == value;
    public static bool EndsWith(this string text, char value) => text.Length > 0 && text[text.Length - 1] == value;

    public static string GetString(this Encoding encoding, ReadOnlySpan<byte> bytes) => encoding.GetString(bytes.ToArray());
    public static string GetString(this Encoding encoding, Span<byte> bytes) => encoding.GetString(bytes.ToArray());

    public static int IndexOfAnyExcept(this ReadOnlySpan<byte> span, byte value)
    {
        for (int i = 0; i < span.Length; i++) if (span[i] != value) return i;
        return -1;
    }

    public static int IndexOfAnyExcept(this Span<byte> span, byte value) => ((ReadOnlySpan<byte>)span).IndexOfAnyExcept(value);

    public static int IndexOfAnyExcept(this ReadOnlySpan<byte> span, byte value0, byte value1)
    {
        for (int i = 0; i < span.Length; i++) if (span[i] != value0 && span[i] != value1) return i;
        return -1;
    }

    /// <summary>Unicode scalar values in order (what string.EnumerateRunes yields), as ints.</summary>
    public static IEnumerator<ScalarValue> EnumerateRunes(this string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                yield return new ScalarValue(char.ConvertToUtf32(text[i], text[i + 1]));
                i++;
            }
            else yield return new ScalarValue(char.IsSurrogate(text[i]) ? 0xFFFD : text[i]);
        }
    }

    public readonly struct ScalarValue
    {
        public ScalarValue(int value) => Value = value;
        public int Value { get; }
    }

    // ---- Stream: the Span/Memory overloads .NET Core added ----

    public static int Read(this Stream stream, Span<byte> buffer)
    {
        byte[] rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            int read = stream.Read(rented, 0, buffer.Length);
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    public static async ValueTask<int> ReadAsync(this Stream stream, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (MemoryMarshal.TryGetArray<byte>(buffer, out var segment))
            return await stream.ReadAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
        byte[] rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            int read = await stream.ReadAsync(rented, 0, buffer.Length, cancellationToken).ConfigureAwait(false);
            rented.AsSpan(0, read).CopyTo(buffer.Span);
            return read;
        }
        finally { ArrayPool<byte>.Shared.Return(rented); }
    }

    public static async ValueTask WriteAsync(this Stream stream, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (MemoryMarshal.TryGetArray(buffer, out var segment))
        {
            await stream.WriteAsync(segment.Array!, segment.Offset, segment.Count, cancellationToken).ConfigureAwait(false);
            return;
        }
        byte[] copy = buffer.ToArray();
        await stream.WriteAsync(copy, 0, copy.Length, cancellationToken).ConfigureAwait(false);
    }

    public static async ValueTask ReadExactlyAsync(this Stream stream, Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int total = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: true, cancellationToken).ConfigureAwait(false);
        _ = total;
    }

    public static async ValueTask<int> ReadAtLeastAsync(this Stream stream, Memory<byte> buffer, int minimumBytes, bool throwOnEndOfStream = true,
        CancellationToken cancellationToken = default)
    {
        int total = 0;
        while (total < minimumBytes)
        {
            int read = await stream.ReadAsync(buffer.Slice(total), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (throwOnEndOfStream) throw new EndOfStreamException();
                break;
            }
            total += read;
        }
        return total;
    }

    public static ValueTask DisposeAsync(this Stream stream)
    {
        stream.Dispose();
        return default;
    }
}
#endif
