using System.Management.Automation;

namespace S3Turbo.Infrastructure;

/// <summary>Objects piped into a bulk cmdlet (Get-S3Object output, inventory rows, anything with BucketName and Key).</summary>
static class PipedInput
{
    /// <summary>A property of a piped object as text (null when it has none).</summary>
    public static string? PropertyText(PSObject input, string name) =>
        input.Properties[name]?.Value is { } value ? LanguagePrimitives.ConvertTo<string>(value) : null;

    /// <summary>A piped object's BucketName and Key; null, with the InvalidInput error naming the one it lacks.</summary>
    public static (string Bucket, string Key)? PipedObject(PSObject input, out S3TurboException? error)
    {
        string? bucket = PropertyText(input, "BucketName"), key = PropertyText(input, "Key");
        error = string.IsNullOrEmpty(bucket) || string.IsNullOrEmpty(key)
            ? new S3TurboException(ErrorIds.InvalidInput, FailureKind.InvalidArgument,
                $"A piped {input.BaseObject.GetType().Name} has no {(string.IsNullOrEmpty(bucket) ? "BucketName" : "Key")}: pipe S3 URIs or objects with BucketName and Key properties.", input.BaseObject)
            : null;
        return error is null ? (bucket!, key!) : null;
    }
}
