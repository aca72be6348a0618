import { beforeAll, describe, expect, it } from 'vitest';
import { readAdmissionReview } from '../../support/fixtures.js';
import { useLocalMode } from '../../support/local-mode.js';

// Exec, attach and port-forward reviews carry no labels or images: the webhook judges them by what pod
// admissions taught it. A request the cluster never applied must not narrow what an exec is judged by
// (docs/adr/0008). Each sequence replays the shared bodies over HTTP against local mode (the real handler
// on DynamoDB Local), in the order an attacker would send them, and then execs into the unchanged pod.

const vigil = useLocalMode({ configRecheckMs: 0 });

/** Both exec guards the unchanged pod `default/static-web` (label role=myrole, image nginx) is in scope of. */
const GUARDS = 'image-exec-guard,label-exec-guard';

let webhook = '';
let nextCluster = 0;

function body(file: string, patch: (request: any) => void = () => undefined): any {
  const review = readAdmissionReview(file);
  review.request.uid = crypto.randomUUID();
  patch(review.request);
  return review;
}

const createStaticWeb = () => body('bodies/pod-create-v1-static-web-custodian.json');
const execEcho = () => body('sequences/exec-echo-into-static-web.json');

/** Sends a review to a fresh cluster's webhook (each sequence starts from a pod memory of its own). */
async function send(review: unknown): Promise<Record<string, any>> {
  const answer = await vigil.post(webhook, review);
  expect(answer.status).toBe(200);
  return answer.body.response as Record<string, any>;
}

async function freshCluster(): Promise<void> {
  const registered = await vigil.api('POST', '/v1/clusters', { name: `seq-${nextCluster++}` });
  expect(registered.status).toBe(201);
  webhook = `${registered.body.webhookUrl as string}?timeout=10s`;
}

/** The exec into the unchanged pod is refused by both guards. */
async function expectExecJudgedByBothGuards(): Promise<void> {
  const answer = await send(execEcho());
  expect(answer).toMatchObject({ allowed: false, status: { code: 403 }, auditAnnotations: { status: 'Block', policy: GUARDS } });
}

beforeAll(async () => {
  const group = (await vigil.api('GET', '/v1/enforcer-groups/default-ke')).body;
  expect((await vigil.api('PUT', '/v1/enforcer-groups/default-ke', { ...group, enforce: true })).status).toBe(200);
  const guard = (name: string, variable: Record<string, string>, controls: Record<string, unknown>) =>
    vigil.api('POST', '/v1/policies', {
      name,
      type: 'container',
      enforcementMode: 'enforce',
      scope: { applicationScopes: ['Global'], expression: 'v1', variables: [variable] },
      controls,
    });
  const blockExec = { blockContainerExec: { enabled: true } };
  expect((await guard('label-exec-guard', { attribute: 'kubernetes.label', name: 'role', value: 'myrole' }, blockExec)).status).toBe(201);
  expect((await guard('image-exec-guard', { attribute: 'container.image', value: 'nginx*' }, blockExec)).status).toBe(201);
  // Refuses the image update of the sequences: Vigil itself denies it, so the cluster never applies it.
  const registries = { allowedRegistries: { enabled: true, registries: ['docker.io'] } };
  expect((await guard('registry-guard', { attribute: 'kubernetes.namespace', value: 'default' }, registries)).status).toBe(201);
}, 60_000);

describe('requests the cluster did not apply never narrow what an exec into the pod is judged by', () => {
  it('judges the exec by the label and the image of the created pod (the baseline)', async () => {
    await freshCluster();
    expect(await send(createStaticWeb())).toMatchObject({ allowed: true });
    await expectExecJudgedByBothGuards();
  });

  it('an UPDATE that Vigil denied (image to gcr.io) does not replace the image', async () => {
    await freshCluster();
    await send(createStaticWeb());
    const update = await send(body('sequences/update-static-web-image-to-gcr.json'));
    expect(update).toMatchObject({ allowed: false, auditAnnotations: { policy: 'registry-guard' } });
    await expectExecJudgedByBothGuards();
  });

  it('a dry-run UPDATE teaches nothing', async () => {
    await freshCluster();
    await send(createStaticWeb());
    // The same verdict as without the dry run, and nothing recorded or learned.
    expect(await send(body('sequences/update-static-web-image-to-gcr-dryrun.json'))).toMatchObject({ allowed: false });
    await expectExecJudgedByBothGuards();
  });

  it('a second CREATE of the running pod’s name with another image (AlreadyExists later) does not replace the image', async () => {
    await freshCluster();
    await send(createStaticWeb());
    expect(await send(body('sequences/create-static-web-again-busybox.json'))).toMatchObject({ allowed: true });
    await expectExecJudgedByBothGuards();
  });

  it('a second CREATE with other labels does not replace the labels', async () => {
    await freshCluster();
    await send(createStaticWeb());
    const relabelled = body('bodies/pod-create-v1-static-web-custodian.json', (request) => {
      request.object.metadata.labels = { role: 'other' };
      request.object.spec.containers[0].image = 'busybox:1.36';
    });
    expect(await send(relabelled)).toMatchObject({ allowed: true });
    await expectExecJudgedByBothGuards();
  });

  it('an old-format kubectl debug (EphemeralContainers kind, Kubernetes 1.16-1.21) does not replace the containers', async () => {
    await freshCluster();
    await send(createStaticWeb());
    expect(await send(body('derived/ephemeralcontainers-old-api-derived.json'))).toMatchObject({ allowed: true });
    await expectExecJudgedByBothGuards();
  });

  it('a kubectl debug of Kubernetes 1.22+ (Pod shape) keeps the pod’s own containers', async () => {
    await freshCluster();
    await send(createStaticWeb());
    expect(await send(body('derived/ephemeralcontainers-debug-derived.json'))).toMatchObject({ allowed: true });
    await expectExecJudgedByBothGuards();
  });

  it('an explicitly named CREATE does not shadow what a controller-made pod of that name was admitted as', async () => {
    await freshCluster();
    // The ReplicaSet's pod is admitted by generateName; its name is known only once it runs.
    const controllerMade = body('bodies/pod-create-v1-static-web-custodian.json', (request) => {
      request.name = '';
      delete request.object.metadata.name;
      request.object.metadata.generateName = 'static-web-5d9c8b7f9-';
    });
    expect(await send(controllerMade)).toMatchObject({ allowed: true });
    const podName = 'static-web-5d9c8b7f9-x7k2p';
    const impostor = body('bodies/pod-create-v1-static-web-custodian.json', (request) => {
      request.name = podName;
      request.object.metadata.name = podName;
      request.object.metadata.labels = { role: 'other' };
      request.object.spec.containers[0].image = 'busybox:1.36';
    });
    expect(await send(impostor)).toMatchObject({ allowed: true });
    const exec = body('sequences/exec-echo-into-static-web.json', (request) => {
      request.name = podName;
    });
    expect(await send(exec)).toMatchObject({ allowed: false, auditAnnotations: { status: 'Block', policy: GUARDS } });
  });
});
