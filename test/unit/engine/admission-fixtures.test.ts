import { describe, expect, it } from 'vitest';
import {
  admissionContext,
  admissionResponse,
  applicationScopeSchema,
  compileSnapshot,
  decide,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  generateNameCandidates,
  parseAdmissionReview,
  policySchema,
  type PodIdentity,
  type Violation,
} from '../../../layers/core/index.js';
import { fixtureDirs, fixtureFiles, readFixture } from '../../support/fixtures.js';

interface CaseFile {
  description: string;
  policies: unknown[];
  applicationScopes?: unknown[];
  settings?: unknown;
  group?: unknown;
  cluster?: string;
  learn?: string[];
  /**
   * The controls each denied or detected review must fire, by file (`denied/exec-sh.json`): exactly these,
   * so a review blocked by some other control fails instead of passing for the wrong reason.
   */
  expectedControls?: Record<string, string[]>;
}

/** The controls that fired with the given status, once each, in a stable order. */
function controlsWith(violations: readonly Violation[], status: Violation['status']): string[] {
  return [...new Set(violations.filter((v) => v.status === status).map((v) => v.control))].sort();
}

/** The controls a case expects for one of its denied or detected files; a file without an entry fails. */
function expectedControls(spec: CaseFile, file: string): string[] {
  const controls = spec.expectedControls?.[file];
  if (!controls?.length) throw new Error(`case.json names no expected control for ${file} (add it to "expectedControls")`);
  return [...controls].sort();
}

/** Builds a decider for one fixture case, remembering pods from `learn` reviews as the webhook would. */
function caseDecider(name: string) {
  const spec = readFixture<CaseFile>('admission', name, 'case.json');
  const snapshot = compileSnapshot({
    revision: 1,
    policies: spec.policies.map((p, i) => ({ ...policySchema.parse(p), version: i + 1 })),
    applicationScopes: (spec.applicationScopes ?? []).map((s) => applicationScopeSchema.parse(s)),
    settings: enforcerSettingsSchema.parse(spec.settings ?? {}),
    groups: [],
  });
  // Fixtures enforce unless the case says otherwise, so that Block verdicts are observable.
  const group = enforcerGroupSchema.parse(spec.group ?? { name: 'enforcing-ke', type: 'kube_enforcer', enforce: true });
  const cluster = spec.cluster ?? 'test-cluster';
  const byName = new Map<string, PodIdentity>();
  const byPrefix = new Map<string, PodIdentity>();
  const lookupPod = (namespace: string, pod: string) =>
    byName.get(`${namespace}/${pod}`) ??
    generateNameCandidates(pod)
      .map((prefix) => byPrefix.get(`${namespace}/${prefix}`))
      .find(Boolean);
  const run = (body: unknown) => {
    const review = parseAdmissionReview(body);
    const context = admissionContext(review, { cluster, group, lookupPod });
    if (context.kind === 'ignore')
      return { response: admissionResponse(review, { allowed: true, violations: [] }, undefined, { warnings: true }), violations: [] };
    const decision = decide(snapshot, context.request);
    if (context.learned?.name) byName.set(`${context.learned.namespace}/${context.learned.name}`, context.learned);
    if (context.learned?.generateName) byPrefix.set(`${context.learned.namespace}/${context.learned.generateName}`, context.learned);
    return { response: admissionResponse(review, decision, context.subject, { warnings: true }), violations: decision.violations };
  };
  for (const file of spec.learn ?? []) run(readFixture('admission', name, file));
  return { spec, run };
}

describe('AdmissionDecider (fixture cases)', () => {
  for (const name of fixtureDirs('admission')) {
    const { spec, run } = caseDecider(name);
    describe(`${name}: ${spec.description}`, () => {
      it('names an expected control for exactly its denied and detected reviews', () => {
        const reviews = ['denied', 'detected'].flatMap((kind) => fixtureFiles('admission', name, kind).map((file) => `${kind}/${file}`));
        expect(Object.keys(spec.expectedControls ?? {}).sort()).toEqual(reviews.sort());
      });
      for (const file of fixtureFiles('admission', name, 'denied')) {
        it(`blocks ${file} by ${spec.expectedControls?.[`denied/${file}`]?.join(' and ') ?? '(no expected control)'}`, () => {
          const body = readFixture<{ request: { uid: string } }>('admission', name, 'denied', file);
          const { response, violations } = run(body);
          expect(response.response.uid).toBe(body.request.uid);
          expect(response.response.allowed).toBe(false);
          expect(response.response.status?.code).toBe(403);
          expect(response.response.status?.message).toMatch(/^vigil: .+ blocked by policy ".+" \(.+\)/);
          expect(controlsWith(violations, 'Block')).toEqual(expectedControls(spec, `denied/${file}`));
        });
      }
      for (const file of fixtureFiles('admission', name, 'detected')) {
        it(`allows and records Detect for ${file} by ${spec.expectedControls?.[`detected/${file}`]?.join(' and ') ?? '(no expected control)'}`, () => {
          const { response, violations } = run(readFixture('admission', name, 'detected', file));
          expect(response.response.allowed).toBe(true);
          expect(violations.length).toBeGreaterThan(0);
          expect(violations.every((v) => v.status === 'Detect')).toBe(true);
          expect(controlsWith(violations, 'Detect')).toEqual(expectedControls(spec, `detected/${file}`));
          expect(response.response.warnings?.every((w) => w.length <= 120)).toBe(true);
        });
      }
      for (const file of fixtureFiles('admission', name, 'allowed')) {
        it(`allows ${file} without a violation`, () => {
          const { response, violations } = run(readFixture('admission', name, 'allowed', file));
          expect(response.response.allowed).toBe(true);
          expect(violations).toEqual([]);
          expect(response.response.warnings).toBeUndefined();
        });
      }
    });
  }
});
