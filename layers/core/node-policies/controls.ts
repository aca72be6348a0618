/**
 * What each node-level control of container and host policies becomes in Tetragon: the LSM hooks and
 * selectors, and how faithfully they apply the control (the lowering table of the node enforcement design).
 */
import type { PolicyType } from '../catalog.js';
import { compileGlob } from '../scope/index.js';
import { compareText, lowerExceptedPaths, lowerMatchedPaths, type LoweredPaths } from './paths.js';
import {
  TETRAGON_LIMITS,
  type ArgType,
  type MatchAction,
  type MatchArg,
  type MatchBinary,
  type MatchPid,
  type Selector,
} from './tetragon.js';

/** How faithfully Tetragon applies a control on nodes. */
export type NodeFidelity = 'exact' | 'approximate' | 'impossible';

/** What a violation does: refuse and report, report only, or record (record-only controls). */
export type NodeAction = 'block' | 'detect' | 'record';

/** One hook of a lowered control, before it is split to Tetragon's limits. */
export interface HookRule {
  readonly hook: string;
  readonly args: readonly { readonly index: number; readonly type: ArgType }[];
  /** Selectors without their actions: those follow from the mode. */
  readonly selectors: readonly Omit<Selector, 'matchActions'>[];
}

export interface LoweredControl {
  readonly fidelity: NodeFidelity;
  /** Why the control itself is not exact on nodes, whatever its options (one sentence each). */
  readonly inherent: readonly string[];
  /** Why these options are not applied exactly (patterns widened or dropped), one sentence each. */
  readonly reasons: readonly string[];
  /** Facts about exact lowerings users should still know. */
  readonly notes: readonly string[];
  readonly hooks: readonly HookRule[];
}

/** The fidelity of each node-level control whatever its options, for the catalog and save-time warnings. */
export interface NodeControlTraits {
  readonly fidelity: NodeFidelity;
  readonly summary: string;
}

type Options = Readonly<Record<string, unknown>>;
type Lowerer = (options: Options) => LoweredControl;

function list(options: Options, key: string): string[] {
  const value = options[key];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) result.push(items.slice(i, i + size));
  return result;
}

function matchArgs(index: number, lowered: LoweredPaths): MatchArg[][] {
  // One list per operator: matchArgs in a selector are ANDed, so each operator needs its own selector.
  return [...lowered.byOperator.entries()].flatMap(([operator, values]) =>
    chunks(values, TETRAGON_LIMITS.valuesPerMatchArg).map((part) => [{ index, operator, values: part }]),
  );
}

/**
 * Selectors matching `matched` on argument `index`, each also carrying `fixed` (ANDed conditions) and the
 * exceptions as Not… operators; exceptions beyond the per-selector limit are dropped (refusing more).
 */
function pathSelectors(
  index: number,
  matched: LoweredPaths,
  excepted: LoweredPaths,
  fixed: readonly MatchArg[],
  reasons: string[],
  extra: Omit<Selector, 'matchActions' | 'matchArgs'> = {},
): Omit<Selector, 'matchActions'>[] {
  const room = TETRAGON_LIMITS.matchArgsPerSelector - 1 - fixed.length;
  const exceptions = matchArgs(index, excepted).flat();
  if (exceptions.length > room)
    reasons.push(
      `only ${room * TETRAGON_LIMITS.valuesPerMatchArg} exceptions per operator fit in a selector: the others are refused on nodes`,
    );
  const kept = exceptions.slice(0, room);
  return matchArgs(index, matched).map((positive) => ({ ...extra, matchArgs: [...positive, ...fixed, ...kept] }));
}

const EXEC_ARGS = [{ index: 0, type: 'linux_binprm' as const }];
const RESOLVED_PATH = 'executables are matched on the path the kernel resolved (a symlinked /bin/sh is its target, e.g. /usr/bin/dash)';

function exact(hooks: HookRule[], notes: string[] = []): LoweredControl {
  return { fidelity: 'exact', inherent: [], reasons: [], notes, hooks };
}

function graded(hooks: HookRule[], reasons: string[], notes: string[] = [], inherent: string[] = []): LoweredControl {
  return {
    fidelity: reasons.length === 0 && inherent.length === 0 ? 'exact' : 'approximate',
    inherent,
    reasons: [...new Set(reasons)],
    notes,
    hooks,
  };
}

