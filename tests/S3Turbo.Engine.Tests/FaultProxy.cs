using System.Net;
using System.Net.Sockets;

namespace S3Turbo.Engine.Tests;

/// <summary>A TCP proxy on 127.0.0.1 between the SDK and the real S3 server that can break connections on purpose:
/// after a set number of response bytes on a connection it resets that connection (RST), a set number of times.
/// Byte counts, not timing, decide when it fires, so a failing case replays the same way.</summary>
public sealed class FaultProxy : IAsyncDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly IPEndPoint _target;
    readonly CancellationTokenSource _stop = new();
    readonly Task _accepting;
    int _resetsRemaining;

    public FaultProxy(string targetEndpoint)
    {
        var uri = new Uri(targetEndpoint);
        _target = new IPEndPoint(IPAddress.Loopback, uri.Port);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Endpoint => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
    /// <summary>Server-to-client bytes after which a connection is reset (while resets remain).</summary>
    public long ResetAfterResponseBytes { get; set; } = 64 * 1024;
    public int ResetsRemaining { get => Volatile.Read(ref _resetsRemaining); set => Volatile.Write(ref _resetsRemaining, value); }
    public int ResetsDone { get; private set; }

    async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = HandleAsync(client);
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
    }

    async Task HandleAsync(TcpClient client)
    {
        using var server = new TcpClient();
        using (client)
        {
            try
            {
                await server.ConnectAsync(_target, _stop.Token);
                var up = Pump(client.GetStream(), server.GetStream(), countResponse: false, client, server);
                var down = Pump(server.GetStream(), client.GetStream(), countResponse: true, client, server);
                await Task.WhenAny(up, down);
            }
            catch (Exception) { /* a reset connection ends here */ }
        }
    }

    async Task Pump(NetworkStream from, NetworkStream to, bool countResponse, TcpClient client, TcpClient server)
    {
        var buffer = new byte[16 * 1024];
        long sent = 0;
        while (true)
        {
            int n = await from.ReadAsync(buffer, _stop.Token);
            if (n == 0) return;
            if (countResponse && sent + n > ResetAfterResponseBytes && TryTakeReset())
            {
                int partial = (int)Math.Max(0, ResetAfterResponseBytes - sent);
                await to.WriteAsync(buffer.AsMemory(0, partial), _stop.Token);
                ResetsDone++;
                client.Client.LingerState = new LingerOption(true, 0); // close with RST, as a dropped link looks
                server.Client.LingerState = new LingerOption(true, 0);
                client.Client.Close();
                server.Client.Close();
                return;
            }
            await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            sent += n;
        }
    }

    bool TryTakeReset()
    {
        for (int left; (left = Volatile.Read(ref _resetsRemaining)) > 0;)
            if (Interlocked.CompareExchange(ref _resetsRemaining, left - 1, left) == left) return true;
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        await _accepting;
    }
}
