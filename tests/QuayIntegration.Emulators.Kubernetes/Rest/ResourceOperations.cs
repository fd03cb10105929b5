using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Machinery;
using QuayIntegration.Emulators.Kubernetes.Machinery.Typing;
using QuayIntegration.Emulators.Kubernetes.Patch;
using QuayIntegration.Emulators.Kubernetes.Patch.Apply;

namespace QuayIntegration.Emulators.Kubernetes.Rest;

/// <summary>
/// The generic create/update/patch/delete flows for stored resources (the equivalent of apiserver's generic registry
/// store): server-owned metadata, admission, validation, preconditions, finalizers and dry-run.
/// </summary>
public static class ResourceOperations
{
    private static readonly string[] ServerOwnedMetadata = ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "selfLink"];

    public static ApiResult Get(RequestContext ctx)
    {
        var obj = ctx.Server.Store.Get(ctx.Type.StorageKey, ctx.Namespace, ctx.Name!) ?? throw ctx.Type.NotFound(ctx.Name!);
        return new ApiResult(200, ctx.Type.Strategy.FromStorage(obj, ctx.Type));
    }

    /// <param name="applied">The object comes from server-side apply and already carries its managedFields.</param>
    public static async Task<ApiResult> CreateAsync(RequestContext ctx, JsonObject body, bool applied = false)
    {
        var type = ctx.Type;
        type.Strategy.CheckCreatable(ctx);
        var obj = NormalizeIncoming(ctx, body);
        var meta = obj.Metadata();
        if (type.Namespaced)
        {
            var bodyNs = meta.Str("namespace");
            if (!string.IsNullOrEmpty(bodyNs) && bodyNs != ctx.Namespace)
                throw Errors.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
            meta["namespace"] = ctx.Namespace;
        }
        else meta.Remove("namespace");
        if (!string.IsNullOrEmpty(meta.Str("resourceVersion")))
            throw Errors.Internal("resourceVersion should not be set on objects to be created");
        meta.Remove("resourceVersion");
        foreach (var field in ServerOwnedMetadata) meta.Remove(field);
        var name = meta.Str("name");
        var generateName = meta.Str("generateName");
        if (string.IsNullOrEmpty(name) && string.IsNullOrEmpty(generateName))
            throw type.Invalid("", [FieldError.Required("metadata.name", "name or generateName is required")]);

        if (type.Namespaced) NamespaceGuard.EnsureAcceptsNewContent(ctx.Server, ctx.Namespace!, type, string.IsNullOrEmpty(name) ? generateName : name);
        PrepareForCreate(obj);
        // handlers/create.go: the field manager records the creator before admission (webhook changes are no one's).
        if (!applied) FieldManager.RecordUpdate(ctx, null, obj);
        obj = await ctx.Server.Admission.AdmitAsync(ctx, "CREATE", obj, null);
        // Re-default after mutation, as the apiserver decodes (and defaults) webhook-patched objects again.
        PrepareForCreate(obj);
        meta = obj.Metadata();

        // Names from generateName are chosen after admission, as in apiserver (webhooks see an empty name).
        if (string.IsNullOrEmpty(meta.Str("name"))) meta["name"] = NameRules.Generate(meta.Str("generateName") ?? "");
        name = meta.Str("name")!;
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Json.Now();
        if (type.Strategy.TracksGeneration) meta["generation"] = 1;
        // registry/store.go: the strategy's validation (BeforeCreate), then the validating admission plugins.
        Validate(ctx, obj, null);
        type.Strategy.Admit(obj, null, ctx);
        type.Strategy.Decorate(obj, ctx);
        // registry/dryrun.go: a dry run still meets an existing object of the name (409 AlreadyExists), as the create would.
        if (ctx.DryRun)
            return ctx.Server.Store.Get(type.StorageKey, ctx.Namespace, name) is null ? new ApiResult(201, obj) : throw type.AlreadyExists(name);

        // Checked again under the store's lock, so that no create lands after a deletion that empties what it goes into
        // (a namespace, a CustomResourceDefinition) has checked it was empty.
        var stored = type.Strategy.FromStorage(ctx.Server.Store.Create(type.StorageKey, ctx.Namespace, name, type.Strategy.ToStorage(obj), () => type.AlreadyExists(name),
            () =>
            {
                if (type.Namespaced) NamespaceGuard.EnsureAcceptsNewContent(ctx.Server, ctx.Namespace!, type, name);
                type.Strategy.CheckCreatable(ctx);
            }), type);
        await type.Strategy.AfterCreateAsync(stored, ctx);
        return new ApiResult(201, stored);

        void PrepareForCreate(JsonObject o)
        {
            type.Strategy.PrepareForCreate(o, ctx);
            // Custom resources with a status subresource start without status; compiled-in types decide in their strategy.
            if (type.Strategy.HasStatusSubresource && !type.BuiltIn) o.Remove("status");
        }
    }

    /// <summary>PUT: replaces the object (or only its status for <c>/status</c>), guarded by the resourceVersion.</summary>
    public static Task<ApiResult> UpdateAsync(RequestContext ctx, JsonObject body)
    {
        var incoming = NormalizeIncoming(ctx, body);
        var bodyName = incoming.At("metadata", "name").AsString();
        if (!string.IsNullOrEmpty(bodyName) && bodyName != ctx.Name)
            throw Errors.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({ctx.Name})");
        incoming.Metadata()["name"] = ctx.Name;
        var bodyVersion = incoming.At("metadata", "resourceVersion").AsString();
        // A subresource's strategy inherits AllowUnconditionalUpdate from its resource's (customresource/status_strategy.go).
        if (string.IsNullOrEmpty(bodyVersion) && ctx.Type.Strategy.RequiresResourceVersionOnUpdate)
            throw ctx.Type.Invalid(ctx.Name!, [FieldError.InvalidRendered("metadata.resourceVersion", "0x0", "must be specified for an update")]);
        // The body's uid is a precondition on the stored object (defaultUpdatedObjectInfo.Preconditions): a PUT computed
        // from an object since deleted and created again under the same name is refused, not applied to the new one.
        var bodyUid = incoming.At("metadata", "uid").AsString();
        return WriteAsync(ctx, _ => incoming.Clone(), string.IsNullOrEmpty(bodyVersion) ? null : bodyVersion,
            uidPrecondition: string.IsNullOrEmpty(bodyUid) ? null : bodyUid);
    }

    public static Task<ApiResult> PatchAsync(RequestContext ctx, string contentType, string body)
    {
        var patch = PatchDocument.Parse(contentType, body, ctx);
        var manager = ctx.Query("fieldManager") ?? "";
        var force = ctx.Query("force") is "true" or "1";
        if (patch.IsApply && ctx.Server.Store.Get(ctx.Type.StorageKey, ctx.Namespace, ctx.Name!) is null && ctx.Subresource is null)
        {
            // Server-side apply creates a missing object.
            var created = FieldManager.Apply(ctx, null, NormalizeIncoming(ctx, patch.ApplyToMissing(ctx.Name!, ctx.Type)), manager, force);
            return CreateAsync(ctx, created, applied: true);
        }
        return WriteAsync(ctx, current =>
        {
            var patched = patch.IsApply ? FieldManager.Apply(ctx, current, patch.AppliedConfiguration, manager, force) : patch.Apply(current, ctx.Type);
            var version = patched.At("metadata", "resourceVersion").AsString();
            // A resourceVersion in the patch is a precondition on the stored version.
            if (!string.IsNullOrEmpty(version) && version != current.At("metadata", "resourceVersion").AsString())
                throw ctx.Type.Conflict(ctx.Name!);
            var name = patched.At("metadata", "name").AsString();
            if (name != ctx.Name) throw Errors.BadRequest($"the name of the object ({name}) does not match the name on the URL ({ctx.Name})");
            return NormalizeIncoming(ctx, patched, isPatchResult: true, patch.DescribeForDecodeError(patched));
        }, null, applied: patch.IsApply);
    }

    /// <summary>
    /// Read-modify-write loop shared by PUT and PATCH. Without a client precondition a concurrent write makes it retry
    /// against the new state; with one, a mismatch is 409.
    /// </summary>
    /// <param name="applied">The produced object comes from server-side apply and already carries its managedFields.</param>
    /// <param name="uidPrecondition">A PUT body's uid, checked against the stored object's before anything else (409).</param>
    public static async Task<ApiResult> WriteAsync(RequestContext ctx, Func<JsonObject, JsonObject> produce, string? clientVersion, bool applied = false,
        string? uidPrecondition = null)
    {
        var type = ctx.Type;
        for (var attempt = 0; ; attempt++)
        {
            var current = type.Strategy.FromStorage(ctx.Server.Store.Get(type.StorageKey, ctx.Namespace, ctx.Name!) ?? throw type.NotFound(ctx.Name!), type);
            var currentVersion = current.At("metadata", "resourceVersion").AsString()!;
            if (uidPrecondition is not null && uidPrecondition != current.At("metadata", "uid").AsString())
                throw UidPreconditionFailed(ctx, uidPrecondition, current);
            if (clientVersion is not null && clientVersion != currentVersion) throw type.Conflict(ctx.Name!);
            var requested = produce(current.Clone());
            // A subresource's strategy starts from the stored object (status_strategy.go), so only its uid precondition applies.
            var immutable = ctx.Subresource is null ? ImmutableMetadataChanges(requested, current) : [];
            var obj = ctx.Subresource == "status" ? WithStatusOnly(current, requested) : requested;
            if (ctx.Subresource is not null) type.Strategy.PrepareForSubresourceUpdate(obj, current, ctx);
            CarryServerOwnedMetadata(obj, current);
            if (ctx.Subresource is null)
            {
                if (type.Strategy.HasStatusSubresource) Restore(obj, current, "status");
                type.Strategy.PrepareForUpdate(obj, current, ctx);
            }
            CheckFinalizersWhileDeleting(ctx, obj, current);
            // handlers/update.go and patch.go: the field manager records the writer before admission.
            if (!applied) FieldManager.RecordUpdate(ctx, current, obj);
            if (!Json.DeepEquals(obj, current) || ctx.Server.Admission.HasWebhooks)
            {
                obj = await ctx.Server.Admission.AdmitAsync(ctx, "UPDATE", obj, current);
                if (ctx.Subresource is null)
                {
                    // Re-default after mutation; status and other server-kept parts cannot be changed by a webhook either.
                    if (type.Strategy.HasStatusSubresource) Restore(obj, current, "status");
                    type.Strategy.PrepareForUpdate(obj, current, ctx);
                }
            }
            CarryServerOwnedMetadata(obj, current);
            Validate(ctx, obj, current, immutable);
            type.Strategy.Admit(obj, current, ctx);
            if (type.Strategy.TracksGeneration && ctx.Subresource is null && type.Strategy.SpecChanged(obj, current))
                obj.Metadata()["generation"] = (current.At("metadata").Long("generation") ?? 1) + 1;
            type.Strategy.Decorate(obj, ctx);
            obj.Metadata()["resourceVersion"] = currentVersion;
            if (ctx.DryRun) return new ApiResult(200, obj);

            if (obj["metadata"]?["deletionTimestamp"] is not null && !type.Strategy.HasPendingFinalizers(obj))
            {
                // The write that removes the last finalizer deletes the object instead of storing it (one DELETED event).
                var last = Converted(type, ctx.Server.Store.Delete(type.StorageKey, ctx.Namespace, ctx.Name!, currentVersion, () => type.NotFound(ctx.Name!)));
                if (last is null)
                {
                    if (clientVersion is not null || attempt > 20) throw type.Conflict(ctx.Name!);
                    continue;
                }
                await type.Strategy.AfterDeleteAsync(last, ctx);
                // registry/store.go deleteWithoutFinalizers: "clients are expecting an updated object if a PUT
                // succeeded", so the answer is the object as the write made it (no finalizers), not the stored one.
                return new ApiResult(200, obj);
            }
            var stored = Converted(type, ctx.Server.Store.Update(type.StorageKey, ctx.Namespace, ctx.Name!, type.Strategy.ToStorage(obj), currentVersion, () => type.NotFound(ctx.Name!)));
            if (stored is null)
            {
                if (clientVersion is not null || attempt > 20) throw type.Conflict(ctx.Name!);
                continue;
            }
            await type.Strategy.AfterUpdateAsync(stored, current, ctx);
            return new ApiResult(200, stored);
        }
    }

    public static async Task<ApiResult> DeleteAsync(RequestContext ctx, JsonObject? options)
    {
        var type = ctx.Type;
        var dryRun = options is null ? ctx.DryRun : DryRunOf(options);
        for (var attempt = 0; ; attempt++)
        {
            var current = type.Strategy.FromStorage(ctx.Server.Store.Get(type.StorageKey, ctx.Namespace, ctx.Name!) ?? throw type.NotFound(ctx.Name!), type);
            CheckPreconditions(ctx, options, current);
            type.Strategy.CheckDeletable(current);
            if (ctx.Server.Admission.HasWebhooks) await ctx.Server.Admission.AdmitAsync(ctx, "DELETE", null, current);
            var currentVersion = current.At("metadata", "resourceVersion").AsString()!;

            var marked = current.Clone();
            AddPropagationFinalizer(marked, options, ctx);
            if (type.Strategy.HasPendingFinalizers(marked))
            {
                if (current["metadata"]?["deletionTimestamp"] is not null && Json.DeepEquals(marked, current)) return new ApiResult(200, current);
                var meta = marked.Metadata();
                if (meta["deletionTimestamp"] is null)
                {
                    // markAsDeleting (registry/generic/registry/store.go): the first mark bumps a generation the object
                    // keeps, so a controller's observedGeneration lags behind until it has seen the deletion.
                    if (meta.Long("generation") is > 0 and var generation) meta["generation"] = generation + 1;
                    meta["deletionTimestamp"] = Json.Now();
                    meta["deletionGracePeriodSeconds"] = 0;
                    type.Strategy.OnDeletionRequested(marked);
                }
                if (dryRun) return new ApiResult(200, marked);
                var stored = Converted(type, ctx.Server.Store.Update(type.StorageKey, ctx.Namespace, ctx.Name!, type.Strategy.ToStorage(marked), currentVersion, () => type.NotFound(ctx.Name!)));
                if (stored is null) { if (attempt > 20) throw type.Conflict(ctx.Name!); continue; }
                await type.Strategy.AfterDeletionRequestedAsync(stored, ctx);
                return new ApiResult(200, stored);
            }
            if (dryRun) return new ApiResult(200, SuccessStatus(ctx, current));
            var last = Converted(type, ctx.Server.Store.Delete(type.StorageKey, ctx.Namespace, ctx.Name!, currentVersion, () => type.NotFound(ctx.Name!)));
            if (last is null) { if (attempt > 20) throw type.Conflict(ctx.Name!); continue; }
            await type.Strategy.AfterDeleteAsync(last, ctx);
            return new ApiResult(200, SuccessStatus(ctx, last));
        }
    }

    public static async Task<ApiResult> DeleteCollectionAsync(RequestContext ctx, JsonObject? options)
    {
        var items = ListQuery.Filter(ctx, ctx.Server.Store.List(ctx.Type.StorageKey, ctx.Namespace).Items.Select(o => ctx.Type.Strategy.FromStorage(o, ctx.Type)));
        var deleted = new List<JsonObject>();
        foreach (var item in items)
        {
            var name = item.At("metadata", "name").AsString()!;
            try
            {
                await DeleteAsync(ctx.For(ctx.Type, "delete", ctx.Namespace, name), options);
                deleted.Add(item);
            }
            catch (ApiException e) when (e.Code == 404) { } // deleted concurrently
        }
        return ListQuery.Answer(ctx.Type, deleted, ctx.Server.Store.CurrentRevision.ToString(), null, null);
    }

    /// <summary>A stored object (or null, for a failed precondition) as this resource reads it.</summary>
    private static JsonObject? Converted(ResourceType type, JsonObject? stored) => stored is null ? null : type.Strategy.FromStorage(stored, type);

    private static JsonObject SuccessStatus(RequestContext ctx, JsonObject obj)
    {
        var details = new JsonObject { ["name"] = obj.At("metadata", "name").AsString() };
        if (ctx.Type.Group.Length > 0) details["group"] = ctx.Type.Group;
        details["kind"] = ctx.Type.Plural;
        details["uid"] = obj.At("metadata", "uid").AsString();
        return StatusBuilder.Success(details);
    }

    private static void CheckPreconditions(RequestContext ctx, JsonObject? options, JsonObject current)
    {
        if (options?["preconditions"] is not JsonObject pre) return;
        var meta = current.Metadata();
        if (pre.Str("uid") is { Length: > 0 } uid && uid != meta.Str("uid"))
            throw Errors.Conflict(ctx.Type.QualifiedResource, ctx.Name!, ctx.Type.Group, ctx.Type.Plural,
                $"Precondition failed: UID in precondition: {uid}, UID in object meta: {meta.Str("uid")}");
        if (pre.Str("resourceVersion") is { Length: > 0 } rv && rv != meta.Str("resourceVersion"))
            throw Errors.Conflict(ctx.Type.QualifiedResource, ctx.Name!, ctx.Type.Group, ctx.Type.Plural,
                $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {meta.Str("resourceVersion")}");
    }

    /// <summary>
    /// A DELETE's options come from its body when it has one, the query then ignored, else from the query
    /// (handlers/delete.go); kubectl sends them in the body, <c>dryRun</c> included.
    /// </summary>
    private static bool DryRunOf(JsonObject options) => options["dryRun"] switch
    {
        null => false,
        JsonArray { Count: 0 } => false,
        JsonArray list when list.StringList().All(v => v == "All") => true,
        var other => throw Errors.BadRequest($"Invalid dry run value: {other.ToJsonString()}: supported values: \"All\""),
    };

    /// <summary>Foreground and Orphan propagation keep the object behind a finalizer; Background (kubectl's default) adds none.</summary>
    private static void AddPropagationFinalizer(JsonObject obj, JsonObject? options, RequestContext ctx)
    {
        var policy = options is null ? ctx.Query("propagationPolicy") : options.Str("propagationPolicy");
        if (options?["orphanDependents"] is JsonValue orphan && orphan.TryGetValue<bool>(out var o) && o) policy ??= "Orphan";
        var finalizer = policy switch
        {
            "Foreground" => "foregroundDeletion",
            "Orphan" => "orphan",
            null or "" or "Background" => null,
            _ => throw Errors.BadRequest($"DeleteOptions.PropagationPolicy: Unsupported value: \"{policy}\": supported values: \"Foreground\", \"Background\", \"Orphan\""),
        };
        if (finalizer is null) return;
        var meta = obj.Metadata();
        if (meta["finalizers"] is not JsonArray list) meta["finalizers"] = list = [];
        if (!list.StringList().Contains(finalizer)) list.Add(finalizer);
    }

    private static JsonObject WithStatusOnly(JsonObject current, JsonObject requested)
    {
        var obj = current.Clone();
        if (requested["status"] is { } status) obj["status"] = status.DeepClone();
        else obj.Remove("status");
        return obj;
    }

    private static void Restore(JsonObject obj, JsonObject current, string member)
    {
        if (current[member] is { } value) obj[member] = value.DeepClone();
        else obj.Remove(member);
    }

    /// <summary>
    /// What an update asked to change of the metadata the server owns and that rest.BeforeUpdate does not quietly put
    /// back: a uid other than the stored one, or a deletionTimestamp on an object not being deleted (ValidateObjectMetaUpdate:
    /// "field is immutable"). A uid left out, a changed creationTimestamp or generation, and a deletionTimestamp changed or
    /// removed on an object being deleted are restored silently, as there.
    /// </summary>
    private static List<FieldError> ImmutableMetadataChanges(JsonObject requested, JsonObject current)
    {
        var errors = new List<FieldError>();
        var uid = requested.At("metadata", "uid").AsString();
        if (!string.IsNullOrEmpty(uid) && uid != current.At("metadata", "uid").AsString())
            errors.Add(FieldError.Invalid("metadata.uid", JsonValue.Create(uid), "field is immutable"));
        if (current.At("metadata", "deletionTimestamp") is null && requested.At("metadata", "deletionTimestamp").AsString() is { Length: > 0 } marked)
            errors.Add(FieldError.InvalidRendered("metadata.deletionTimestamp", GoTime(marked), "field is immutable"));
        return errors;
    }

    /// <summary>A timestamp as Go's <c>time.Time.String()</c> prints it in a field error (<c>2026-12-05 01:02:03 +0000 UTC</c>).</summary>
    private static string GoTime(string rfc3339) =>
        DateTimeOffset.TryParse(rfc3339, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AdjustToUniversal, out var t)
            ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture) + " +0000 UTC"
            : rfc3339;

    /// <summary>The storage layer's refusal of a uid precondition, as InterpretUpdateError turns it into a 409.</summary>
    private static ApiException UidPreconditionFailed(RequestContext ctx, string uid, JsonObject current) =>
        Errors.Conflict(ctx.Type.QualifiedResource, ctx.Name!, ctx.Type.Group, ctx.Type.Plural,
            $"StorageError: invalid object, Code: 4, Key: {StorageKeyOf(ctx)}, ResourceVersion: 0, AdditionalErrorMsg: " +
            $"Precondition failed: UID in precondition: {uid}, UID in object meta: {current.At("metadata", "uid").AsString()}");

    /// <summary>The etcd key the message names: /registry/[group/]resource/[namespace/]name (as the default key functions build it).</summary>
    private static string StorageKeyOf(RequestContext ctx) =>
        "/registry/" + (ctx.Type.BuiltIn ? "" : ctx.Type.Group + "/") + ctx.Type.Plural + "/" + (ctx.Namespace is null ? "" : ctx.Namespace + "/") + ctx.Name;

    private static void CarryServerOwnedMetadata(JsonObject obj, JsonObject current)
    {
        var meta = obj.Metadata();
        var old = current.Metadata();
        foreach (var field in ServerOwnedMetadata)
        {
            if (old[field] is { } v) meta[field] = v.DeepClone();
            else meta.Remove(field);
        }
        meta["name"] = old.Str("name");
        if (old["namespace"] is { } ns) meta["namespace"] = ns.DeepClone(); else meta.Remove("namespace");
        obj["kind"] = current["kind"]?.DeepClone();
        obj["apiVersion"] = current["apiVersion"]?.DeepClone();
    }

    private static void CheckFinalizersWhileDeleting(RequestContext ctx, JsonObject obj, JsonObject current)
    {
        if (current["metadata"]?["deletionTimestamp"] is null) return;
        var before = current.At("metadata", "finalizers").StringList();
        var added = obj.At("metadata", "finalizers").StringList().Except(before).ToList();
        if (added.Count > 0)
            throw ctx.Type.Invalid(ctx.Name!, [FieldError.Forbidden("metadata.finalizers", "no new finalizers can be added if the object is being deleted, found new finalizers []string{" + string.Join(", ", added.Select(a => $"\"{a}\"")) + "}")]);
    }

    /// <summary>
    /// Sets kind/apiVersion, checks they match the URL, decodes compiled-in types into their Go types (wrong JSON types
    /// refused, times normalised: <see cref="TypedDecoder"/>), and drops unknown fields per fieldValidation.
    /// </summary>
    public static JsonObject NormalizeIncoming(RequestContext ctx, JsonObject body, bool isPatchResult = false, string? patchForErrors = null)
    {
        var type = ctx.Type;
        var obj = body.Clone();
        var apiVersion = obj.Str("apiVersion");
        var kind = obj.Str("kind");
        if (!isPatchResult && ctx.Subresource is null)
        {
            if (!string.IsNullOrEmpty(apiVersion) && apiVersion != type.GroupVersion)
                throw Errors.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.GroupVersion})");
            if (!string.IsNullOrEmpty(kind) && kind != type.Kind)
                throw Errors.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({type.Kind})");
        }
        obj["apiVersion"] = type.GroupVersion;
        obj["kind"] = type.Kind;
        if (obj["metadata"] is not null and not JsonObject) throw Errors.BadRequest("metadata must be an object");
        if (Resources.BuiltInGoTypeLookup.For(type) is { } goType)
        {
            try
            {
                TypedDecoder.Decode(obj, goType);
            }
            catch (GoDecodeException e)
            {
                throw isPatchResult ? PatchDecodeError(patchForErrors ?? body.ToCompactJson(), e.Message)
                    // k8s.io/apiserver/pkg/endpoints/handlers/create.go transformDecodeError.
                    : Errors.BadRequest($"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: {e.Message}");
            }
        }
        var unknown = new List<string>();
        type.Strategy.PruneUnknownFields(obj, unknown);
        if (unknown.Count > 0)
        {
            switch (ctx.FieldValidation)
            {
                case "Strict":
                    var strict = "strict decoding error: " + string.Join(", ", unknown.Select(u => $"unknown field \"{u}\""));
                    // A create's or an update's decoding error goes through transformDecodeError (handlers/create.go,
                    // update.go), as a type error does above; a patch's is the strict error alone.
                    throw Errors.BadRequest(isPatchResult ? strict : $"{type.Kind} in version \"{type.Version}\" cannot be handled as a {type.Kind}: {strict}");
                case "Warn":
                    ctx.Warnings.AddRange(unknown.Select(u => $"unknown field \"{u}\""));
                    break;
            }
        }
        return obj;
    }

    /// <summary>
    /// handlers/patch.go: a patched object that does not decode is 422 with an empty kind and name and one cause on
    /// the field <c>patch</c>, whose value is the patched JSON (JSON/merge patch) or the patch map (strategic).
    /// </summary>
    private static ApiException PatchDecodeError(string value, string detail)
    {
        var quoted = "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
        var cause = $"Invalid value: {quoted}: {detail}";
        return new ApiException(422, "Invalid", $" \"\" is invalid: patch: {cause}", new JsonObject
        {
            ["causes"] = new JsonArray(new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = cause, ["field"] = "patch" }),
        });
    }

    /// <param name="immutable">Changes to server-owned metadata the request asked for, reported first as validateCommonFields does.</param>
    private static void Validate(RequestContext ctx, JsonObject obj, JsonObject? old, IReadOnlyList<FieldError>? immutable = null)
    {
        var errors = new List<FieldError>(immutable ?? []);
        var meta = obj.Metadata();
        var name = meta.Str("name") ?? "";
        if (old is null && ctx.Type.Strategy.ValidateName(name) is { } nameProblem)
            errors.Add(FieldError.Invalid("metadata.name", JsonValue.Create(name), nameProblem));
        foreach (var (key, value) in meta["labels"].StringMap())
        {
            if (!NameRules.IsQualifiedName(key)) errors.Add(FieldError.Invalid("metadata.labels", JsonValue.Create(key), "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
            if (!NameRules.IsLabelValue(value)) errors.Add(FieldError.Invalid($"metadata.labels", JsonValue.Create(value), "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
        }
        foreach (var key in meta["annotations"].StringMap().Keys)
            if (!NameRules.IsQualifiedName(key)) errors.Add(FieldError.Invalid("metadata.annotations", JsonValue.Create(key), "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
        if (old is null) ctx.Type.Strategy.Validate(obj, errors, ctx);
        else
        {
            ctx.Type.Strategy.Validate(obj, errors, ctx);
            ctx.Type.Strategy.ValidateUpdate(obj, old, errors, ctx);
        }
        if (errors.Count > 0) throw ctx.Type.Invalid(name, errors);
    }
}
