using System.Management.Automation;
using System.Reflection;
#if NET
using System.Runtime.InteropServices;
using System.Runtime.Loader;
#endif

namespace S3Turbo.Infrastructure;

/// <summary>
/// Loads S3Turbo.Engine and everything it needs (AWSSDK.Core/S3, Parquet.Net, ZstdSharp…) from the module's
/// <c>dependencies</c> folder. On PowerShell 7 they go into a private AssemblyLoadContext, so S3Turbo works beside
/// modules that have already loaded another AWSSDK version (AWS.Tools ships its own) — the loader pattern
/// PowerShell documents for dependency conflicts. This assembly names no SDK type; it reaches the SDK only through
/// the engine. Windows PowerShell 5.1 (.NET Framework) has no load contexts: there the folder is only probed when
/// the runtime cannot find an assembly, so the first AWSSDK version loaded in the session wins.
/// </summary>
public sealed class DependencyLoader : IModuleAssemblyInitializer
{
    const string EngineAssemblyName = "S3Turbo.Engine";
    /// <summary>Results, summaries, progress and errors: loaded into the default context, so scripts can name them
    /// ([S3Turbo.TransferSummary]) and both sides of the boundary share one copy of each type.</summary>
    const string ContractsAssemblyName = "S3Turbo.Contracts";
    static readonly object Gate = new();
    static string? _dependencies;
#if NET
    static DependencyLoadContext? _context;
#endif

    /// <summary>Called by S3Turbo.psm1 before it imports this assembly as a module: PowerShell loads every public
    /// type while importing, and the cmdlets' fields (engine enums) need the engine at that moment.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_dependencies is not null) return;
            string? moduleDirectory = Path.GetDirectoryName(typeof(DependencyLoader).Assembly.Location);
            if (string.IsNullOrEmpty(moduleDirectory)) return;
            string dependencies = Path.Combine(moduleDirectory, "dependencies");
            // A development build (bin/) keeps everything beside S3Turbo.dll; the default context then finds it.
            if (!File.Exists(Path.Combine(dependencies, EngineAssemblyName + ".dll"))) return;
            _dependencies = dependencies;
            Assembly.LoadFrom(Path.Combine(moduleDirectory, ContractsAssemblyName + ".dll"));
#if NET
            _context = new DependencyLoadContext(dependencies);
            AssemblyLoadContext.Default.Resolving += ResolveEngine;
#else
            AppDomain.CurrentDomain.AssemblyResolve += ResolveFromDependencies;
#endif
        }
    }

    public void OnImport() => Register();

#if NET
    /// <summary>Only the engine is handed across; its own references then resolve inside the private context.</summary>
    static Assembly? ResolveEngine(AssemblyLoadContext requester, AssemblyName name) =>
        name.Name == EngineAssemblyName ? _context!.LoadFromAssemblyName(name) : null;

    /// <summary>True when the engine runs in the private context and the contracts (results, summaries, errors) in
    /// the default one, where scripts can name them (reported by the isolation tests).</summary>
    public static bool IsIsolated => _context is not null
        && AssemblyLoadContext.GetLoadContext(typeof(S3Turbo.Engine.Transfer.RequestBudget).Assembly) == _context
        && AssemblyLoadContext.GetLoadContext(typeof(TransferSummary).Assembly) == AssemblyLoadContext.Default;

    sealed class DependencyLoadContext : AssemblyLoadContext
    {
        readonly string _directory;
        readonly string? _precompiledDirectory;
        readonly string? _net10Directory;

        public DependencyLoadContext(string directory) : base("S3Turbo")
        {
            _directory = directory;
            // dependencies/net10.0/ holds the .NET 10 builds of packages whose build for older targets is much slower:
            // System.IO.Hashing's is table-driven (0.4 GB/s a core for CRC64NVME), its .NET 10 one vectorized (13 GB/s).
            string net10 = Path.Combine(directory, "net10.0");
            _net10Directory = Environment.Version.Major >= 10 && Directory.Exists(net10) ? net10 : null;
            // dependencies/<rid>/ holds the same assemblies with ReadyToRun code made for .NET 10 on this platform
            // (build.ps1, tools/ReadyToRun): a first call JITs far fewer methods. Older runtimes (PowerShell 7.4 and
            // 7.5) and other platforms load the IL beside it; a newer runtime that cannot use the code JITs the IL
            // the images also carry, as .NET 10 does with .NET 8 images.
            string precompiled = Path.Combine(directory, RuntimeInformation.RuntimeIdentifier);
            _precompiledDirectory = Environment.Version.Major >= 10 && Directory.Exists(precompiled) ? precompiled : null;
        }

        /// <summary>Our copy when we ship one; otherwise null, so the framework's assemblies come from the default
        /// context and types like Stream stay shared with PowerShell.</summary>
        protected override Assembly? Load(AssemblyName name)
        {
            string file = name.Name + ".dll";
            if (_precompiledDirectory is not null && File.Exists(Path.Combine(_precompiledDirectory, file)))
                return LoadFromAssemblyPath(Path.Combine(_precompiledDirectory, file));
            if (_net10Directory is not null && File.Exists(Path.Combine(_net10Directory, file)))
                return LoadFromAssemblyPath(Path.Combine(_net10Directory, file));
            string path = Path.Combine(_directory, file);
            return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
        }
    }
#else
    public static bool IsIsolated => false;

    /// <summary>Any assembly we ship, when .NET Framework's own probing did not find it.</summary>
    static Assembly? ResolveFromDependencies(object? sender, ResolveEventArgs args)
    {
        string path = Path.Combine(_dependencies!, new AssemblyName(args.Name).Name + ".dll");
        return File.Exists(path) ? Assembly.LoadFrom(path) : null;
    }
#endif
}
