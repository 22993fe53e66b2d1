#if NETFRAMEWORK
// The Windows PowerShell 5.1 build (net472) only: what System.Threading.Channels offers on .NET Core alone.
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace S3Turbo;

static class NetFrameworkPolyfills
{
    public static async IAsyncEnumerable<T> ReadAllAsync<T>(this ChannelReader<T> reader, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            while (reader.TryRead(out var item)) yield return item;
    }
}
#endif
