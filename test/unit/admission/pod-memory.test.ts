import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  admissionContext,
  compileSnapshot,
  decide,
  decideAdmission,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  learnPod,
  parseAdmissionReview,
  podLesson,
  policySchema,
  possibleIdentities,
  type PodIdentity,
  type PodMemory,
} from '../../../layers/core/index.js';
import { readAdmissionReview } from '../../support/fixtures.js';

// The required property of docs/adr/0008: no request that the cluster did not apply can narrow the set of
// policies an exec into the pod is judged by. A simulated API server applies some of the requests the
// webhook admits (the rest fail later: AlreadyExists, a later webhook, a dry run, Vigil's own refusal);
// after every step, the exec the webhook judges from its memory must draw every violation that the pod as
// the cluster actually stores it would draw.

const group = enforcerGroupSchema.parse({ name: 'ke', type: 'kube_enforcer', enforce: true });
const guard = (name: string, expression: string, variables: unknown[], controls: Record<string, unknown>) =>
  policySchema.parse({
    name,
    type: 'container',
    enforcementMode: 'enforce',
    scope: { applicationScopes: ['Global'], expression, variables },
    controls,
  });
const blockExec = { blockContainerExec: { enabled: true } };
const snapshot = compileSnapshot({
  revision: 1,
  policies: [
    guard('role-a', 'v1', [{ attribute: 'kubernetes.label', name: 'role', value: 'a' }], blockExec),
    guard('not-role-a', '!v1', [{ attribute: 'kubernetes.label', name: 'role', value: 'a' }], blockExec),
    guard('tier-gold', 'v1', [{ attribute: 'kubernetes.label', name: 'tier', value: 'gold' }], blockExec),
    guard('nginx', 'v1', [{ attribute: 'container.image', value: 'nginx*' }], blockExec),
    guard('not-busybox', '!v1', [{ attribute: 'container.image', value: 'busybox*' }], { blockContainerAttach: { enabled: true } }),
    // Refuses pods with gcr.io images: Vigil's own refusal is one way a request is not applied.
    guard('registries', 'v1', [{ attribute: 'kubernetes.namespace', value: 'default' }], {
      allowedRegistries: { enabled: true, registries: ['docker.io'] },
    }),
  ].map((policy, i) => ({ ...policy, version: i + 1 })),
  applicationScopes: [],
  settings: enforcerSettingsSchema.parse({}),
  groups: [group],
});

interface Shape {
  readonly labels: Record<string, string>;
  readonly image: string;
}

const shapeArb: fc.Arbitrary<Shape> = fc.record({
  labels: fc.dictionary(fc.constantFrom('role', 'tier'), fc.constantFrom('a', 'b', 'gold'), { maxKeys: 2 }),
  image: fc.constantFrom('nginx', 'busybox:1.36', 'gcr.io/google-containers/pause:3.2', 'redis'),
});

type Step =
  | {
      readonly kind: 'create' | 'update' | 'debug-old' | 'debug';
      readonly shape: Shape;
      readonly dryRun: boolean;
      readonly applies: boolean;
      /** A CREATE still on its way to storage: it takes the name if the name is free within the next minute. */
      readonly late: boolean;
    }
  | { readonly kind: 'delete' }
  | { readonly kind: 'wait'; readonly seconds: number };

/** The value three times out of four: most requests are real and go through, which makes the others matter. */
const mostly = (value: boolean) => fc.integer({ min: 0, max: 3 }).map((n) => (n > 0 ? value : !value));

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc.record({
      kind: fc.constantFrom('create' as const, 'update' as const, 'debug-old' as const, 'debug' as const),
      shape: shapeArb,
      dryRun: mostly(false),
      // Whether the rest of the API server's path (later webhooks, storage) lets the request through.
      applies: mostly(true),
      late: mostly(false),
    }),
    weight: 6,
  },
  { arbitrary: fc.constant({ kind: 'delete' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('wait' as const), seconds: fc.integer({ min: 1, max: 900 }) }), weight: 2 },
);

/** The pod `default/static-web` as the cluster stores it, in the real body's shape. */
function podObject(shape: Shape, ephemeral: ReadonlyArray<{ name: string; image: string }> = []): any {
  const pod = readAdmissionReview('bodies/pod-create-v1-static-web-custodian.json').request.object;
  pod.metadata.labels = { ...shape.labels };
  pod.spec.containers[0].image = shape.image;
  if (ephemeral.length > 0) pod.spec.ephemeralContainers = ephemeral.map((c) => ({ ...c }));
  return pod;
}

