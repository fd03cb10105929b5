namespace QuayIntegration.Emulators.Kubernetes.Machinery.Typing;

/// <summary>
/// The Go type a JSON field of a compiled-in API type decodes into, as far as decoding can fail or normalise:
/// scalars (with their Go names for messages), metav1.Time and metav1.MicroTime, base64 []byte, intstr.IntOrString,
/// maps, slices and structs (with their Go struct names, which encoding/json's errors quote). <see cref="Any"/> is
/// not checked (e.g. resource.Quantity, RawExtension, or parts this server does not model).
/// </summary>
public abstract record GoType(string Name)
{
    public sealed record Scalar(string GoName, ScalarKind Kind) : GoType(GoName);
    public sealed record Timestamp(bool Micro) : GoType(Micro ? "v1.MicroTime" : "v1.Time");
    public sealed record Bytes() : GoType("[]uint8");
    public sealed record IntOrString() : GoType("intstr.IntOrString");
    public sealed record MapOf(GoType Value) : GoType($"map[string]{Value.Name}");
    public sealed record SliceOf(GoType Item) : GoType($"[]{Item.Name}");
    public sealed record Struct(string StructName, IReadOnlyDictionary<string, GoType> Fields) : GoType(StructName);
    public sealed record Unchecked() : GoType("interface {}");

    public static readonly GoType GoString = new Scalar("string", ScalarKind.String);
    public static readonly GoType GoBool = new Scalar("bool", ScalarKind.Bool);
    public static readonly GoType GoInt32 = new Scalar("int32", ScalarKind.Int32);
    public static readonly GoType GoInt64 = new Scalar("int64", ScalarKind.Int64);
    public static readonly GoType Time = new Timestamp(false);
    public static readonly GoType MicroTime = new Timestamp(true);
    public static readonly GoType ByteSlice = new Bytes();
    public static readonly GoType IntOrStr = new IntOrString();
    public static readonly GoType Any = new Unchecked();
    public static readonly GoType StringMap = new MapOf(GoString);
    public static readonly GoType StringSlice = new SliceOf(GoString);

    public static Struct Of(string name, params (string Field, GoType Type)[] fields) =>
        new(name, fields.ToDictionary(f => f.Field, f => f.Type));
}

public enum ScalarKind { String, Bool, Int32, Int64 }
