using System.Runtime.InteropServices;
using QuayIntegration.Emulators.Quay.Auth;

namespace QuayIntegration.Emulators.Quay.Hosting;

/// <summary>Parses the runnable host's flags, starts the emulator, prints where it is, and waits for Ctrl-C.</summary>
public static class EmulatorCommandLine
{
    public const string Usage = """
        Emulated Quay (v1 REST API + Docker Registry v2) on 127.0.0.1.
        Options:
          --http-port <n>            plain HTTP port (default 0 = any free port)
          --https-port <n>           HTTPS port, also the registry host (default 0)
          --user <name>[:super]      add a user (repeatable); ':super' makes it a superuser
          --token <token>[:<user>[:<scopes>]]
                                     add an OAuth token (repeatable); user defaults to 'admin' (created as a superuser),
                                     scopes to all, written comma-separated: org:admin,repo:admin,...
          --gc-delay <seconds>       how long a deleted organization's name stays unavailable (default 3)
          --superusers-full-access   FEATURE_SUPERUSERS_FULL_ACCESS (default off)
          --superusers-org-creation-only
                                     FEATURE_SUPERUSERS_ORG_CREATION_ONLY (default off)
          --organization-email-required
                                     a Quay release before organization contact emails with FEATURE_MAILING
                                     on: a new organization needs a unique email (default off)
          --ca-out <path>            where to write the CA certificate PEM (default: a temp file)
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        QuayEmulatorOptions options;
        string? caPath = null;
        try
        {
            (options, caPath) = Parse(args);
        }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }
        if (options is null)
        {
            Console.WriteLine(Usage);
            return 0;
        }

        await using var quay = await QuayEmulator.StartAsync(options);
        caPath ??= Path.Combine(Path.GetTempPath(), $"quay-emulator-ca-{Environment.ProcessId}.pem");
        await File.WriteAllTextAsync(caPath, quay.CaCertificatePem);

        Console.WriteLine($"Quay API (HTTPS): {quay.BaseUrl}");
        Console.WriteLine($"Quay API (HTTP):  {quay.HttpBaseUrl}");
        Console.WriteLine($"Registry host:    {quay.RegistryHost}");
        Console.WriteLine($"CA certificate:   {caPath}");
        Console.WriteLine($"State page:       {quay.HttpBaseUrl}/_emulator/");
        foreach (var token in options.Tokens)
            Console.WriteLine($"Token:            {token.Token} (user {token.Username}; {QuayScopeNames.Format(token.Scopes)})");
        Console.WriteLine("Press Ctrl-C to stop.");

        // Ctrl-C (SIGINT) and SIGTERM both stop gracefully; the continuation must not run inside the signal handler.
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.TrySetResult();
        }
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        await stop.Task;
        Console.WriteLine("Stopping.");
        return 0;
    }

    /// <summary>Returns null options for --help.</summary>
    private static (QuayEmulatorOptions Options, string? CaPath) Parse(string[] args)
    {
        var options = new QuayEmulatorOptions();
        string? caPath = null;
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--help" or "-h":
                    return (null!, null);
                case "--http-port":
                    options.HttpPort = int.Parse(Next());
                    break;
                case "--https-port":
                    options.HttpsPort = int.Parse(Next());
                    break;
                case "--user":
                    var user = Next().Split(':');
                    options.Users.Add(new QuayUser(user[0], user.Length > 1 && user[1] == "super"));
                    break;
                case "--token":
                    var token = Next().Split(':', 3);
                    var username = token.Length > 1 && token[1] != "" ? token[1] : "admin";
                    var scopes = token.Length > 2 ? QuayScopeNames.Parse(token[2]) : QuayScopes.All;
                    if (options.Users.All(u => u.Name != username)) options.Users.Add(new QuayUser(username, IsSuperuser: username == "admin"));
                    options.Tokens.Add(new QuayToken(token[0], username, scopes));
                    break;
                case "--gc-delay":
                    options.NamespaceGcDelay = TimeSpan.FromSeconds(double.Parse(Next(), System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case "--superusers-full-access":
                    options.SuperusersFullAccess = true;
                    break;
                case "--superusers-org-creation-only":
                    options.OrganizationCreationForSuperusersOnly = true;
                    break;
                case "--organization-email-required":
                    options.OrganizationEmailRequired = true;
                    break;
                case "--ca-out":
                    caPath = Next();
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}");
            }
        }
        return (options, caPath);
    }
}
