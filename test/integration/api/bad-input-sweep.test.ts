import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../functions/api/openapi.js';
import { useEnforcerApi } from '../enforcer/harness.js';

// A property-based sweep of bad input over every operation of the OpenAPI document that takes a body, query
// parameters or path parameters (a new route is covered as soon as it is documented): wrong JSON types, unknown
// fields, missing required fields, oversize strings and arrays, deep nesting, bodies that are not JSON or not
// UTF-8, and bad path and query values. Whatever is sent: never a 5xx, an error body that says what is wrong,
// and not one item of any table changed. The webhook is left out: it answers Kubernetes' AdmissionReview
// protocol, whose bad-input answers its own tests check.

const api = useEnforcerApi();

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly enforcer: boolean;
  readonly body: boolean;
  readonly query: readonly string[];
  readonly pathParams: readonly string[];
}

interface OpenApiOperation {
  readonly security?: ReadonlyArray<Record<string, unknown>>;
  readonly parameters?: ReadonlyArray<{ readonly in: string; readonly name: string }>;
  readonly requestBody?: unknown;
}

const operations: Operation[] = Object.entries((openApiDocument() as { paths: Record<string, Record<string, OpenApiOperation>> }).paths)
  .flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const parameters = operation.parameters ?? [];
      return {
        method: method.toUpperCase(),
        path,
        enforcer: (operation.security ?? []).some((scheme) => 'enforcerToken' in scheme),
        body: operation.requestBody !== undefined,
        query: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
      };
    }),
  )
  .filter((operation) => !operation.path.startsWith('/v1/admission/'))
  .filter((operation) => operation.body || operation.query.length > 0 || operation.pathParams.length > 0);

/** One malformed request: what replaces the body, a query parameter or a path parameter. */
type BadInput =
  | { readonly kind: 'body'; readonly label: string; readonly bytes: Uint8Array | string; readonly contentType: string }
  | { readonly kind: 'query'; readonly label: string; readonly value: string }
  | { readonly kind: 'path'; readonly label: string; readonly segment: string };

const MiB = 1024 * 1024;
const json = (label: string, value: unknown): BadInput => ({
  kind: 'body',
  label,
  bytes: JSON.stringify(value),
  contentType: 'application/json',
});

/** Bodies no route accepts: each is wrong for every body schema of the API. */
const badBody: fc.Arbitrary<BadInput> = fc.oneof(
  // Wrong JSON types at the top level.
  fc
    .oneof(
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.string({ maxLength: 40 }),
      fc.array(fc.jsonValue(), { maxLength: 4 }),
    )
    .map((value) => json('a JSON value that is not an object', value)),
  // Unknown fields only (so every required field is missing too).
  fc
    .dictionary(
      fc.string({ minLength: 1, maxLength: 12 }).map((key) => `zz-unknown-${key}`),
      fc.jsonValue({ maxDepth: 2 }),
      { minKeys: 1, maxKeys: 4 },
    )
    .map((value) => json('unknown fields only', value)),
  // Known field names with values of the wrong type.
  fc
    .record({
      name: fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.constant({})),
      type: fc.oneof(fc.integer(), fc.constant('no-such-type')),
    })
    .map((value) => json('fields of the wrong type', value)),
  // Oversize strings and arrays, over the route's body limit or the schema's bounds.
  fc.constantFrom(
    json('a string over the body limit', { name: 'x'.repeat(6 * MiB) }),
    json('a long array of unknown items', { zzUnknown: Array.from({ length: 100_000 }, () => 0) }),
  ),
  // Deep nesting, as arrays and as objects.
  fc.integer({ min: 1_000, max: 200_000 }).map((depth): BadInput => ({
    kind: 'body',
    label: `arrays nested ${depth} deep`,
    bytes: `${'['.repeat(depth)}${']'.repeat(depth)}`,
    contentType: 'application/json',
  })),
  fc.integer({ min: 1_000, max: 50_000 }).map((depth): BadInput => ({
    kind: 'body',
    label: `objects nested ${depth} deep`,
    bytes: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    contentType: 'application/json',
  })),
  // Not JSON, not UTF-8, or not sent as JSON.
  fc
    .string({ minLength: 1, maxLength: 60 })
    .map((text): BadInput => ({ kind: 'body', label: 'text that is not JSON', bytes: `{${text}`, contentType: 'application/json' })),
  fc
    .uint8Array({ minLength: 1, maxLength: 32 })
    // Valid JSON but for the encoding: a string holding bytes that are not UTF-8.
    .map((bytes): BadInput => ({
      kind: 'body',
      label: 'bytes that are not UTF-8',
      bytes: Uint8Array.from([
        ...Buffer.from('{"name":"'),
        0xff,
        0xfe,
        ...bytes.filter((byte) => byte >= 0x80),
        0xc3,
        0x28,
        ...Buffer.from('"}'),
      ]),
      contentType: 'application/json',
    })),
  fc.constant<BadInput>({
    kind: 'body',
    label: 'a form instead of JSON',
    bytes: 'name=x&type=container',
    contentType: 'application/x-www-form-urlencoded',
  }),
);

/** Query values no parameter of the API accepts as sent (numbers, enums, booleans, instants, cursors). */
const badQueryValue: fc.Arbitrary<BadInput> = fc
  .oneof(
    fc.constantFrom('-1', '0', '1e309', 'NaN', 'true ', 'yes', '2026-13-45T99:99:99Z', 'not-a-cursor', '%ff', 'x'.repeat(5_000)),
    fc.string({ minLength: 1, maxLength: 30 }).map((text) => `~${text}`),
  )
  .map((value) => ({ kind: 'query', label: `query value ${JSON.stringify(value.slice(0, 40))}`, value }));

