namespace QuayIntegration.Emulators.Cluster.Controllers;

/// <summary>A controller of the emulated control plane: runs until cancelled, talking to the API server only over its REST API.</summary>
public interface IClusterController
{
    string Name { get; }
    Task RunAsync(CancellationToken cancellationToken);
}
