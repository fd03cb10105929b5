using QuayIntegration.BundleGenerator;

// hack/generate-bundle.sh [--check] [repository root]
// Writes bundle/, bundle.Dockerfile and catalog/ from deploy/ and hack/bundle/; with --check writes nothing and exits
// 1 when the committed files differ from what would be written (naming each file).
var check = args.Contains("--check");
var root = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? Directory.GetCurrentDirectory();
try
{
    var files = Bundle.Generate(root);
    if (check)
    {
        var differences = Bundle.Differences(root, files);
        foreach (var d in differences) Console.Error.WriteLine(d);
        if (differences.Count > 0)
        {
            Console.Error.WriteLine("The committed bundle differs from what hack/generate-bundle.sh makes: run it and commit the result.");
            return 1;
        }
        Console.WriteLine($"bundle up to date ({files.Count} files)");
        return 0;
    }
    Bundle.Write(root, files);
    foreach (var path in files.Keys) Console.WriteLine(path);
    return 0;
}
catch (BundleException e)
{
    Console.Error.WriteLine("hack/generate-bundle.sh: " + e.Message);
    return 2;
}