const blockedExecutables: Lowerer = (options) => {
  const matched = lowerMatchedPaths(list(options, 'executables'));
  const reasons = [...matched.approximations];
  const selectors = pathSelectors(0, matched, lowerExceptedPaths([]), [], reasons);
  return graded(selectors.length ? [{ hook: 'bprm_check_security', args: EXEC_ARGS, selectors }] : [], reasons, [RESOLVED_PATH]);
};

/** Places a container can write to and Vigil can name without looking at the pod: drift is an exec from there. */
export const WRITABLE_PLACES = ['/dev/shm/', '/memfd:', '/run/', '/tmp/', '/var/tmp/'] as const;

/** Why drift prevention is approximate on nodes. */
export const DRIFT_INHERENT = `refuses executables started from places a container can write to (${WRITABLE_PLACES.join(', ')}); a program written elsewhere runs unless the root filesystem is read-only`;

const driftPrevention: Lowerer = (options) => {
  const excepted = lowerExceptedPaths(list(options, 'allowedExecutables'));
  const reasons = [...excepted.approximations];
  const matched: LoweredPaths = { byOperator: new Map([['Prefix', [...WRITABLE_PLACES]]]), approximations: [] };
  const selectors = pathSelectors(0, matched, excepted, [], reasons);
  return graded([{ hook: 'bprm_check_security', args: EXEC_ARGS, selectors }], reasons, [RESOLVED_PATH], [DRIFT_INHERENT]);
};

/** Why the in-container half of exec blocking is approximate on nodes. */
export const EXEC_INHERENT =
  "refuses programs started by processes that do not descend from the container's first process (how kubectl exec enters a container); the admission webhook stays the exact control for kubectl exec";

const blockContainerExec: Lowerer = (options) => {
  const excepted = lowerExceptedPaths(list(options, 'allowedProcesses'));
  const reasons = [...excepted.approximations];
  const outsideInit: MatchPid = { operator: 'NotIn', followForks: true, isNamespacePID: true, values: [1] };
  const exceptions = matchArgs(0, excepted).flat().slice(0, TETRAGON_LIMITS.matchArgsPerSelector);
  const selector = exceptions.length ? { matchArgs: exceptions, matchPIDs: [outsideInit] } : { matchPIDs: [outsideInit] };
  return graded([{ hook: 'bprm_check_security', args: EXEC_ARGS, selectors: [selector] }], reasons, [RESOLVED_PATH], [EXEC_INHERENT]);
};

/** Shells and interpreters a reverse shell is made of; the paths are those distributions install them at. */
export const SHELLS_AND_INTERPRETERS = [
  '/bin/ash',
  '/bin/bash',
  '/bin/busybox',
  '/bin/dash',
  '/bin/ksh',
  '/bin/sh',
  '/bin/zsh',
  '/usr/bin/ash',
  '/usr/bin/bash',
  '/usr/bin/busybox',
  '/usr/bin/dash',
  '/usr/bin/ksh',
  '/usr/bin/nc',
  '/usr/bin/ncat',
  '/usr/bin/netcat',
  '/usr/bin/perl',
  '/usr/bin/php',
  '/usr/bin/python',
  '/usr/bin/python2',
  '/usr/bin/python3',
  '/usr/bin/ruby',
  '/usr/bin/sh',
  '/usr/bin/socat',
  '/usr/bin/zsh',
  '/usr/local/bin/python',
  '/usr/local/bin/python3',
] as const;

