using System.Collections.Concurrent;

namespace QuayIntegration.Emulators.Quay.Registry;

/// <summary>Blob uploads started with POST and completed with PATCH/PUT (the non-monolithic v2 flow).</summary>
public sealed class UploadSessions
{
    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);

    public sealed class Session(string repository)
    {
        public string Repository { get; } = repository;
        public MemoryStream Content { get; } = new();
    }

    public string Start(string repository)
    {
        var id = Guid.NewGuid().ToString();
        _sessions[id] = new Session(repository);
        return id;
    }

    public Session? Find(string id, string repository) =>
        _sessions.TryGetValue(id, out var session) && session.Repository == repository ? session : null;

    public void Finish(string id) => _sessions.TryRemove(id, out _);
}
