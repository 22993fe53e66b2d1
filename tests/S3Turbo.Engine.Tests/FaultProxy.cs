using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace S3Turbo.Engine.Tests;

public enum FaultKind { None, ResetBeforeForwarding, ResetMidResponse, SlowDown503, InternalError500, Delay, CorruptRequestBody, CorruptResponseBody }

/// <summary>A fault applied to a share (Rate) of the requests it matches (method, and a part of the path/query).</summary>
public sealed record FaultRule(FaultKind Kind, double Rate, string? Method = null, string? PathContains = null)
{
    /// <summary>For ResetMidResponse: response bytes passed on before the reset. For CorruptRequestBody: the offset in
    /// the request body of the one byte that is flipped on its way to the server; for CorruptResponseBody, the offset in
    /// the response (status line and headers included) of the byte flipped on its way to the client. For Delay: the delay.</summary>
    public long AfterBytes { get; init; } = 32 * 1024;
    public TimeSpan Delay { get; init; } = TimeSpan.FromMilliseconds(500);

    public bool Matches(string method, string target) =>
        (Method is null || string.Equals(Method, method, StringComparison.OrdinalIgnoreCase)) &&
        (PathContains is null || target.Contains(PathContains, StringComparison.Ordinal));
}

/// <summary>An HTTP-aware TCP proxy on 127.0.0.1 between the SDK and the real S3 server, for fault tests. Each
/// connection carries one request (the proxy asks the server to close after it), so every request can be judged
/// on its own: rules (tried in order) reset it before forwarding, cut its response off after some bytes, answer
/// 503 SlowDown or 500 InternalError without forwarding, or delay it. Decisions come from one Random seeded by the
/// test, drawn in the order requests arrive, so a failing case replays with the same seed. Responses can also be
/// capped in bandwidth, and request bodies corrupted (one byte flipped, as a faulty link or middlebox would). With
/// tls the proxy terminates TLS itself (a self-signed certificate; clients trust it through TrustingHttpClientFactory)
/// and forwards plain http, so the https code paths run against the real server. The older byte-count mode (ResetAfterResponseBytes/ResetsRemaining) resets the first
/// connections whose responses pass that many bytes.</summary>
public sealed class FaultProxy : IAsyncDisposable
{
    readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    readonly IPEndPoint _target;
    readonly CancellationTokenSource _stop = new();
    readonly Task _accepting;
    readonly Random _random;
    readonly object _gate = new();
    readonly Dictionary<FaultKind, int> _injected = new();
    volatile IReadOnlyList<FaultRule> _rules = Array.Empty<FaultRule>();
    int _resetsRemaining, _requests;

    readonly X509Certificate2? _certificate;

