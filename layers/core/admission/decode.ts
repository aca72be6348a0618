import type { AdmissionReview, Pod } from './review.js';

// Hand-written decoders of the AdmissionReview subset Vigil reads, for the webhook's hot path and cold start:
// they accept and reject exactly what the zod schemas in review.ts accept and reject, with the same issue
// paths and messages (a property test holds them together), and produce the same values (defaults filled in,
// unknown keys kept, `__proto__` keys dropped). zod stays the reference for people reading the shape; the
// webhook does not load it. Work is bounded by the input (no recursion beyond the schema's depth) and by
// MAX_DECODE_ISSUES: the first issues are reported, then decoding stops.

/** One reason a value was refused, as zod words it: a JSON path and a message. */
export interface DecodeIssue {
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

export type DecodeResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: readonly DecodeIssue[] };

/** Issues reported per value at most; a body full of wrong values must not produce an answer larger than itself. */
export const MAX_DECODE_ISSUES = 20;

type Path = ReadonlyArray<string | number>;
type Decoder = (value: unknown, path: Path, issues: DecodeIssue[]) => unknown;

/** How an object field treats absence: required, optional (left out), or replaced by a default. */
interface Field {
  readonly decode: Decoder;
  readonly absent?: 'optional' | (() => unknown);
}

/** zod's name for the type of a JSON value in "received …". */
function received(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'nan';
  return typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function full(issues: readonly DecodeIssue[]): boolean {
  return issues.length >= MAX_DECODE_ISSUES;
}

function report(issues: DecodeIssue[], path: Path, message: string): void {
  if (!full(issues)) issues.push({ path, message });
}

function invalidType(issues: DecodeIssue[], path: Path, expected: string, value: unknown): void {
  report(issues, path, `Invalid input: expected ${expected}, received ${received(value)}`);
}

const unknownValue: Decoder = (value) => value;

/** Unicode code points: zod measures strings in them, not in UTF-16 units. */
function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++, count++) {
    if ((text.charCodeAt(i) & 0xfc00) === 0xd800 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) i++;
  }
  return count;
}

/**
 * zod's length bounds, which it applies to anything with a `length` (even after the type check failed, so a
 * uid sent as an array of 200 strings also hears that it is too long) and compares with JavaScript's own
 * rules for whatever `length` holds.
 */
function checkLength(value: unknown, path: Path, issues: DecodeIssue[], bounds: { readonly min?: number; readonly max?: number }): void {
  if (value === null || value === undefined) return;
  const units = (value as { readonly length?: unknown }).length;
  if (units === undefined) return;
  const origin = Array.isArray(value) ? 'array' : typeof value === 'string' ? 'string' : 'unknown';
  const unit = origin === 'array' ? 'items' : origin === 'string' ? 'characters' : undefined;
  const length = (counted: boolean): number => (typeof value === 'string' && counted ? codePoints(value) : (units as number));
  const { min, max } = bounds;
  if (min !== undefined && !(length(typeof units === 'number' && units >= min && units < min * 2) >= min)) {
    report(issues, path, unit ? `Too small: expected ${origin} to have >=${min} ${unit}` : `Too small: expected ${origin} to be >=${min}`);
  }
  if (max !== undefined && !(length(typeof units === 'number' && units > max) <= max)) {
    report(issues, path, unit ? `Too big: expected ${origin} to have <=${max} ${unit}` : `Too big: expected ${origin} to be <=${max}`);
  }
}

function string(bounds: { readonly min?: number; readonly max?: number } = {}): Decoder {
  return (value, path, issues) => {
    if (typeof value !== 'string') invalidType(issues, path, 'string', value);
    if (bounds.min !== undefined || bounds.max !== undefined) checkLength(value, path, issues, bounds);
    return value;
  };
}

const boolean: Decoder = (value, path, issues) => {
  if (typeof value !== 'boolean') invalidType(issues, path, 'boolean', value);
  return value;
};

/** zod's `z.number().int()`: a safe integer. */
const int: Decoder = (value, path, issues) => {
  if (typeof value !== 'number' || Number.isNaN(value)) invalidType(issues, path, 'number', value);
  else if (!Number.isInteger(value)) invalidType(issues, path, 'int', value);
  else if (value > Number.MAX_SAFE_INTEGER) report(issues, path, `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`);
  else if (value < Number.MIN_SAFE_INTEGER) report(issues, path, `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`);
  return value;
};

function literal(expected: string, message: string): Decoder {
  return (value, path, issues) => {
    if (value !== expected) report(issues, path, message);
    return value;
  };
}

function oneOf(values: readonly string[]): Decoder {
  const message = `Invalid option: expected one of ${values.map((v) => JSON.stringify(v)).join('|')}`;
  return (value, path, issues) => {
    if (typeof value !== 'string' || !values.includes(value)) report(issues, path, message);
    return value;
  };
}

/** `null` passes as itself (zod's `.nullish()`; absence is the field's business). */
function nullable(decode: Decoder): Decoder {
  return (value, path, issues) => (value === null ? null : decode(value, path, issues));
}

function array(element: Decoder): Decoder {
  return (value, path, issues) => {
    if (!Array.isArray(value)) return invalidType(issues, path, 'array', value);
    const out: unknown[] = [];
    for (let i = 0; i < value.length && !full(issues); i++) out.push(element(value[i], [...path, i], issues));
    return out;
  };
}

