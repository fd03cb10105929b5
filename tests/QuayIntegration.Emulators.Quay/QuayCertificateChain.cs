namespace QuayIntegration.Emulators.Quay;

/// <summary>Who issued the emulated Quay's HTTPS certificate, and what its TLS handshake sends.</summary>
public enum QuayCertificateChain
{
    /// <summary>The root CA (<see cref="QuayEmulator.CaCertificatePem"/>) itself; the handshake sends the certificate alone.</summary>
    Root,

    /// <summary>An intermediate CA under the root, which the handshake sends after the certificate, as a well-configured server does.</summary>
    IntermediateSent,

    /// <summary>An intermediate CA under the root; the handshake sends it and the root after the certificate (a "full chain" PEM).</summary>
    IntermediateAndRootSent,

    /// <summary>
    /// An intermediate CA under the root, which the handshake leaves out, as a server configured with its certificate
    /// alone does: a client verifies it only with the intermediate in its own bundle.
    /// </summary>
    IntermediateNotSent,
}
