using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;

namespace S3Turbo.Bench;

/// <summary>Forwards TCP connections to a target, holding every chunk for a fixed one-way delay in each
/// direction (so a request/response round trip gains 2 × delay) without limiting bandwidth: chunks are
/// pipelined, like a long link. Optionally caps each connection's bandwidth per direction, and counts the bytes
/// each way into a file (rewritten every 200 ms as "up=N down=M"), so a bench can tell what a run sent and received.
/// With a certificate path it terminates TLS towards its clients (as AWS's endpoints do) with a self-signed certificate
/// for 127.0.0.1 that it writes there as PEM, for every tool to be told to trust.</summary>
public static class DelayProxy
{
    static long _up, _down;

    public static async Task RunAsync(IPEndPoint listen, IPEndPoint target, TimeSpan oneWayDelay, long bytesPerSecond, CancellationToken cancellationToken, string? statsFile = null, string? certificatePem = null)
    {
        var certificate = certificatePem is null ? null : SelfSignedCertificate(certificatePem);
        if (statsFile is not null)
            _ = Task.Run(async () =>
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    File.WriteAllText(statsFile + ".tmp", $"up={Interlocked.Read(ref _up)} down={Interlocked.Read(ref _down)}\n");
                    File.Move(statsFile + ".tmp", statsFile, overwrite: true);
                    await Task.Delay(200, cancellationToken);
                }
            }, cancellationToken);
        var listener = new TcpListener(listen);
        listener.Start(1024);
        Console.WriteLine($"proxy {listen} -> {target}, one-way delay {oneWayDelay.TotalMilliseconds} ms" + (bytesPerSecond > 0 ? $", {bytesPerSecond / 1e6} MB/s per connection" : "") + (certificate is null ? "" : $", TLS (certificate {certificatePem})"));
        while (!cancellationToken.IsCancellationRequested)
        {
            var client = await listener.AcceptTcpClientAsync(cancellationToken);
            _ = Task.Run(async () =>
            {
                using var c = client;
                using var server = new TcpClient();
                try
                {
                    client.NoDelay = true; server.NoDelay = true;
                    await server.ConnectAsync(target, cancellationToken);
                    Stream clientSide = client.GetStream();
                    if (certificate is not null)
                    {
                        var tls = new SslStream(clientSide);
                        await tls.AuthenticateAsServerAsync(certificate);
                        clientSide = tls;
                    }
                    await using var _ = clientSide;
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    var up = PumpAsync(clientSide, server.GetStream(), oneWayDelay, bytesPerSecond, n => Interlocked.Add(ref _up, n), linked.Token);
                    var down = PumpAsync(server.GetStream(), clientSide, oneWayDelay, bytesPerSecond, n => Interlocked.Add(ref _down, n), linked.Token);
                    await Task.WhenAny(up, down);
                    linked.CancelAfter(TimeSpan.FromSeconds(2 * oneWayDelay.TotalSeconds + 1)); // let the other side drain
                    await Task.WhenAll(up, down).ContinueWith(_ => { });
                }
                catch (Exception) { }
            }, cancellationToken);
        }
    }

    static X509Certificate2 SelfSignedCertificate(string pemPath)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        File.WriteAllText(pemPath, certificate.ExportCertificatePem() + "\n");
        // Re-imported so that SslStream can use the private key.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }

    static async Task PumpAsync(Stream from, Stream to, TimeSpan delay, long bytesPerSecond, Action<int> counted, CancellationToken cancellationToken)
    {
        var queue = Channel.CreateUnbounded<(long Due, byte[] Data, int Length)>();
        var clock = Stopwatch.StartNew();
        var reader = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    var buffer = new byte[64 * 1024];
                    int n = await from.ReadAsync(buffer, cancellationToken);
                    if (n == 0) break;
                    counted(n);
                    queue.Writer.TryWrite((clock.ElapsedTicks + (long)(delay.TotalSeconds * Stopwatch.Frequency), buffer, n));
                }
            }
            catch (Exception) { }
            finally { queue.Writer.TryComplete(); }
        }, cancellationToken);
        try
        {
            double budgetStart = clock.Elapsed.TotalSeconds; long sent = 0;
            await foreach (var (due, data, length) in queue.Reader.ReadAllAsync(cancellationToken))
            {
                long wait = due - clock.ElapsedTicks;
                if (wait > 0) await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), cancellationToken);
                if (bytesPerSecond > 0)
                {
                    sent += length;
                    double ahead = sent / (double)bytesPerSecond - (clock.Elapsed.TotalSeconds - budgetStart);
                    if (ahead > 0.001) await Task.Delay(TimeSpan.FromSeconds(ahead), cancellationToken);
                }
                await to.WriteAsync(data.AsMemory(0, length), cancellationToken);
            }
            if (to is NetworkStream network) network.Socket.Shutdown(SocketShutdown.Send);
            else if (to is SslStream tls) await tls.ShutdownAsync();
        }
        catch (Exception) { }
        await reader;
    }
}