const IPV4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** An allowed address as a CIDR Tetragon matches: literal addresses and CIDRs, and `a.b.*` style globs. */
function addressAsCidr(glob: string): string | undefined {
  const [address, bits, ...rest] = glob.split('/');
  if (rest.length > 0 || address === undefined) return undefined;
  if (address.includes(':')) {
    // IPv6: passed through when it looks like one; Tetragon validates the form when it loads the policy.
    if (!/^[0-9a-fA-F:.]+$/.test(address) || address.length > 45) return undefined;
    if (bits !== undefined && !(/^\d{1,3}$/.test(bits) && Number(bits) <= 128)) return undefined;
    return bits === undefined ? `${address}/128` : `${address}/${bits}`;
  }
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  const literal = parts.findIndex((part) => part === '*');
  const fixed = literal < 0 ? parts : parts.slice(0, literal);
  if (literal >= 0 && (bits !== undefined || parts.slice(literal).some((part) => part !== '*'))) return undefined;
  if (!fixed.every((part) => IPV4_PART.test(part))) return undefined;
  if (literal >= 0) return `${[...fixed, ...parts.slice(literal).map(() => '0')].join('.')}/${fixed.length * 8}`;
  if (bits !== undefined && !(/^\d{1,2}$/.test(bits) && Number(bits) <= 32)) return undefined;
  return `${address}/${bits ?? '32'}`;
}

const INET: MatchArg = { index: 1, operator: 'Family', values: ['AF_INET', 'AF_INET6'] };
const SOCKADDR_ARGS = [{ index: 1, type: 'sockaddr' as const }];

/** Why reverse-shell blocking is approximate on nodes. */
export const REVERSE_SHELL_INHERENT =
  'refuses network connections made by shells and interpreters (a shell that connects), which is not exactly "standard streams redirected to a socket"';

const reverseShell: Lowerer = (options) => {
  const allowed = list(options, 'allowedProcesses').map((glob) => ({ glob, matches: compileGlob(glob), full: glob.includes('/') }));
  const binaries = SHELLS_AND_INTERPRETERS.filter(
    (path) => !allowed.some(({ matches, full }) => matches(full ? path : path.slice(path.lastIndexOf('/') + 1))),
  );
  const reasons: string[] = [];
  const cidrs: string[] = [];
  for (const glob of list(options, 'allowedIps')) {
    const cidr = addressAsCidr(glob);
    if (cidr) cidrs.push(cidr);
    else
      reasons.push(
        `the allowed address "${glob}" is not an address, CIDR or a.b.* pattern and is ignored on nodes, so it is refused there`,
      );
  }
  if (binaries.length === 0) return graded([], reasons, [], [REVERSE_SHELL_INHERENT]);
  const allowedAddresses = [...new Set(cidrs)].sort(compareText);
  if (allowedAddresses.length > TETRAGON_LIMITS.valuesPerMatchArg * (TETRAGON_LIMITS.matchArgsPerSelector - 1))
    reasons.push('more allowed addresses than fit in one selector: the others are refused on nodes');
  const addressArgs = chunks(allowedAddresses, TETRAGON_LIMITS.valuesPerMatchArg)
    .slice(0, TETRAGON_LIMITS.matchArgsPerSelector - 1)
    .map((values): MatchArg => ({ index: 1, operator: 'NotSAddr', values }));
  const inBinaries: MatchBinary = { operator: 'In', values: [...binaries] };
  return graded(
    [{ hook: 'socket_connect', args: SOCKADDR_ARGS, selectors: [{ matchArgs: [INET, ...addressArgs], matchBinaries: [inBinaries] }] }],
    reasons,
    [RESOLVED_PATH],
    [REVERSE_SHELL_INHERENT],
  );
};

function portRanges(ports: readonly string[]): string[] {
  const ranges = ports.map((port) => {
    const [low = '0', high = low] = port.split('-');
    const [a, b] = [Number(low), Number(high)].sort((x, y) => x - y);
    return a === b ? String(a) : `${a}:${b}`;
  });
  return [...new Set(ranges)].sort(compareText);
}

const portBlock: Lowerer = (options) => {
  const hooks: HookRule[] = [];
  for (const [key, hook] of [
    ['outbound', 'socket_connect'],
    ['inbound', 'socket_bind'],
  ] as const) {
    const ranges = portRanges(list(options, key));
    if (ranges.length === 0) continue;
    const selectors = chunks(ranges, TETRAGON_LIMITS.valuesPerMatchArg).map((values) => ({
      matchArgs: [INET, { index: 1, operator: 'SPort' as const, values }],
    }));
    hooks.push({ hook, args: SOCKADDR_ARGS, selectors });
  }
  return exact(hooks, ['applies to sockets opened after the policy is loaded; inbound ports are refused when a process binds them']);
};

