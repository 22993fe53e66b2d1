using System.Net;
using System.Text.Json;

namespace S3Turbo.Engine.Queue;

/// <summary>Reading queue message bodies into the work they name.</summary>
public static class QueueMessageBodies
{
    /// <summary>The work a message body names: S3 event notifications (direct, through SNS, or EventBridge's form),
    /// s3:TestEvent (no work), or an S3Turbo work item (see <see cref="WorkItem"/>). Only ObjectCreated events are
    /// work; other events name none. Throws InvalidWorkItem naming the message for anything else.</summary>
    public static IReadOnlyList<QueueTarget> Parse(string body, string messageId)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(body); }
        catch (JsonException ex) { throw Invalid(messageId, $"is not JSON ({ex.Message})"); }
        using (document) return Parse(document.RootElement, messageId, depth: 0);
    }

    static IReadOnlyList<QueueTarget> Parse(JsonElement root, string messageId, int depth)
    {
        if (root.ValueKind != JsonValueKind.Object) throw Invalid(messageId, "is not a JSON object");
        if (depth < 2 && Text(root, "Type") == "Notification" && Text(root, "Message") is { } inner)
        {
            try { using var wrapped = JsonDocument.Parse(inner); return Parse(wrapped.RootElement, messageId, depth + 1); }
            catch (JsonException ex) { throw Invalid(messageId, $"is an SNS notification whose Message is not JSON ({ex.Message})"); }
        }
        if (Text(root, "Event") == "s3:TestEvent") return Array.Empty<QueueTarget>();
        if (root.TryGetProperty("Records", out var records) && records.ValueKind == JsonValueKind.Array)
        {
            var targets = new List<QueueTarget>();
            int index = 0;
            foreach (var record in records.EnumerateArray())
            {
                if (record.ValueKind != JsonValueKind.Object || !record.TryGetProperty("s3", out var s3) || s3.ValueKind != JsonValueKind.Object)
                    throw Invalid(messageId, $"has an event record {index} without its s3 part");
                if (Text(record, "eventName") is { } name && name.StartsWith("ObjectCreated:", StringComparison.Ordinal))
                {
                    var bucket = Text(Child(s3, "bucket"), "name");
                    var key = Text(Child(s3, "object"), "key");
                    if (string.IsNullOrEmpty(bucket) || string.IsNullOrEmpty(key)) throw Invalid(messageId, $"has an event record {index} without s3.bucket.name or s3.object.key");
                    // Event keys are URL-encoded with '+' for a space, as in a form. The event's size and ETag are
                    // left out: the object may have been overwritten since, and its current version is the work.
                    targets.Add(new QueueTarget(QueueTargetKind.Object, bucket!, WebUtility.UrlDecode(key!)));
                }
                index++;
            }
            return targets;
        }
        if (Text(root, "source") == "aws.s3" && root.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.Object)
        {
            if (Text(root, "detail-type") != "Object Created") return Array.Empty<QueueTarget>();
            var bucket = Text(Child(detail, "bucket"), "name");
            var key = Text(Child(detail, "object"), "key");
            if (string.IsNullOrEmpty(bucket) || string.IsNullOrEmpty(key)) throw Invalid(messageId, "is an EventBridge S3 event without detail.bucket.name or detail.object.key");
            return new[] { new QueueTarget(QueueTargetKind.Object, bucket!, key!) };
        }
        if (root.TryGetProperty(WorkItem.Marker, out _)) return new[] { WorkItem.Read(root, messageId) };
        throw Invalid(messageId, "is neither an S3 event notification nor an S3Turbo work item");
    }

    internal static S3TurboException Invalid(string messageId, string what) =>
        new(ErrorIds.InvalidWorkItem, FailureKind.InvalidData, $"Queue message {messageId} {what}.", messageId);

    internal static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static long? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) ? n : null;

    static JsonElement Child(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : default;
}

/// <summary>S3Turbo's own message body, one piece of work per message:
/// <c>{"s3turbo":1,"bucket":"b","key":"k"}</c>, or <c>"prefix":"p/"</c> instead of key, or
/// <c>{"s3turbo":1,"manifest":"s3://b/manifest.json"}</c>; optional "size", "etag" and "operation" (the cmdlet
/// meant to run it, such as "Get-S3TarIndex").</summary>
public static class WorkItem
{
    public const string Marker = "s3turbo";

    public static string Write(QueueTarget target)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber(Marker, 1);
            if (target.Operation is not null) json.WriteString("operation", target.Operation);
            if (target.Kind == QueueTargetKind.Manifest) json.WriteString("manifest", target.Key);
            else
            {
                json.WriteString("bucket", target.BucketName);
                json.WriteString(target.Kind == QueueTargetKind.Prefix ? "prefix" : "key", target.Key);
                if (target.Size is long size) json.WriteNumber("size", size);
                if (target.ETag is not null) json.WriteString("etag", target.ETag);
            }
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static QueueTarget Read(JsonElement root, string messageId)
    {
        if (!root.TryGetProperty(Marker, out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var v) || v != 1)
            throw QueueMessageBodies.Invalid(messageId, $"is an S3Turbo work item of an unknown version (\"{Marker}\" must be 1)");
        var operation = QueueMessageBodies.Text(root, "operation");
        if (QueueMessageBodies.Text(root, "manifest") is { Length: > 0 } manifest) return new QueueTarget(QueueTargetKind.Manifest, "", manifest, Operation: operation);
        var bucket = QueueMessageBodies.Text(root, "bucket");
        if (bucket is null || !BucketNames.IsValid(bucket)) throw QueueMessageBodies.Invalid(messageId, $"is a work item without a valid \"bucket\" ({bucket ?? "none"})");
        if (QueueMessageBodies.Text(root, "key") is { Length: > 0 } key)
            return new QueueTarget(QueueTargetKind.Object, bucket, key, QueueMessageBodies.Number(root, "size"), QueueMessageBodies.Text(root, "etag"), operation);
        if (QueueMessageBodies.Text(root, "prefix") is { } prefix) return new QueueTarget(QueueTargetKind.Prefix, bucket, prefix, Operation: operation);
        throw QueueMessageBodies.Invalid(messageId, "is a work item with neither \"key\", \"prefix\" nor \"manifest\"");
    }
}

