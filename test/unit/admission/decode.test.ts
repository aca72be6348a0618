import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  admissionReviewSchema,
  connectOptionsSchema,
  decodeAdmissionReview,
  decodeConnectOptions,
  decodePod,
  MAX_DECODE_ISSUES,
  podSchema,
  type DecodeResult,
} from '../../../layers/core/admission/index.js';
import { fixtureDirs, fixtureFiles, readFixture } from '../../support/fixtures.js';

// The webhook decodes reviews without zod; the zod schemas of review.ts remain the specification. These
// properties hold the two together: same verdict, same issues (paths and messages, the first
// MAX_DECODE_ISSUES of them), same decoded value.

const reviews: unknown[] = fixtureDirs('admission').flatMap((dir) =>
  ['allowed', 'denied', 'detected', 'learn'].flatMap((kind) =>
    fixtureFiles('admission', dir, kind).map((file) => readFixture('admission', dir, kind, file)),
  ),
);
const pods = reviews.flatMap((review) => {
  const request = (review as { request: { object?: unknown; oldObject?: unknown } }).request;
  return [request.object, request.oldObject].filter((object) => (object as { kind?: string } | undefined)?.kind === 'Pod');
});
const connectOptions = reviews
  .map((review) => (review as { request: { object?: unknown } }).request.object)
  .filter((object) => (object as { kind?: string } | undefined)?.kind?.startsWith('Pod') && (object as { kind: string }).kind !== 'Pod');

/** What zod says about a value, in the decoders' terms. */
function zodResult(
  schema: z.ZodType,
  value: unknown,
): { ok: true; value: unknown } | { ok: false; issues: Array<{ path: PropertyKey[]; message: string }> } {
  const result = schema.safeParse(value);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, issues: result.error.issues.slice(0, MAX_DECODE_ISSUES).map(({ path, message }) => ({ path, message })) };
}

function expectSameAsZod(decoded: DecodeResult<unknown>, schema: z.ZodType, value: unknown): void {
  const expected = zodResult(schema, value);
  if (expected.ok) expect(decoded).toEqual({ ok: true, value: expected.value });
  else expect(decoded).toEqual({ ok: false, issues: expected.issues });
}

type Mutation = { readonly kind: 'replace'; readonly value: unknown } | { readonly kind: 'delete' } | { readonly kind: 'null' };

/** The value at a leaf after a replace or null mutation; a delete leaves leaves alone (only members go). */
function changed(document: unknown, mutation: Mutation): unknown {
  return mutation.kind === 'replace' ? mutation.value : mutation.kind === 'null' ? null : document;
}

/**
 * Applies one mutation at the object member or array element that `path` leads to (indexes wrap around).
 * The result is always JSON: deleting removes an object member, never leaves an undefined behind.
 */
function mutate(document: unknown, path: readonly number[], mutation: Mutation): unknown {
  if (document === null || typeof document !== 'object') return changed(document, mutation);
  const entries = Object.entries(document as Record<string, unknown>);
  if (entries.length === 0 || path.length === 0) return changed(document, mutation);
  const [key, child] = entries[path[0]! % entries.length]!;
  const copy: any = Array.isArray(document) ? [...document] : { ...document };
  if (path.length === 1 && mutation.kind === 'delete' && !Array.isArray(document)) delete copy[key];
  else copy[key] = mutate(child, path.slice(1), mutation);
  return copy;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => ({ kind: 'replace' as const, value })),
  fc.constant({ kind: 'delete' as const }),
  fc.constant({ kind: 'null' as const }),
  fc
    .constantFrom('', 'x'.repeat(129), 1.5, 2 ** 60, -(2 ** 60), [], {}, true, 'CREATE', 'admission.k8s.io/v1')
    .map((value) => ({ kind: 'replace' as const, value })),
);

/** Real documents with up to three mutations at random depths. */
function mutated(documents: readonly unknown[]): fc.Arbitrary<unknown> {
  return fc
    .tuple(fc.constantFrom(...documents), fc.array(fc.tuple(fc.array(fc.nat(), { maxLength: 7 }), mutation), { maxLength: 3 }))
    .map(([document, mutations]) => mutations.reduce((current, [path, change]) => mutate(current, path, change), document));
}

describe('the zod-free AdmissionReview decoders agree with the zod schemas', () => {
  it('has real reviews, pods and connect options to mutate', () => {
    expect(reviews.length).toBeGreaterThan(30);
    expect(pods.length).toBeGreaterThan(10);
    expect(connectOptions.length).toBeGreaterThan(10);
  });

  it('on every real review', () => {
    for (const review of reviews) {
      const decoded = decodeAdmissionReview(review);
      expect(decoded.ok).toBe(true);
      expectSameAsZod(decoded, admissionReviewSchema, review);
    }
  });

  it('on mutated real reviews', () => {
    fc.assert(
      fc.property(mutated(reviews), (review) => expectSameAsZod(decodeAdmissionReview(review), admissionReviewSchema, review)),
      { numRuns: 2000 },
    );
  });

  it('on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => expectSameAsZod(decodeAdmissionReview(value), admissionReviewSchema, value)),
      { numRuns: 500 },
    );
  });

  it('on mutated real pods, including the defaults they fill in', () => {
    fc.assert(
      fc.property(mutated(pods), (pod) => expectSameAsZod(decodePod(pod), podSchema, pod)),
      { numRuns: 2000 },
    );
    expectSameAsZod(decodePod({}), podSchema, {});
    expectSameAsZod(decodePod({ spec: { containers: [{ name: 'a' }] } }), podSchema, { spec: { containers: [{ name: 'a' }] } });
  });

  it('on mutated real exec, attach and port-forward options', () => {
    fc.assert(
      fc.property(mutated(connectOptions), (options) => expectSameAsZod(decodeConnectOptions(options), connectOptionsSchema, options)),
      { numRuns: 1000 },
    );
  });

  it('on arbitrary pods and options', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        expectSameAsZod(decodePod(value), podSchema, value);
        expectSameAsZod(decodeConnectOptions(value), connectOptionsSchema, value);
      }),
      { numRuns: 500 },
    );
  });

  it('drops __proto__ keys like zod does, so that labels cannot reach a prototype', () => {
    const pod = JSON.parse(
      '{"metadata":{"labels":{"__proto__":"x","app":"web"},"__proto__":{"polluted":true}},"spec":{"containers":[]}}',
    ) as unknown;
    const decoded = decodePod(pod);
    expectSameAsZod(decoded, podSchema, pod);
    expect(decoded.ok && Object.keys((decoded.value.metadata.labels ?? {}) as object)).toEqual(['app']);
    expect(decoded.ok && Object.getPrototypeOf(decoded.value.metadata)).toBe(Object.prototype);
  });

  it('stops after MAX_DECODE_ISSUES issues, reporting the ones zod reports first', () => {
    const options = { command: Array.from({ length: 500 }, (_, i) => i) };
    const decoded = decodeConnectOptions(options);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.issues.length).toBe(MAX_DECODE_ISSUES);
    expectSameAsZod(decoded, connectOptionsSchema, options);
  });
});