/** The LSM hooks of one kind of file operation: the argument holding the path and any fixed condition. */
interface FileHook {
  readonly hook: string;
  readonly args: HookRule['args'];
  readonly pathIndex: number;
  readonly fixed: readonly MatchArg[];
}

const PERMISSION_ARGS = [
  { index: 0, type: 'file' as const },
  { index: 1, type: 'int' as const },
];
const PATH_ARG = [{ index: 0, type: 'path' as const }];
const DIR_AND_ENTRY = [
  { index: 0, type: 'path' as const },
  { index: 1, type: 'dentry' as const },
];

/** MAY_WRITE and MAY_READ of the kernel's file_permission mask. */
const MAY_WRITE = '2';
const MAY_READ = '4';

const FILE_OPERATIONS: Readonly<Record<string, readonly FileHook[]>> = {
  create: [{ hook: 'path_mknod', args: DIR_AND_ENTRY, pathIndex: 1, fixed: [] }],
  read: [{ hook: 'file_permission', args: PERMISSION_ARGS, pathIndex: 0, fixed: [{ index: 1, operator: 'Mask', values: [MAY_READ] }] }],
  modify: [
    { hook: 'file_permission', args: PERMISSION_ARGS, pathIndex: 0, fixed: [{ index: 1, operator: 'Mask', values: [MAY_WRITE] }] },
    { hook: 'path_truncate', args: PATH_ARG, pathIndex: 0, fixed: [] },
  ],
  delete: [
    { hook: 'path_unlink', args: DIR_AND_ENTRY, pathIndex: 1, fixed: [] },
    { hook: 'path_rename', args: DIR_AND_ENTRY, pathIndex: 1, fixed: [] },
  ],
  attributes: [
    { hook: 'path_chmod', args: PATH_ARG, pathIndex: 0, fixed: [] },
    { hook: 'inode_setattr', args: [{ index: 1, type: 'dentry' as const }], pathIndex: 1, fixed: [] },
  ],
};

/** Hooks for the operations, one per LSM hook (read and modify share file_permission with both mask bits). */
function fileHooks(operations: readonly string[], matched: LoweredPaths, excepted: LoweredPaths, reasons: string[]): HookRule[] {
  const byHook = new Map<string, FileHook>();
  for (const operation of [...new Set(operations)].sort(compareText)) {
    for (const fileHook of FILE_OPERATIONS[operation] ?? []) {
      const existing = byHook.get(fileHook.hook);
      if (!existing) byHook.set(fileHook.hook, fileHook);
      else {
        const masks = [...new Set([...(existing.fixed[0]?.values ?? []), ...(fileHook.fixed[0]?.values ?? [])])].sort(compareText);
        byHook.set(fileHook.hook, { ...existing, fixed: [{ index: 1, operator: 'Mask', values: masks }] });
      }
    }
  }
  return [...byHook.values()]
    .sort((a, b) => compareText(a.hook, b.hook))
    .map((fileHook) => ({
      hook: fileHook.hook,
      args: fileHook.args,
      selectors: pathSelectors(fileHook.pathIndex, matched, excepted, fileHook.fixed, reasons),
    }))
    .filter((hook) => hook.selectors.length > 0);
}

const readOnlyFiles: Lowerer = (options) => {
  const matched = lowerMatchedPaths(list(options, 'paths'));
  const excepted = lowerExceptedPaths(list(options, 'exceptions'));
  const reasons = [...matched.approximations, ...excepted.approximations];
  const hooks = fileHooks(['modify', 'delete', 'attributes'], matched, excepted, reasons);
  return graded(
    hooks,
    [...new Set(reasons)],
    ['deleted and renamed entries are matched on their path as the kernel names it inside the mount'],
  );
};

const fileIntegrityMonitoring: Lowerer = (options) => {
  const matched = lowerMatchedPaths(list(options, 'paths'));
  const excepted = lowerExceptedPaths(list(options, 'exceptions'));
  const reasons = [...matched.approximations, ...excepted.approximations];
  const operations = options.operations === undefined ? ['create', 'modify', 'delete', 'attributes'] : list(options, 'operations');
  return graded(
    fileHooks(operations, matched, excepted, reasons),
    [...new Set(reasons)],
    ['records at most one event a minute per process, file and operation (rate limit)'],
  );
};

