namespace QuayIntegration.Sandbox.Output;

/// <summary>
/// Everything the sandbox prints goes through here, so the look of the run (headings, ✓/✗, indentation, colours) is
/// decided in one place. Colours are used only on a terminal; redirected output (tests, CI logs) stays plain text.
/// </summary>
public sealed class Report(TextWriter writer, bool color)
{
    private const string Green = "\e[32m", Red = "\e[31m", Yellow = "\e[33m", Cyan = "\e[36m", Dim = "\e[2m", Bold = "\e[1m", Reset = "\e[0m";
    private readonly Lock _gate = new();

    public static Report ForConsole() => new(Console.Out, !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null);

    public void Title(string text) => Line(Paint(Bold, text));

    public void Section(string title) => Line($"\n{Paint(Bold + Cyan, title)}");

    public void Step(int number, int total, string title) => Line($"\n{Paint(Bold + Cyan, $"[{number}/{total}]")} {Paint(Bold, title)}");

    /// <summary>An observed fact: what was checked, then the evidence itself (the object as read back).</summary>
    public void Ok(string fact, string? evidence = null) => Line($"  {Paint(Green, "✓")} {fact}{Suffix(evidence)}");

    public void Fail(string fact, string? evidence = null) => Line($"  {Paint(Red, "✗")} {fact}{Suffix(evidence)}");

    public void Skipped(string why) => Line($"  {Paint(Yellow, "–")} {why}");

    /// <summary>Something done (a command run, an object created), as opposed to something observed.</summary>
    public void Action(string text) => Line($"  {Paint(Dim, "$")} {text}");

    /// <summary>An indented detail line under the previous fact (lists of objects, log lines).</summary>
    public void Detail(string text) => Line($"      {Paint(Dim, text)}");

    public void Note(string text) => Line($"  {Paint(Yellow, "!")} {text}");

    public void Plain(string text) => Line(text);

    public void Summary(bool success, string text) => Line($"\n{Paint(Bold + (success ? Green : Red), (success ? "✓ " : "✗ ") + text)}");

    private static string Suffix(string? evidence) => string.IsNullOrEmpty(evidence) ? "" : $"  {evidence}";

    private string Paint(string style, string text) => color ? style + text + Reset : text;

    private void Line(string text)
    {
        lock (_gate)
        {
            writer.WriteLine(text);
            writer.Flush();
        }
    }
}