function review(request: Record<string, unknown>): any {
  const base = readAdmissionReview('bodies/pod-create-v1-static-web-custodian.json');
  return { ...base, request: { ...base.request, uid: 'u', ...request } };
}

const execReview = (container: string) => {
  const exec = readAdmissionReview('sequences/exec-echo-into-static-web.json');
  exec.request.object.container = container;
  return exec;
};
const attachReview = () => {
  const attach = readAdmissionReview('bodies/attach-v1-custodian.json');
  attach.request.name = 'static-web';
  attach.request.namespace = 'default';
  attach.request.object = { kind: 'PodAttachOptions', apiVersion: 'v1', container: 'web', stdin: true, tty: true };
  return attach;
};

const violationKeys = (violations: ReadonlyArray<{ policy: string; control: string }>) =>
  new Set(violations.map((v) => `${v.policy}/${v.control}`));

describe('pod memory: requests the cluster did not apply never narrow what an exec is judged by', () => {
  it('holds for any sequence of creates, updates, debugs, deletes and waits (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 20 }), (steps) => {
        let now = 1_000_000;
        let stored: { shape: Shape; ephemeral: Array<{ name: string; image: string }> } | undefined;
        let memory: PodMemory | undefined;
        let inFlight: Array<{ shape: Shape; until: number }> = [];
        const lookupPod = () => possibleIdentities(memory, []);
        const admit = (body: unknown) => {
          const context = admissionContext(parseAdmissionReview(body), { cluster: 'c', group, lookupPod });
          if (context.kind !== 'decide') throw new Error('expected a decision');
          const decision = decideAdmission(snapshot, context);
          const lesson = podLesson(context, decision);
          if (lesson) memory = learnPod(memory, lesson, now);
          return decision;
        };
        for (const step of steps) {
          if (step.kind === 'wait') now += step.seconds;
          else if (step.kind === 'delete') stored = undefined;
          else if (step.kind === 'create') {
            const decision = admit(review({ operation: 'CREATE', object: podObject(step.shape), dryRun: step.dryRun }));
            const goesThrough = decision.allowed && !step.dryRun && step.applies;
            if (goesThrough && step.late) inFlight.push({ shape: step.shape, until: now + 60 });
            // A second CREATE of a running pod's name fails with AlreadyExists after the webhooks ran.
            else if (goesThrough && !stored) stored = { shape: step.shape, ephemeral: [] };
          } else if (stored) {
            const old = podObject(stored.shape, stored.ephemeral);
            if (step.kind === 'update') {
              const decision = admit(
                review({ operation: 'UPDATE', object: podObject(step.shape, stored.ephemeral), oldObject: old, dryRun: step.dryRun }),
              );
              if (decision.allowed && !step.dryRun && step.applies) stored = { ...stored, shape: step.shape };
            } else {
              const debugger_ = { name: `debugger-${stored.ephemeral.length}`, image: step.shape.image };
              const ephemeral = [...stored.ephemeral, debugger_];
              const body =
                step.kind === 'debug'
                  ? review({
                      operation: 'UPDATE',
                      subResource: 'ephemeralcontainers',
                      object: podObject(stored.shape, ephemeral),
                      oldObject: old,
                      dryRun: step.dryRun,
                    })
                  : review({
                      operation: 'UPDATE',
                      subResource: 'ephemeralcontainers',
                      kind: { group: '', version: 'v1', kind: 'EphemeralContainers' },
                      object: { kind: 'EphemeralContainers', apiVersion: 'v1', metadata: old.metadata, ephemeralContainers: ephemeral },
                      oldObject: {
                        kind: 'EphemeralContainers',
                        apiVersion: 'v1',
                        metadata: old.metadata,
                        ephemeralContainers: stored.ephemeral,
                      },
                      dryRun: step.dryRun,
                    });
              const decision = admit(body);
              if (decision.allowed && !step.dryRun && step.applies) stored = { ...stored, ephemeral };
            }
          }
          // A CREATE admitted earlier reaches storage now, if its minute is not up and the name is free.
          inFlight = inFlight.filter((pending) => pending.until >= now);
          if (!stored && inFlight.length > 0) stored = { shape: inFlight.shift()!.shape, ephemeral: [] };
          if (!stored) continue;
          // Judge an exec into each container and an attach, by the webhook's memory and by the truth.
          const truth: PodIdentity = {
            namespace: 'default',
            name: 'static-web',
            labels: stored.shape.labels,
            containers: [{ name: 'web', image: stored.shape.image }, ...stored.ephemeral],
            defaultContainer: 'web',
          };
          for (const body of [...truth.containers.map((c) => execReview(c.name)), attachReview()]) {
            const parsed = parseAdmissionReview(body);
            const judged = admissionContext(parsed, { cluster: 'c', group, lookupPod });
            const actual = admissionContext(parsed, { cluster: 'c', group, lookupPod: () => truth });
            if (judged.kind !== 'decide' || actual.kind !== 'decide') throw new Error('expected decisions');
            const webhook = violationKeys(decideAdmission(snapshot, judged).violations);
            for (const key of violationKeys(decide(snapshot, actual.request).violations)) expect(webhook).toContain(key);
          }
        }
      }),
      {
        numRuns: 500,
        // Found by an earlier run: a CREATE reaches storage after an UPDATE of the pod it replaced was seen.
        examples: [
          [
            [
              { kind: 'create', shape: { labels: {}, image: 'nginx' }, dryRun: false, applies: true, late: false },
              { kind: 'create', shape: { labels: { tier: 'gold' }, image: 'nginx' }, dryRun: false, applies: true, late: true },
              { kind: 'debug', shape: { labels: {}, image: 'nginx' }, dryRun: false, applies: false, late: false },
              { kind: 'delete' },
            ],
          ],
        ],
      },
    );
  });
});