function impossible(reason: string): Lowerer {
  return () => ({ fidelity: 'impossible', inherent: [reason], reasons: [], notes: [], hooks: [] });
}

export interface NodeControl {
  readonly traits: NodeControlTraits;
  readonly lower: Lowerer;
  /** Short, stable part of object names. */
  readonly code: string;
}

const blockedExecutablesControl: NodeControl = {
  traits: {
    fidelity: 'exact',
    summary: 'exec refused by path (literal, prefix, suffix and basename globs); other globs block a little more',
  },
  lower: blockedExecutables,
  code: 'exec-block',
};
const portBlockControl: NodeControl = {
  traits: { fidelity: 'exact', summary: 'connect and bind refused on the listed ports (new sockets)' },
  lower: portBlock,
  code: 'ports',
};
const readOnlyFilesControl: NodeControl = {
  traits: { fidelity: 'exact', summary: 'writes, truncation, deletion, renames and mode changes refused on the listed paths' },
  lower: readOnlyFiles,
  code: 'ro-files',
};
const fimControl: NodeControl = {
  traits: { fidelity: 'exact', summary: 'file operations on the listed paths recorded (rate-limited)' },
  lower: fileIntegrityMonitoring,
  code: 'fim',
};

/** The node-level controls Tetragon applies, by policy type and key. */
const NODE_CONTROLS: Readonly<Record<'container' | 'host', Readonly<Record<string, NodeControl>>>> = {
  container: {
    blockedExecutables: blockedExecutablesControl,
    portBlock: portBlockControl,
    readOnlyFiles: readOnlyFilesControl,
    fileIntegrityMonitoring: fimControl,
    driftPrevention: {
      traits: {
        fidelity: 'approximate',
        summary: 'exec refused from writable places (/tmp, /dev/shm, …); exact only with a read-only root filesystem',
      },
      lower: driftPrevention,
      code: 'drift',
    },
    reverseShell: {
      traits: { fidelity: 'approximate', summary: 'network connections of shells and interpreters refused, outside the allowed addresses' },
      lower: reverseShell,
      code: 'revshell',
    },
    blockContainerExec: {
      traits: {
        fidelity: 'approximate',
        summary: "programs started outside the container's own process tree refused; admission stays exact for kubectl exec",
      },
      lower: blockContainerExec,
      code: 'exec-in',
    },
    forkGuard: {
      traits: { fidelity: 'impossible', summary: 'Tetragon has no process-count limit: not enforced on nodes' },
      lower: impossible('Tetragon cannot count or limit the processes of a container'),
      code: 'fork',
    },
  },
  host: {
    blockedExecutables: blockedExecutablesControl,
    portBlock: portBlockControl,
    readOnlyFiles: readOnlyFilesControl,
    fileIntegrityMonitoring: fimControl,
    osUsers: {
      traits: { fidelity: 'impossible', summary: 'Tetragon does not see logins: not enforced on nodes' },
      lower: impossible('Tetragon does not see logins (PAM, sshd)'),
      code: 'os-users',
    },
    loginAuditing: {
      traits: { fidelity: 'impossible', summary: 'Tetragon does not see logins: not recorded on nodes' },
      lower: impossible('Tetragon does not see logins (PAM, sshd)'),
      code: 'logins',
    },
  },
};

/** The node-level lowering of a control, or undefined when nodes have nothing to do with it (admission, functions). */
export function nodeControl(type: PolicyType, key: string): NodeControl | undefined {
  if (type === 'function') return undefined;
  return Object.hasOwn(NODE_CONTROLS[type], key) ? NODE_CONTROLS[type][key] : undefined;
}

/** The fidelity of a control on nodes whatever its options; undefined when nodes do not apply it. */
export function nodeControlTraits(type: PolicyType, key: string): NodeControlTraits | undefined {
  return nodeControl(type, key)?.traits;
}

/** Actions of a selector for a mode. Monitor policies get no Override, so an event never claims a refusal. */
export function actionsFor(action: NodeAction): MatchAction[] {
  switch (action) {
    case 'block':
      return [{ action: 'Override', argError: -1 }, { action: 'Post' }];
    case 'detect':
      return [{ action: 'Post' }];
    case 'record':
      return [{ action: 'Post', rateLimit: '1m' }];
  }
}
