namespace QuayIntegration.Testing.Core;

/// <summary>
/// The operator that tests, the sandbox and the benchmark smoke runs start as a process. By default it is the
/// operator built beside them, run as <c>dotnet QuayIntegration.Operator.dll</c>; with <see cref="Variable"/> set it is
/// that file instead: CI points it at the Native AOT executable it publishes as the image does, so every test that
/// starts the operator as a process runs exactly what ships.
/// </summary>
public static class OperatorBinary
{
    public const string Variable = "QUAYINTEGRATION_OPERATOR";

    /// <summary>The program to start and the arguments that come before the operator's own.</summary>
    /// <param name="builtDll">The operator's dll built beside the caller, used when <see cref="Variable"/> is not set.</param>
    public static (string FileName, IReadOnlyList<string> Arguments) Command(string builtDll)
    {
        var chosen = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrEmpty(chosen)) return (DotnetHost(), [builtDll]);
        var path = Path.GetFullPath(chosen);
        if (!File.Exists(path)) throw new FileNotFoundException($"{Variable} names {path}, which does not exist", path);
        return path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? (DotnetHost(), [path]) : (path, []);
    }

    /// <summary><see cref="Command"/> as one shell command line, each part single-quoted.</summary>
    public static string ShellCommand(string builtDll)
    {
        var (fileName, arguments) = Command(builtDll);
        return string.Join(' ', new[] { fileName }.Concat(arguments).Select(part => "'" + part.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
    }

    /// <summary>The dotnet host running this process when it is one (the SDK's under dotnet test), else dotnet on the PATH.</summary>
    public static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        return "dotnet";
    }
}