/** `z.record(z.string(), z.string())`: built by assignment into a fresh object, so a `__proto__` key cannot reach the prototype. */
const stringRecord: Decoder = (value, path, issues) => {
  if (!isObject(value)) return invalidType(issues, path, 'record', value);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (full(issues)) break;
    if (key === '__proto__') continue;
    out[key] = string()(value[key], [...path, key], issues);
  }
  return out;
};

/** zod's `z.looseObject(shape)`: fields in shape order, then the unknown keys as they are. */
function looseObject(shape: Readonly<Record<string, Field>>): Decoder {
  const keys = Object.keys(shape);
  return (value, path, issues) => {
    if (!isObject(value)) return invalidType(issues, path, 'object', value);
    const out: Record<string, unknown> = {};
    for (const key of keys) {
      if (full(issues)) return out;
      const field = shape[key]!;
      if (!(key in value)) {
        if (field.absent === 'optional') continue;
        if (field.absent) {
          out[key] = field.absent();
          continue;
        }
      }
      out[key] = field.decode(value[key], [...path, key], issues);
    }
    for (const key in value) {
      if (key !== '__proto__' && !Object.hasOwn(shape, key)) out[key] = value[key];
    }
    return out;
  };
}

const required = (decode: Decoder): Field => ({ decode });
const optional = (decode: Decoder): Field => ({ decode, absent: 'optional' });
const nullish = (decode: Decoder): Field => ({ decode: nullable(decode), absent: 'optional' });
const withDefault = (decode: Decoder, value: () => unknown): Field => ({ decode, absent: value });

// --- the schemas of review.ts, field for field ------------------------------------------------------------

const groupVersionKind = looseObject({ group: required(string()), version: required(string()), kind: required(string()) });
const groupVersionResource = looseObject({ group: required(string()), version: required(string()), resource: required(string()) });

const userInfo = looseObject({
  username: optional(string()),
  uid: optional(string()),
  groups: optional(array(string())),
});

const admissionRequest = looseObject({
  uid: required(string({ min: 1, max: 128 })),
  kind: required(groupVersionKind),
  resource: required(groupVersionResource),
  subResource: optional(string()),
  name: optional(string()),
  namespace: optional(string()),
  operation: required(oneOf(['CREATE', 'UPDATE', 'DELETE', 'CONNECT'])),
  userInfo: required(userInfo),
  object: optional(unknownValue),
  oldObject: optional(unknownValue),
  dryRun: optional(boolean),
  options: optional(unknownValue),
});

const admissionReview = looseObject({
  apiVersion: required(literal('admission.k8s.io/v1', 'apiVersion must be admission.k8s.io/v1 (set admissionReviewVersions: ["v1"])')),
  kind: required(literal('AdmissionReview', 'kind must be AdmissionReview')),
  request: required(admissionRequest),
});

const securityContext = looseObject({
  privileged: nullish(boolean),
  allowPrivilegeEscalation: nullish(boolean),
  runAsUser: nullish(int),
  runAsNonRoot: nullish(boolean),
  readOnlyRootFilesystem: nullish(boolean),
  capabilities: nullish(looseObject({ add: nullish(array(string())), drop: nullish(array(string())) })),
});

const container = looseObject({
  name: required(string()),
  image: withDefault(string(), () => ''),
  securityContext: nullish(securityContext),
  ports: nullish(array(looseObject({ containerPort: nullish(int), hostPort: nullish(int) }))),
});

const pod = looseObject({
  metadata: withDefault(
    looseObject({
      name: optional(string()),
      generateName: optional(string()),
      namespace: optional(string()),
      labels: nullish(stringRecord),
      annotations: nullish(stringRecord),
      ownerReferences: nullish(array(looseObject({ kind: required(string()), name: required(string()), controller: nullish(boolean) }))),
    }),
    () => ({}),
  ),
  spec: withDefault(
    looseObject({
      serviceAccountName: nullish(string()),
      hostNetwork: nullish(boolean),
      hostPID: nullish(boolean),
      hostIPC: nullish(boolean),
      securityContext: nullish(looseObject({ runAsUser: nullish(int), runAsNonRoot: nullish(boolean) })),
      containers: withDefault(array(container), () => []),
      initContainers: nullish(array(container)),
      ephemeralContainers: nullish(array(container)),
      volumes: nullish(array(looseObject({ name: required(string()), hostPath: nullish(looseObject({ path: required(string()) })) }))),
    }),
    () => ({ containers: [] }),
  ),
});

/** PodExecOptions, PodAttachOptions and PodPortForwardOptions share this shape. */
export interface ConnectOptions {
  readonly container?: string;
  readonly command?: string[];
  readonly ports?: number[];
  readonly [key: string]: unknown;
}

const connectOptions = looseObject({
  container: optional(string()),
  command: optional(array(string())),
  ports: optional(array(int)),
});

function run<T>(decode: Decoder, value: unknown): DecodeResult<T> {
  const issues: DecodeIssue[] = [];
  const decoded = decode(value, [], issues);
  return issues.length === 0 ? { ok: true, value: decoded as T } : { ok: false, issues };
}

/** An admission.k8s.io/v1 AdmissionReview (`admissionReviewSchema`). */
export function decodeAdmissionReview(value: unknown): DecodeResult<AdmissionReview> {
  return run(admissionReview, value);
}

/** The fields of a core/v1 Pod that decisions read (`podSchema`). */
export function decodePod(value: unknown): DecodeResult<Pod> {
  return run(pod, value);
}

/** Exec, attach or port-forward options (`connectOptionsSchema`). */
export function decodeConnectOptions(value: unknown): DecodeResult<ConnectOptions> {
  return run(connectOptions, value);
}