describe('learnPod', () => {
  const identity = (labels: Record<string, string>): PodIdentity => ({
    namespace: 'default',
    name: 'web-0',
    labels,
    containers: [{ name: 'web', image: 'nginx' }],
  });

  it('narrows only on an UPDATE’s stored object, and keeps what was seen within the grace period', () => {
    const a = identity({ role: 'a' });
    const b = identity({ role: 'b' });
    const c = identity({ role: 'c' });
    let memory = learnPod(undefined, { namespace: 'default', name: 'web-0', requested: [a] }, 0);
    memory = learnPod(memory, { namespace: 'default', name: 'web-0', requested: [b] }, 10);
    expect(memory.identities.map((i) => i.labels.role)).toEqual(['a', 'b']);
    // Within the grace period nothing goes, even with evidence: b may still be on its way to storage.
    memory = learnPod(memory, { namespace: 'default', name: 'web-0', requested: [], stored: a }, 20);
    expect(memory.identities.map((i) => i.labels.role).sort()).toEqual(['a', 'b']);
    // Later, evidence that the cluster stores a (with c requested) lets b go.
    memory = learnPod(memory, { namespace: 'default', name: 'web-0', requested: [c], stored: a }, 1_000);
    expect(memory.identities.map((i) => [i.labels.role, i.evidence])).toEqual([
      ['a', 'stored'],
      ['c', 'requested'],
    ]);
    expect(memory.observed).toBe(true);
  });

  it('keeps what it holds when full and says so', () => {
    let memory: PodMemory | undefined;
    for (let i = 0; i < 20; i++)
      memory = learnPod(memory, { namespace: 'default', name: 'web-0', requested: [identity({ n: `${i}` })] }, i);
    expect(memory!.identities).toHaveLength(16);
    expect(memory!.identities[0]!.labels).toEqual({ n: '0' });
    expect(memory!.overflowed).toBe(true);
  });

  it('ignores generateName records once the exact name was observed, and unions them before', () => {
    const exact = learnPod(undefined, { namespace: 'default', name: 'web-0', requested: [identity({ role: 'x' })] }, 0);
    const generated = learnPod(undefined, { namespace: 'default', generateName: 'web-', requested: [identity({ role: 'a' })] }, 0);
    expect(possibleIdentities(exact, [generated]).map((i) => i.labels.role)).toEqual(['x', 'a']);
    const observed = learnPod(exact, { namespace: 'default', name: 'web-0', requested: [], stored: identity({ role: 'a' }) }, 10);
    expect(possibleIdentities(observed, [generated]).map((i) => i.labels.role)).toEqual(['a', 'x']);
  });
});