    public FaultProxy(string targetEndpoint, int seed = 1, bool tls = false)
    {
        _target = new IPEndPoint(IPAddress.Loopback, new Uri(targetEndpoint).Port);
        _random = new Random(seed);
        if (tls) _certificate = SelfSignedCertificate();
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Endpoint => $"{(_certificate is null ? "http" : "https")}://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // Re-imported so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
    }
    public IReadOnlyList<FaultRule> Rules { get => _rules; set => _rules = value; }
    /// <summary>Response bytes per second per connection; 0 for no cap.</summary>
    public long ResponseBytesPerSecond { get; set; }
    public long ResetAfterResponseBytes { get; set; } = 64 * 1024;
    public int ResetsRemaining { get => Volatile.Read(ref _resetsRemaining); set => Volatile.Write(ref _resetsRemaining, value); }
    public int ResetsDone => Injected(FaultKind.ResetMidResponse);
    public int Requests => Volatile.Read(ref _requests);
    public int Injected(FaultKind kind) { lock (_gate) return _injected.GetValueOrDefault(kind); }
    public int InjectedTotal { get { lock (_gate) return _injected.Values.Sum(); } }

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
        catch (SocketException) { }
    }

    /// <summary>Requests seen whose method and target match (e.g. "POST", "?delete"), counted independently of
    /// what the client reports about itself.</summary>
    public int RequestsMatching(string method, string targetContains)
    {
        lock (_gate) return _seen.Count(r => r.Method == method && r.Target.Contains(targetContains, StringComparison.Ordinal));
    }

    readonly List<(string Method, string Target, string[] Headers)> _seen = new();

    /// <summary>The requests seen that carried a header whose value contains <paramref name="valueContains"/>
    /// (case-insensitive), as "METHOD target".</summary>
    public IReadOnlyList<string> RequestsWithHeader(string name, string valueContains)
    {
        lock (_gate)
            return _seen.Where(r => r.Headers.Any(h => h.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase)
                    && h[(name.Length + 1)..].Contains(valueContains, StringComparison.OrdinalIgnoreCase)))
                .Select(r => $"{r.Method} {r.Target}").ToList();
    }

    (FaultKind Kind, FaultRule? Rule) Decide(string method, string target, string[] headers)
    {
        lock (_gate)
        {
            _requests++;
            _seen.Add((method, target, headers));
            foreach (var rule in _rules)
                if (rule.Matches(method, target) && _random.NextDouble() < rule.Rate)
                {
                    _injected[rule.Kind] = _injected.GetValueOrDefault(rule.Kind) + 1;
                    return (rule.Kind, rule);
                }
            return (FaultKind.None, null);
        }
    }

    async Task HandleAsync(TcpClient client)
    {
        using var server = new TcpClient();
        using (client)
        {
            try
            {
                Stream clientStream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new SslStream(clientStream);
                    await tls.AuthenticateAsServerAsync(_certificate);
                    clientStream = tls;
                }
                var (head, extra) = await ReadHeadAsync(clientStream);
                if (head is null) return;
                var lines = head.Split("\r\n");
                var requestLine = lines[0].Split(' ');
                var (kind, rule) = Decide(requestLine[0], requestLine.Length > 1 ? requestLine[1] : "", lines[1..]);
                switch (kind)
                {
                    case FaultKind.ResetBeforeForwarding:
                        Reset(client);
                        return;
                    case FaultKind.SlowDown503 or FaultKind.InternalError500:
                        await DrainBodyAsync(clientStream, lines, extra.Length);
                        var (status, code) = kind == FaultKind.SlowDown503 ? ("503 Slow Down", "SlowDown") : ("500 Internal Server Error", "InternalError");
                        var body = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>Injected by FaultProxy</Message></Error>";
                        await clientStream.WriteAsync(Encoding.ASCII.GetBytes(
                            $"HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), _stop.Token);
                        return;
                    case FaultKind.Delay:
                        await Task.Delay(rule!.Delay, _stop.Token);
                        break;
                }
                await server.ConnectAsync(_target, _stop.Token);
                var serverStream = server.GetStream();
                // One request per connection: the server closes after answering, so the next request comes on a new
                // connection and is judged on its own.
                var forwarded = string.Join("\r\n", lines.Where(l => !l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase)).Take(lines.Length - 1))
                    .TrimEnd() + "\r\nConnection: close\r\n\r\n";
                await serverStream.WriteAsync(Encoding.ASCII.GetBytes(forwarded), _stop.Token);
                long? corruptAt = kind == FaultKind.CorruptRequestBody ? rule!.AfterBytes : null;
                if (corruptAt is long at && at < extra.Length) { extra[at] ^= 0xFF; corruptAt = null; }
                else if (corruptAt is not null) corruptAt -= extra.Length;
                if (extra.Length > 0) await serverStream.WriteAsync(extra, _stop.Token);
                long? cutAfter = kind == FaultKind.ResetMidResponse ? rule!.AfterBytes : null;
                var up = Pump(clientStream, serverStream, isResponse: false, null, client, server, corruptAt);
                long? corruptDown = kind == FaultKind.CorruptResponseBody ? rule!.AfterBytes : null;
                var down = Pump(serverStream, clientStream, isResponse: true, cutAfter, client, server, corruptDown);
                await down;
            }
            catch (Exception) { /* a reset or closed connection ends here */ }
        }
    }

    async Task<(string? Head, byte[] Extra)> ReadHeadAsync(Stream stream)
    {
        var buffer = new byte[64 * 1024];
        int filled = 0;
        while (filled < buffer.Length)
        {
            int n = await stream.ReadAsync(buffer.AsMemory(filled), _stop.Token);
            if (n == 0) return (null, Array.Empty<byte>());
            filled += n;
            int end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
                return (Encoding.ASCII.GetString(buffer, 0, end + 2), buffer.AsSpan(end + 4, filled - end - 4).ToArray());
        }
        return (null, Array.Empty<byte>());
    }

    /// <summary>Reads the request body the client is sending (unless it waits for 100-continue), so it sees the
    /// injected answer rather than a reset while still sending.</summary>
    async Task DrainBodyAsync(Stream stream, string[] lines, int alreadyRead)
    {
        if (lines.Any(l => l.StartsWith("Expect:", StringComparison.OrdinalIgnoreCase))) return;
        var lengthLine = lines.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine is null || !long.TryParse(lengthLine["Content-Length:".Length..].Trim(), out long remaining)) return;
        remaining -= alreadyRead;
        var scratch = new byte[64 * 1024];
        while (remaining > 0)
        {
            int n = await stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(scratch.Length, remaining)), _stop.Token);
            if (n == 0) return;
            remaining -= n;
        }
    }

    async Task Pump(Stream from, Stream to, bool isResponse, long? cutAfter, TcpClient client, TcpClient server, long? corruptAt = null)
    {
        var buffer = new byte[16 * 1024];
        long sent = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool response = isResponse;
        while (true)
        {
            int n = await from.ReadAsync(buffer, _stop.Token);
            if (n == 0) { try { (to as NetworkStream)?.Socket.Shutdown(SocketShutdown.Send); } catch (Exception) { } return; }
            if (corruptAt is long at && at < sent + n) { buffer[at - sent] ^= 0xFF; corruptAt = null; }
            long? limit = cutAfter ?? (response && sent + n > ResetAfterResponseBytes && TryTakeReset() ? ResetAfterResponseBytes : null);
            if (limit is long cut && sent + n > cut)
            {
                if (cutAfter is null) lock (_gate) _injected[FaultKind.ResetMidResponse] = _injected.GetValueOrDefault(FaultKind.ResetMidResponse) + 1;
                int partial = (int)Math.Max(0, cut - sent);
                await to.WriteAsync(buffer.AsMemory(0, partial), _stop.Token);
                Reset(client);
                Reset(server);
                return;
            }
            await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            sent += n;
            if (response && ResponseBytesPerSecond > 0)
            {
                var due = TimeSpan.FromSeconds((double)sent / ResponseBytesPerSecond) - clock.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due, _stop.Token);
            }
        }
    }

    static void Reset(TcpClient connection)
    {
        try
        {
            connection.Client.LingerState = new LingerOption(true, 0); // close with RST, as a dropped link looks
            connection.Client.Close();
        }
        catch (Exception) { }
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

/// <summary>An SDK HTTP client that trusts the FaultProxy's self-signed certificate (and only for tests).</summary>
public sealed class TrustingHttpClientFactory : Amazon.Runtime.HttpClientFactory
{
    public override HttpClient CreateHttpClient(Amazon.Runtime.IClientConfig clientConfig) =>
        new(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
            MaxConnectionsPerServer = 64,
        });
}
