import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionHandler } from '../../../functions/admission/app.js';
import { readAdmissionReview } from '../../support/fixtures.js';
import { sendReview as sendTo, watchEverythingPolicy } from '../../support/webhook-audit.js';
import { clientEvent, useEnforcerApi } from '../enforcer/harness.js';

// Issue 14 item 3: every event any component stores fits the AuditEvent schema the API publishes. Hostile
// webhook reviews (built from real ones in ../shared/testdata) and hostile enforcer reports are stored, then
// every stored event, read back through the API, is validated against the served OpenAPI document.

const review = (path: string): any => readAdmissionReview(path);

const api = useEnforcerApi();
const CLUSTER = 'hostile';
let admission: ReturnType<typeof createAdmissionHandler>;
let secret = '';
let token = '';
let enforcerId = '';
let validateAuditEvent: ((event: unknown) => boolean) & { errors?: unknown };

beforeAll(async () => {
  const registered = await api.call('POST', '/v1/clusters', { body: { name: CLUSTER } });
  secret = (registered.body as { webhookUrl: string }).webhookUrl.split('/').pop()!;
  expect((await api.call('POST', '/v1/policies', { body: watchEverythingPolicy('hostile-watch') })).status).toBe(201);
  token = await api.createGroup('hostile-fn', 'nano_enforcer');
  enforcerId = await api.register(token, 'hostile-fn-1', 'nano_enforcer');
  admission = createAdmissionHandler(api.runtime);

  const document = (await api.call('GET', '/v1/openapi.json', { token: null })).body;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(document, 'openapi.json');
  validateAuditEvent = ajv.compile({ $ref: 'openapi.json#/components/schemas/AuditEvent' });
}, 60_000);

/** Text an attacker would send: long, padded with blanks, control and astral characters. */
const hostileText = fc
  .tuple(
    fc.array(fc.oneof(fc.constantFrom(' ', '\t', '\u0001', '\u2028', '😀', '"', '\\'), fc.string({ maxLength: 12 })), { maxLength: 20 }),
    fc.constantFrom(1, 10, 400, 3000),
  )
  .map(([parts, repeat]) => parts.join('').repeat(repeat));

const hostileCommand = fc.array(hostileText, { minLength: 1, maxLength: 300 });

async function sendReview(body: unknown): Promise<void> {
  await sendTo(admission, CLUSTER, secret, body);
}

/** Every stored event of one query, through the API (newest first, paged). */
async function storedEvents(query: string): Promise<unknown[]> {
  const items: unknown[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.call('GET', `/v1/audit-events?${query}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor);
  return items;
}

describe('every stored audit event fits the published AuditEvent schema', () => {
  let runs = 0;
  it('for hostile execs, pods and enforcer reports', { timeout: 300_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        hostileCommand,
        fc.array(hostileText, { maxLength: 300 }),
        fc.integer({ min: 1, max: 40 }),
        hostileCommand,
        hostileText,
        async (command, groups, imageCount, reportedCommand, reportedText) => {
          runs++;
          const exec = review('derived/exec-sh-c-derived.json');
          exec.request.name = `exec-${runs}`;
          exec.request.object.command = command;
          exec.request.userInfo = { username: reportedText.slice(0, 5000) || 'user', groups };
          await sendReview(exec);

          const pod = review('derived/pod-create-9-ecr-digest-containers-derived.json');
          const containers = pod.request.object.spec.containers;
          pod.request.object.spec.containers = Array.from({ length: imageCount }, (_, i) => ({
            ...containers[i % containers.length],
            name: `c${i}`,
            image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/payments/service-${i}@sha256:${String(i).padStart(64, 'a')}`,
          }));
          pod.request.object.metadata.name = `pod-${runs}`;
          pod.request.name = `pod-${runs}`;
          await sendReview(pod);

          const reported = clientEvent(`run-${runs}`, {
            policy: 'hostile-fn-policy',
            message: reportedText,
            command: reportedCommand,
            workload: {
              cluster: null,
              namespace: null,
              pod: null,
              container: null,
              image: reportedText,
              function: reportedText,
              host: null,
            },
            user: { name: reportedText, groups },
          });
          const sent = await api.call('POST', '/v1/enforcers/events', { token, enforcerId, body: { events: [reported] } });
          expect(sent.status).toBe(200);
          expect(sent.body).toEqual({ accepted: 1, duplicates: 0 });
        },
      ),
      { numRuns: 12 },
    );

    const stored = [...(await storedEvents(`cluster=${CLUSTER}`)), ...(await storedEvents('policy=hostile-fn-policy'))];
    // One exec and at least one pod event per run, and every report.
    expect(stored.length).toBeGreaterThanOrEqual(runs * 3);
    for (const event of stored) {
      const valid = validateAuditEvent(event);
      expect(valid ? [] : validateAuditEvent.errors).toEqual([]);
    }
  });
});
