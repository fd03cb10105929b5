namespace QuayIntegration.Operator.Controllers.Namespaces;

/// <summary>
/// An object the operator would write stands where it is to go and is not the operator's (a Secret of the same name
/// someone else made): it is left as it is, and the item it belongs to fails with this message until someone moves it.
/// </summary>
public sealed class ObjectInTheWayException(string message) : Exception(message);