/** Path segments that name nothing that can exist: bad characters, bad percent-encoding, too long. */
const badPathSegment: fc.Arbitrary<BadInput> = fc
  .oneof(
    fc.constantFrom('%ff', '%c3%28', '%00', '..', '%2e%2e', 'a%2Fb', ' x', `${'n'.repeat(3_000)}`, '%F0%9F%98%80'.repeat(50)),
    fc.string({ minLength: 1, maxLength: 20 }).map((text) => `${encodeURIComponent(text)}%20%7F`),
  )
  .map((segment) => ({ kind: 'path', label: `path segment ${JSON.stringify(segment.slice(0, 40))}`, segment }));

/** The name every path parameter gets when it is not the one under test: an item of that name exists. */
const EXISTING = 'sweep-item';
let groupToken = '';
let enforcerId = '';
let uploadId = '';

// Items to address, so that a bad body reaches the route's validation instead of a 404 for a missing item.
beforeAll(async () => {
  groupToken = await api.createGroup(EXISTING, 'agent');
  enforcerId = await api.register(groupToken, 'sweep-agent', 'agent');
  const created = [
    await api.call('POST', '/v1/application-scopes', {
      body: { name: EXISTING, expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'sweep' }] },
    }),
    await api.call('POST', '/v1/policies', { body: { name: EXISTING, type: 'container', controls: { blockContainerExec: {} } } }),
    await api.call('POST', '/v1/clusters', { body: { name: EXISTING } }),
  ];
  expect(created.map((answer) => answer.status)).toEqual([201, 201, 201]);
  const upload = await api.call('POST', '/v1/imports');
  expect(upload.status).toBe(201);
  uploadId = (upload.body as { id: string }).id;
});

/** Every item of every table, in a stable order: equal before and after means bad input changed nothing. */
async function tableItems(): Promise<string> {
  const all: string[] = [];
  for (const definition of [api.tables.tables.config, api.tables.tables.audit]) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await api.tables.clients.document.send(
        new ScanCommand({ TableName: definition.TableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
      );
      all.push(...(page.Items ?? []).map((item) => `${definition.TableName} ${JSON.stringify(item, Object.keys(item).sort())}`));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return all.sort().join('\n');
}

/** A valid value for a path parameter, so that a malformed body or query is what the route judges. */
function validSegment(name: string): string {
  return name === 'part' ? '1' : name === 'id' ? uploadId : EXISTING;
}

async function send(operation: Operation, input: BadInput): Promise<{ status: number; contentType: string; text: string }> {
  const path = operation.path.replace(/\{(\w+)\}/g, (_, name: string) =>
    input.kind === 'path' && name === operation.pathParams[0] ? input.segment : validSegment(name),
  );
  const query = input.kind === 'query' ? `?${operation.query[0]}=${encodeURIComponent(input.value)}` : '';
  const headers: Record<string, string> = {
    authorization: `Bearer ${operation.enforcer ? groupToken : 'test-admin-token-0123456789'}`,
    ...(operation.enforcer ? { 'x-enforcer-id': enforcerId } : {}),
  };
  let body: Uint8Array | string | undefined;
  if (input.kind === 'body') {
    body = input.bytes;
    headers['content-type'] =
      operation.method === 'PATCH' && input.contentType === 'application/json' ? 'application/merge-patch+json' : input.contentType;
  }
  const response = await fetch(`${api.url}${path}${query}`, { method: operation.method, headers, body });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

function inputsFor(operation: Operation): fc.Arbitrary<BadInput> {
  const kinds: fc.Arbitrary<BadInput>[] = [];
  if (operation.body) kinds.push(badBody);
  if (operation.query.length > 0) kinds.push(badQueryValue);
  if (operation.pathParams.length > 0) kinds.push(badPathSegment);
  return fc.oneof(...kinds);
}

describe('bad input on every documented route (derived from the OpenAPI document)', () => {
  it('covers the admin API and the enforcer API', () => {
    expect(operations.filter((operation) => operation.enforcer).map((operation) => `${operation.method} ${operation.path}`)).toEqual(
      expect.arrayContaining(['POST /v1/enforcers/register', 'POST /v1/enforcers/events', 'GET /v1/enforcers/rules']),
    );
    expect(operations.length).toBeGreaterThan(35);
  });

  it.each(operations.map((operation) => [`${operation.method} ${operation.path}`, operation] as const))(
    '%s: never a 5xx, always an error that says what is wrong, and nothing written',
    async (_, operation) => {
      const before = await tableItems();
      await fc.assert(
        fc.asyncProperty(inputsFor(operation), async (input) => {
          const answer = await send(operation, input);
          const context = `${operation.method} ${operation.path} with ${input.label}: ${answer.status} ${answer.text.slice(0, 300)}`;
          expect(answer.status, context).toBeLessThan(500);
          // A bad query value may still be a valid filter (a policy name, an instant): then it only must not write.
          if (input.kind !== 'query') expect(answer.status, context).toBeGreaterThanOrEqual(400);
          if (answer.status >= 400) {
            expect(answer.contentType, context).toContain('json');
            const error = (JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown } }).error;
            expect(typeof error?.code, context).toBe('string');
            expect(typeof error?.message === 'string' && error.message.length > 0, context).toBe(true);
          }
          expect(await tableItems(), context).toBe(before);
        }),
        { numRuns: 12 },
      );
    },
  );
});
