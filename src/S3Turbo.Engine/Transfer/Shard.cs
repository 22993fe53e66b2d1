using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;

namespace S3Turbo.Engine.Transfer;

/// <summary>-ShardIndex i -ShardCount n: a stable share of the items, by a hash of each object's key (XxHash3 of its
/// UTF-8 bytes, modulo n). Workers of an array job given the same input and indexes 0..n-1 take disjoint shares that
/// together cover everything, whatever order each one lists or reads in, and a re-run takes the same share.</summary>
public sealed record Shard
{
    Shard(int index, int count) { Index = index; Count = count; }

    public int Index { get; }
    public int Count { get; }

    /// <summary>Null when neither is given; both or neither must be.</summary>
    public static Shard? Create(int? index, int? count)
    {
        if (index is null && count is null) return null;
        if (index is null || count is null)
            throw new S3TurboException(ErrorIds.InvalidShard, FailureKind.InvalidArgument,
                "-ShardIndex and -ShardCount go together: give both (e.g. -ShardIndex $env:AWS_BATCH_JOB_ARRAY_INDEX -ShardCount 8) or neither.", index ?? count);
        if (count < 1 || index < 0 || index >= count)
            throw new S3TurboException(ErrorIds.InvalidShard, FailureKind.InvalidArgument,
                $"-ShardIndex {index} is not a shard of -ShardCount {count}: the index must be from 0 to {count - 1}.", index);
        return new Shard(index.Value, count.Value);
    }

    public bool Accepts(string key) =>
        Count == 1 || XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(key)) % (ulong)Count == (ulong)Index;

    public override string ToString() => $"shard {Index} of {Count}";
}

public static class ShardExtensions
{
    /// <summary>The items of <paramref name="source"/> in the shard (all of them without one).</summary>
    public static async IAsyncEnumerable<T> InShard<T>(this IAsyncEnumerable<T> source, Shard? shard, Func<T, string> key,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var item in source.WithCancellation(cancellationToken).ConfigureAwait(false))
            if (shard is null || shard.Accepts(key(item))) yield return item;
    }
}
