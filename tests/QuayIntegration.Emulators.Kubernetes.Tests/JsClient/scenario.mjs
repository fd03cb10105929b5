// The official JavaScript Kubernetes client (@kubernetes/client-node 1.x) against the emulated API server, through
// the kubeconfig in KUBECONFIG: list, an informer whose first watch gets a 410 ERROR (the C# test injects it) and
// must relist, merge/JSON/strategic patches, a CRD and a custom object, a 409 on a stale update, and a Lease with
// MicroTimes. Prints one "ok <step>" line per step; any failure exits non-zero with the reason.
import * as k8s from '@kubernetes/client-node';

const ns = process.env.SCENARIO_NAMESPACE;
const kc = new k8s.KubeConfig();
kc.loadFromDefault();
const core = kc.makeApiClient(k8s.CoreV1Api);
const coordination = kc.makeApiClient(k8s.CoordinationV1Api);
const extensions = kc.makeApiClient(k8s.ApiextensionsV1Api);
const custom = kc.makeApiClient(k8s.CustomObjectsApi);

function check(condition, what) {
  if (!condition) throw new Error(`check failed: ${what}`);
}
const ok = (step) => console.log(`ok ${step}`);
const patchAs = (type) => k8s.setHeaderOptions('Content-Type', type);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually(what, probe, ms = 15000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function main() {
  const namespaces = await core.listNamespace();
  check(namespaces.items.some((n) => n.metadata.name === 'default'), 'default namespace listed');
  check(namespaces.metadata.resourceVersion, 'list carries a resourceVersion');
  ok('list');

  await core.createNamespace({ body: { metadata: { name: ns } } });
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'first' }, data: { a: '1' } } });

  // Informer: the test made the next configmaps watch expire (410 ERROR event); the informer must relist and go on.
  const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/configmaps`, () => core.listNamespacedConfigMap({ namespace: ns }));
  const seen = new Set();
  const errors = [];
  informer.on('add', (obj) => seen.add(obj.metadata.name));
  informer.on('error', (e) => errors.push(String(e?.message ?? e)));
  await informer.start();
  await eventually('the informer to list "first"', () => seen.has('first'));
  await sleep(500); // the first watch is expired now and the informer relists
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'second' } } });
  await eventually('the informer to see "second" after the 410', () => seen.has('second'));
  check(errors.length === 0, `a 410 is not an informer error (got: ${errors.join('; ')})`);
  await informer.stop();
  ok('informer-410');

  const merged = await core.patchNamespacedConfigMap({ name: 'first', namespace: ns, body: { data: { b: '2' } } }, patchAs(k8s.PatchStrategy.MergePatch));
  check(merged.data.a === '1' && merged.data.b === '2', 'merge patch merged data');
  const jsonPatched = await core.patchNamespacedConfigMap({ name: 'first', namespace: ns, body: [{ op: 'remove', path: '/data/a' }] }, patchAs(k8s.PatchStrategy.JsonPatch));
  check(jsonPatched.data.a === undefined && jsonPatched.data.b === '2', 'json patch removed a');
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'robot' }, secrets: [{ name: 's1' }] } });
  const strategic = await core.patchNamespacedServiceAccount({ name: 'robot', namespace: ns, body: { secrets: [{ name: 's2' }] } }, patchAs(k8s.PatchStrategy.StrategicMergePatch));
  check(strategic.secrets.map((s) => s.name).join(',') === 's1,s2', 'strategic merge merged secrets by name');
  ok('patches');

  const group = 'js.example.com';
  await extensions.createCustomResourceDefinition({
    body: {
      metadata: { name: `widgets.${group}` },
      spec: {
        group, scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [{
          name: 'v1', served: true, storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
        }],
      },
    },
  });
  await eventually('the widgets resource to be served', async () => {
    try { await custom.listNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural: 'widgets' }); return true; } catch { return false; }
  });
  await custom.createNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural: 'widgets', body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w' }, spec: { size: 3 } } });
  const widget = await custom.getNamespacedCustomObject({ group, version: 'v1', namespace: ns, plural: 'widgets', name: 'w' });
  check(widget.spec.size === 3 && widget.metadata.generation === 1, 'custom object read back');
  ok('crd');

  const stale = await core.readNamespacedConfigMap({ name: 'second', namespace: ns });
  await core.replaceNamespacedConfigMap({ name: 'second', namespace: ns, body: { ...stale, data: { v: 'new' } } });
  try {
    await core.replaceNamespacedConfigMap({ name: 'second', namespace: ns, body: { ...stale, data: { v: 'lost' } } });
    throw new Error('a stale update was accepted');
  } catch (e) {
    check(e.code === 409, `stale update is 409 (got ${e.code})`);
    check(JSON.parse(e.body).reason === 'Conflict', 'the Status says Conflict');
  }
  ok('conflict');

  const now = new k8s.V1MicroTime();
  const lease = await coordination.createNamespacedLease({
    namespace: ns,
    body: { metadata: { name: 'leader' }, spec: { holderIdentity: 'js', leaseDurationSeconds: 15, acquireTime: now, renewTime: now } },
  });
  check(lease.spec.holderIdentity === 'js', 'lease holder');
  const renewed = await coordination.replaceNamespacedLease({
    name: 'leader', namespace: ns,
    body: { ...lease, spec: { ...lease.spec, renewTime: new k8s.V1MicroTime(), leaseTransitions: 1 } },
  });
  check(renewed.spec.leaseTransitions === 1, 'lease renewed');
  check(!Number.isNaN(new Date(renewed.spec.renewTime).getTime()), 'renewTime read back as a time');
  ok('lease');
}

main().then(() => console.log('scenario complete'), (e) => {
  console.error(`scenario failed: ${e.stack ?? e}`);
  if (e.body) console.error(`body: ${e.body}`);
  process.exit(1);
});
