using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using S3Turbo.Engine.Connection;

namespace S3Turbo.Infrastructure;

/// <summary>Tab completion for -Region from the SDK's region list.</summary>
public sealed class RegionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        S3Connection.KnownRegions()
            .Where(r => r.Name.StartsWith(wordToComplete ?? "", StringComparison.OrdinalIgnoreCase))
            .Select(r => new CompletionResult(r.Name, r.Name, CompletionResultType.ParameterValue, r.DisplayName));
}

/// <summary>Tab completion for bucket parameters: ListBuckets with the credentials, region and endpoint already
/// typed on the command line (else the session's and environment's), cached briefly by the engine.</summary>
public sealed class BucketNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        // Completers run on the pipeline thread while a pipeline is running, so the session is read by a script.
        object? Session(string name) => ScriptBlock.Create($"Get-Variable -Name {name} -ValueOnly -ErrorAction Ignore").Invoke().FirstOrDefault();
        var request = S3Cmdlet.ConnectionRequest(fakeBoundParameters, Session);
        string prefix = (wordToComplete ?? "").Trim('\'', '"');
        return BucketNameCatalog.GetNames(request)
            .Where(n => n.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n, n, CompletionResultType.ParameterValue, "s3://" + n));
    }
}
