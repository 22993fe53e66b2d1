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

    // To play a store unlike the one behind the proxy (every request still reaches the real server):
    /// <summary>Remove the checksums from responses (x-amz-checksum-* headers and Checksum* XML elements) and the
    /// part count a HEAD of part 1 gives, as a store that keeps no checksums (Ceph 18).</summary>
    public bool StripChecksums { get; set; }
    /// <summary>Answer GetObjectAttributes with 501 NotImplemented, as a store that cannot tell part sizes.</summary>
    public bool RefuseObjectAttributes { get; set; }
    /// <summary>Answer a request carrying a checksum header (x-amz-checksum-crc64nvme …, not x-amz-checksum-mode)
    /// with 400 InvalidArgument, as a store that refuses them.</summary>
    public bool RefuseChecksumHeaders { get; set; }
    /// <summary>Show the client ETags that are not MD5s: each one replaced by another stable value of the same shape
    /// (in headers and XML bodies), as SSE-KMS objects and directory buckets have; the ETags the client sends back
    /// (If-Match, copy conditions, CompleteMultipartUpload's part list) are mapped back to the real ones.</summary>
    public bool OpaqueETags { get; set; }
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _realETags = new(StringComparer.Ordinal);
    /// <summary>The secret key of the requests' credentials, to sign a request anew after the proxy changed it.</summary>
    public string SecretKey { get; set; } = TestS3.SecretKey;
    /// <summary>Response bytes per second per connection; 0 for no cap.</summary>
    public long ResponseBytesPerSecond { get; set; }
    public long ResetAfterResponseBytes { get; set; } = 64 * 1024;
    public int ResetsRemaining { get => Volatile.Read(ref _resetsRemaining); set => Volatile.Write(ref _resetsRemaining, value); }
    public int ResetsDone => Injected(FaultKind.ResetMidResponse);
    public int Requests => Volatile.Read(ref _requests);
    long _bytesToServer, _bytesToClient;
    /// <summary>Bytes passed on to the server after the request heads (bodies), and to the client (whole responses).</summary>
    public long BytesToServer => Interlocked.Read(ref _bytesToServer);
    public long BytesToClient => Interlocked.Read(ref _bytesToClient);
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
        if (Environment.GetEnvironmentVariable("FAULTPROXY_DEBUG") is { } debug) File.AppendAllText(debug, $"{method} {target}\n  {string.Join("\n  ", headers)}\n");
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
                        await AnswerAsync(clientStream, status, code);
                        return;
                    case FaultKind.Delay:
                        await Task.Delay(rule!.Delay, _stop.Token);
                        break;
                }
                string target = requestLine.Length > 1 ? requestLine[1] : "";
                if (RefuseChecksumHeaders && lines.Any(IsChecksumHeader))
                {
                    await DrainBodyAsync(clientStream, lines, extra.Length);
                    await AnswerAsync(clientStream, "400 Bad Request", "InvalidArgument");
                    return;
                }
                if (RefuseObjectAttributes && (target.Contains("?attributes", StringComparison.Ordinal) || target.Contains("&attributes", StringComparison.Ordinal)))
                {
                    await DrainBodyAsync(clientStream, lines, extra.Length);
                    await AnswerAsync(clientStream, "501 Not Implemented", "NotImplemented");
                    return;
                }
                if (OpaqueETags)
                {
                    // The ETags sent back are the real ones again, and the request is signed anew (If-Match and the
                    // body's SHA-256 are signed): the proxy knows the test's secret key.
                    var mapped = lines.Select(l => IsConditionHeader(l) ? MapETags(l, toReal: true) : l).ToArray();
                    byte[]? body = null;
                    if (requestLine[0] == "POST" && target.Contains("uploadId=", StringComparison.Ordinal))
                        body = Encoding.UTF8.GetBytes(MapETags(Encoding.UTF8.GetString(await ReadBodyAsync(clientStream, lines, extra)), toReal: true));
                    if (!mapped.SequenceEqual(lines) || (body is not null && !body.AsSpan().SequenceEqual(extra)))
                        lines = RequestSigner.Resign(requestLine[0], target, mapped, body, SecretKey);
                    if (body is not null) extra = body;
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
                if (extra.Length > 0) { await serverStream.WriteAsync(extra, _stop.Token); Interlocked.Add(ref _bytesToServer, extra.Length); }
                if (StripChecksums || OpaqueETags)
                {
                    await ForwardRewrittenAsync(clientStream, serverStream, requestLine[0], target, kind == FaultKind.CorruptResponseBody ? rule!.AfterBytes : null);
                    return;
                }
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

    async Task AnswerAsync(Stream client, string status, string code)
    {
        var body = $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>Injected by FaultProxy</Message></Error>";
        await client.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}"), _stop.Token);
    }

    static bool IsChecksumHeader(string line) =>
        (line.StartsWith("x-amz-checksum-", StringComparison.OrdinalIgnoreCase) && !line.StartsWith("x-amz-checksum-mode", StringComparison.OrdinalIgnoreCase))
        || line.StartsWith("x-amz-sdk-checksum-algorithm", StringComparison.OrdinalIgnoreCase);

    static bool IsConditionHeader(string line) =>
        line.StartsWith("If-Match:", StringComparison.OrdinalIgnoreCase) || line.StartsWith("If-None-Match:", StringComparison.OrdinalIgnoreCase)
        || line.StartsWith("x-amz-copy-source-if-match:", StringComparison.OrdinalIgnoreCase) || line.StartsWith("x-amz-copy-source-if-none-match:", StringComparison.OrdinalIgnoreCase);

    static readonly System.Text.RegularExpressions.Regex Hex32 = new("[0-9a-f]{32}");
    static readonly System.Text.RegularExpressions.Regex XmlETag = new("(?<=<ETag>(?:&quot;|&#34;|\")?)[0-9a-f]{32}");
    static readonly System.Text.RegularExpressions.Regex XmlChecksum = new("<Checksum(CRC64NVME|CRC32C|CRC32|SHA1|SHA256|Type)>[^<]*</Checksum\\1>");

    /// <summary>Real ETags to their stable stand-ins (toReal false), or back.</summary>
    string MapETags(string text, bool toReal) => (toReal ? Hex32 : XmlETag).Replace(text, m => toReal
        ? _realETags.GetValueOrDefault(m.Value, m.Value)
        : StandIn(m.Value));

    string StandIn(string real)
    {
        var standIn = Convert.ToHexString(MD5.HashData(Encoding.ASCII.GetBytes("opaque:" + real))).ToLowerInvariant();
        _realETags[standIn] = real;
        return standIn;
    }

    /// <summary>The whole request body (Content-Length), of which <paramref name="extra"/> was read with the head.</summary>
    async Task<byte[]> ReadBodyAsync(Stream stream, string[] lines, byte[] extra)
    {
        var lengthLine = lines.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine is null || !int.TryParse(lengthLine["Content-Length:".Length..].Trim(), out int length) || length <= extra.Length) return extra;
        var body = new byte[length];
        extra.CopyTo(body, 0);
        await stream.ReadExactlyAsync(body.AsMemory(extra.Length), _stop.Token);
        return body;
    }

    /// <summary>Passes the request body on and the response back, with its checksums stripped and/or its ETags
    /// replaced: headers always, and an XML body (listings, CompleteMultipartUpload, GetObjectAttributes, CopyObject,
    /// errors) read whole, de-chunked and re-sent with its new length. Object bodies pass as they are.</summary>
    async Task ForwardRewrittenAsync(Stream client, Stream server, string method, string target, long? corruptAt)
    {
        var up = client.CopyToAsync(server, _stop.Token);
        var (head, extra) = await ReadHeadAsync(server);
        if (head is null) return;
        var headers = head.Split("\r\n")[..^1].ToList();
        if (StripChecksums)
            headers.RemoveAll(l => l.StartsWith("x-amz-checksum-", StringComparison.OrdinalIgnoreCase) || l.StartsWith("x-amz-mp-parts-count", StringComparison.OrdinalIgnoreCase));
        if (OpaqueETags)
            headers = headers.Select(l => l.StartsWith("ETag:", StringComparison.OrdinalIgnoreCase) ? l[..5] + Hex32.Replace(l[5..], m => StandIn(m.Value)) : l).ToList();
        bool xml = headers.Any(l => l.StartsWith("Content-Type:", StringComparison.OrdinalIgnoreCase) && l.Contains("xml", StringComparison.OrdinalIgnoreCase));
        bool objectBody = !target.Contains('?') || target.Contains("partNumber=", StringComparison.Ordinal);
        int status = int.Parse(headers[0].Split(' ')[1]);
        if (method == "HEAD" || !xml || (objectBody && status < 300))
        {
            var rewritten = Encoding.ASCII.GetBytes(string.Join("\r\n", headers) + "\r\n\r\n");
            await client.WriteAsync(rewritten, _stop.Token);
            // A CorruptResponseBody rule flips its byte counted from the start of the rewritten response.
            long? inBody = corruptAt - rewritten.Length;
            if (inBody is long at && at >= 0 && at < extra.Length) { extra[at] ^= 0xFF; inBody = null; }
            await client.WriteAsync(extra, _stop.Token);
            await Pump(server, client, isResponse: true, null, null, null, inBody is long later && later >= extra.Length ? later - extra.Length : null);
            return;
        }
        using var raw = new MemoryStream();
        raw.Write(extra);
        await server.CopyToAsync(raw, _stop.Token);
        var bytes = raw.ToArray();
        if (headers.Any(l => l.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) && l.Contains("chunked", StringComparison.OrdinalIgnoreCase)))
            bytes = Dechunk(bytes);
        var body = Encoding.UTF8.GetString(bytes);
        if (StripChecksums) body = XmlChecksum.Replace(body, "");
        if (OpaqueETags) body = MapETags(body, toReal: false);
        var encoded = Encoding.UTF8.GetBytes(body);
        headers.RemoveAll(l => l.StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase) || l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        headers.Add($"Content-Length: {encoded.Length}");
        await client.WriteAsync(Encoding.ASCII.GetBytes(string.Join("\r\n", headers) + "\r\n\r\n"), _stop.Token);
        await client.WriteAsync(encoded, _stop.Token);
        await client.FlushAsync(_stop.Token);
        _ = up;
    }

    static byte[] Dechunk(byte[] chunked)
    {
        using var body = new MemoryStream();
        int at = 0;
        while (at < chunked.Length)
        {
            int lineEnd = chunked.AsSpan(at).IndexOf("\r\n"u8);
            if (lineEnd < 0) break;
            var sizeText = Encoding.ASCII.GetString(chunked, at, lineEnd).Split(';')[0].Trim();
            int size = Convert.ToInt32(sizeText, 16);
            at += lineEnd + 2;
            if (size == 0) break;
            body.Write(chunked, at, size);
            at += size + 2;
        }
        return body.ToArray();
    }

    async Task Pump(Stream from, Stream to, bool isResponse, long? cutAfter, TcpClient? client, TcpClient? server, long? corruptAt = null)
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
            Interlocked.Add(ref isResponse ? ref _bytesToClient : ref _bytesToServer, n);
            sent += n;
            if (response && ResponseBytesPerSecond > 0)
            {
                var due = TimeSpan.FromSeconds((double)sent / ResponseBytesPerSecond) - clock.Elapsed;
                if (due > TimeSpan.Zero) await Task.Delay(due, _stop.Token);
            }
        }
    }

    static void Reset(TcpClient? connection)
    {
        if (connection is null) return;
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

/// <summary>SigV4 signing of a request the proxy changed (a header or its body), with the credential scope, date and
/// signed headers of the client's own signature: what the client would have signed had it sent those bytes.</summary>
static class RequestSigner
{
    public static string[] Resign(string method, string target, string[] lines, byte[]? body, string secretKey)
    {
        var headers = lines.Skip(1).Where(l => l.Length > 0).ToList();
        string Value(string name) => headers.First(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))[(name.Length + 1)..].Trim();
        var authorization = Value("Authorization");
        var credential = Between(authorization, "Credential=", ",");
        var signedHeaders = Between(authorization, "SignedHeaders=", ",");
        var scope = credential[(credential.IndexOf('/') + 1)..];
        var payloadHash = Value("x-amz-content-sha256");
        if (body is not null && !payloadHash.StartsWith("UNSIGNED", StringComparison.Ordinal) && !payloadHash.StartsWith("STREAMING", StringComparison.Ordinal))
        {
            payloadHash = Convert.ToHexString(SHA256.HashData(body)).ToLowerInvariant();
            headers = headers.Select(l => l.StartsWith("x-amz-content-sha256:", StringComparison.OrdinalIgnoreCase) ? "x-amz-content-sha256: " + payloadHash
                : l.StartsWith("Content-MD5:", StringComparison.OrdinalIgnoreCase) ? "Content-MD5: " + Convert.ToBase64String(MD5.HashData(body)) : l).ToList();
        }
        int question = target.IndexOf('?');
        string path = question < 0 ? target : target[..question];
        string query = question < 0 ? "" : string.Join("&", target[(question + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Contains('=') ? p : p + "=").OrderBy(p => p.Split('=')[0], StringComparer.Ordinal).ThenBy(p => p, StringComparer.Ordinal));
        var canonicalHeaders = string.Concat(signedHeaders.Split(';').Select(name => name + ":" + string.Join(" ", Value(name).Split(' ', StringSplitOptions.RemoveEmptyEntries)) + "\n"));
        var canonical = $"{method}\n{path}\n{query}\n{canonicalHeaders}\n{signedHeaders}\n{payloadHash}";
        var date = Value("X-Amz-Date");
        var toSign = $"AWS4-HMAC-SHA256\n{date}\n{scope}\n{Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical))).ToLowerInvariant()}";
        byte[] key = Encoding.UTF8.GetBytes("AWS4" + secretKey);
        foreach (var part in scope.Split('/')) key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(part));
        var signature = Convert.ToHexString(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(toSign))).ToLowerInvariant();
        var signed = authorization[..(authorization.IndexOf("Signature=", StringComparison.Ordinal) + "Signature=".Length)] + signature;
        return new[] { lines[0] }.Concat(headers.Select(l => l.StartsWith("Authorization:", StringComparison.OrdinalIgnoreCase) ? "Authorization: " + signed : l)).Append("").ToArray();
    }

    static string Between(string text, string start, string end)
    {
        int from = text.IndexOf(start, StringComparison.Ordinal) + start.Length;
        int to = text.IndexOf(end, from, StringComparison.Ordinal);
        return (to < 0 ? text[from..] : text[from..to]).Trim();
    }
}
