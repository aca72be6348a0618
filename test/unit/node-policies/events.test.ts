import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  auditEventSchema,
  compileNodePolicies,
  mapTetragonExportLine,
  MAX_EXPORT_LINE_LENGTH,
  nodeEventIndex,
  splitTetragonArguments,
  type NodePolicyCompilation,
} from '../../../layers/core/index.js';
import { tetragonDataDir } from '../../support/tetragon-schema.js';
import { config, policy, prodCluster } from './cases.js';

const examples = join(tetragonDataDir, 'examples');
const context = { cluster: 'prod-eks', group: 'default' };
const sha256 = (identity: string) => createHash('sha256').update(identity).digest('hex').slice(0, 40);

/** The real `process_kprobe` example: its `process` (a pod's process) is the shape every policy event carries. */
const kprobeExample = JSON.parse(readFileSync(join(examples, 'process_kprobe.json'), 'utf8')) as {
  process_kprobe: { process: Record<string, unknown> & { pod: Record<string, unknown> }; parent: unknown };
  node_name: string;
  time: string;
};

interface Built {
  readonly type?: string;
  readonly policyName: string;
  readonly action: string;
  readonly hook: string;
  readonly args: unknown[];
  readonly namespace?: string;
  readonly pod?: string;
  readonly host?: boolean;
  readonly time?: string;
}

/** An export line built to the shape of the real example, for one compiled object. */
function exportLine(built: Built): string {
  const process = structuredClone(kprobeExample.process_kprobe.process);
  if (built.host) delete (process as Record<string, unknown>).pod;
  else {
    if (built.namespace !== undefined) process.pod.namespace = built.namespace;
    if (built.pod !== undefined) process.pod.name = built.pod;
  }
  return JSON.stringify({
    [built.type ?? 'process_lsm']: {
      process,
      parent: kprobeExample.process_kprobe.parent,
      function_name: built.hook,
      args: built.args,
      action: built.action,
      policy_name: built.policyName,
      tags: ['vigil'],
    },
    node_name: kprobeExample.node_name,
    time: built.time ?? kprobeExample.time,
  });
}

function only(compilation: NodePolicyCompilation, control: string) {
  const entries = compilation.report.index.filter((entry) => entry.control === control);
  expect(entries).toHaveLength(1);
  return entries[0]!;
}

const blockedInShop = () =>
  compileNodePolicies(
    config([
      policy({
        name: 'no-vi',
        type: 'container',
        enforcementMode: 'enforce',
        scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'shop' }] },
        controls: { blockedExecutables: { executables: ['/bin/vi'] } },
      }),
    ]),
    prodCluster,
  );

const execArgs = [{ linux_binprm_arg: { path: '/bin/vi' } }];

describe('mapping Tetragon export lines to audit events', () => {
  it('ignores the real example events: process_exec lines carry no policy, the kprobe example is of an object Vigil does not manage', () => {
    const index = nodeEventIndex(blockedInShop().report.index);
    const lines = [
      ...readFileSync(join(examples, 'events.jsonl'), 'utf8')
        .split('\n')
        .filter((line) => line !== ''),
      JSON.stringify(JSON.parse(readFileSync(join(examples, 'process_exec.json'), 'utf8'))),
    ];
    expect(lines).toHaveLength(4);
    for (const line of lines)
      expect(mapTetragonExportLine(line, index, context, sha256)).toEqual({ kind: 'ignored', reason: 'not-a-policy-event' });
    const kprobe = JSON.stringify(kprobeExample);
    expect(mapTetragonExportLine(kprobe, index, context, sha256)).toEqual({ kind: 'ignored', reason: 'unmanaged' });
  });

  it('maps a refused exec of an enforcing object to a Block with policy, control, pod, container, image and command', () => {
    const compilation = blockedInShop();
    const entry = only(compilation, 'blockedExecutables');
    expect(entry.action).toBe('block');
    const line = exportLine({
      policyName: entry.name,
      action: 'KPROBE_ACTION_OVERRIDE',
      hook: 'bprm_check_security',
      args: execArgs,
      namespace: 'shop',
    });
    const mapped = mapTetragonExportLine(line, nodeEventIndex(compilation.report.index), context, sha256);
    expect(mapped.kind).toBe('event');
    if (mapped.kind !== 'event') return;
    expect(mapped.event).toEqual({
      id: expect.stringMatching(/^tetragon-[0-9a-f]{40}$/),
      time: '2024-04-14T02:18:14.376Z',
      status: 'Block',
      policy: 'no-vi',
      policyType: 'container',
      policyVersion: 1,
      control: 'blockedExecutables',
      controlName: 'Executables Blocked',
      enforcementMode: 'enforce',
      action: 'process',
      message: 'Executables Blocked: refused bprm_check_security on /bin/vi by /bin/vi in pod shop/file-access',
      workload: {
        cluster: 'prod-eks',
        namespace: 'shop',
        pod: 'file-access',
        container: 'file-access',
        image: 'docker.io/library/busybox:latest',
        function: null,
        host: 'tetragon-dev-control-plane',
      },
      user: null,
      command: ['/bin/vi', '/etc/passwd'],
      enforcer: { group: 'default', type: 'agent', id: null },
    });
    expect(auditEventSchema.parse(mapped.event)).toEqual(mapped.event);
  });

  it('is a Detect when the kernel only reported, or when the object was compiled in monitor mode', () => {
    const enforcing = blockedInShop();
    const entry = only(enforcing, 'blockedExecutables');
    const posted = exportLine({
      policyName: entry.name,
      action: 'KPROBE_ACTION_POST',
      hook: 'bprm_check_security',
      args: execArgs,
      namespace: 'shop',
    });
    const mapped = mapTetragonExportLine(posted, nodeEventIndex(enforcing.report.index), context, sha256);
    expect(mapped.kind === 'event' && mapped.event.status).toBe('Detect');

    const auditing = compileNodePolicies(
      config([policy({ name: 'no-vi', type: 'container', controls: { blockedExecutables: { executables: ['/bin/vi'] } } })]),
      prodCluster,
    );
    const monitor = only(auditing, 'blockedExecutables');
    expect(monitor.action).toBe('detect');
    const overridden = exportLine({
      policyName: monitor.name,
      action: 'KPROBE_ACTION_OVERRIDE',
      hook: 'bprm_check_security',
      args: execArgs,
    });
    const fromMonitor = mapTetragonExportLine(overridden, nodeEventIndex(auditing.report.index), context, sha256);
    expect(fromMonitor.kind === 'event' && [fromMonitor.event.status, fromMonitor.event.enforcementMode]).toEqual(['Detect', 'audit']);
  });

  it('applies the full Vigil scope to the events of a widened object, bypass included', () => {
    const compilation = compileNodePolicies(
      config([
        policy({
          name: 'web-tools',
          type: 'container',
          scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'kubernetes.pod', value: 'web-*' }] },
          controls: { blockedExecutables: { executables: ['/bin/vi'] } },
        }),
      ]),
      prodCluster,
    );
    const entry = only(compilation, 'blockedExecutables');
    expect(entry.scopeWidened).toBe(true);
    const index = nodeEventIndex(compilation.report.index);
    const line = (namespace: string, pod: string) =>
      exportLine({ policyName: entry.name, action: 'KPROBE_ACTION_POST', hook: 'bprm_check_security', args: execArgs, namespace, pod });
    const inScope = mapTetragonExportLine(line('default', 'web-1'), index, context, sha256);
    expect(inScope.kind === 'event' && inScope.event.workload.pod).toBe('web-1');
    expect(mapTetragonExportLine(line('default', 'db-1'), index, context, sha256)).toEqual({ kind: 'ignored', reason: 'outside-scope' });
    expect(mapTetragonExportLine(line('kube-system', 'web-1'), index, context, sha256)).toEqual({
      kind: 'ignored',
      reason: 'outside-scope',
    });
  });

  it('maps host events (no pod) of a host policy with the node as host, and drops pod events of a host object', () => {
    const compilation = compileNodePolicies(
      config([policy({ name: 'host-tools', type: 'host', controls: { blockedExecutables: { executables: ['/usr/bin/nmap'] } } })]),
      prodCluster,
    );
    const entry = only(compilation, 'blockedExecutables');
    const index = nodeEventIndex(compilation.report.index);
    const host = exportLine({
      policyName: entry.name,
      action: 'KPROBE_ACTION_POST',
      hook: 'bprm_check_security',
      args: [{ linux_binprm_arg: { path: '/usr/bin/nmap' } }],
      host: true,
    });
    const mapped = mapTetragonExportLine(host, index, context, sha256);
    expect(mapped.kind === 'event' && [mapped.event.policyType, mapped.event.workload]).toEqual([
      'host',
      { cluster: 'prod-eks', namespace: null, pod: null, container: null, image: null, function: null, host: 'tetragon-dev-control-plane' },
    ]);
    const fromPod = exportLine({
      policyName: entry.name,
      action: 'KPROBE_ACTION_POST',
      hook: 'bprm_check_security',
      args: [],
      namespace: 'default',
    });
    expect(mapTetragonExportLine(fromPod, index, context, sha256)).toEqual({ kind: 'ignored', reason: 'outside-scope' });
  });

  it('names the action after the hook: sockets are network, file hooks are file', () => {
    const compilation = compileNodePolicies(
      config([
        policy({
          name: 'ports',
          type: 'container',
          enforcementMode: 'enforce',
          controls: { portBlock: { outbound: ['25'], inbound: [] } },
        }),
        policy({
          name: 'etc',
          type: 'container',
          enforcementMode: 'enforce',
          controls: { readOnlyFiles: { paths: ['/etc/*'], exceptions: [] } },
        }),
      ]),
      prodCluster,
    );
    const index = nodeEventIndex(compilation.report.index);
    const port = compilation.report.index.find((entry) => entry.control === 'portBlock')!;
    const files = compilation.report.index.find((entry) => entry.control === 'readOnlyFiles')!;
    const connect = mapTetragonExportLine(
      exportLine({
        policyName: port.name,
        action: 'KPROBE_ACTION_OVERRIDE',
        hook: 'socket_connect',
        args: [{ sockaddr_arg: { family: 'AF_INET', addr: '10.0.0.9', port: 25 } }],
      }),
      index,
      context,
      sha256,
    );
    expect(connect.kind === 'event' && [connect.event.status, connect.event.action, connect.event.message]).toEqual([
      'Block',
      'network',
      'Port Block: refused socket_connect on 10.0.0.9:25 by /bin/vi in pod default/file-access',
    ]);
    const write = mapTetragonExportLine(
      exportLine({
        policyName: files.name,
        action: 'KPROBE_ACTION_OVERRIDE',
        hook: 'file_permission',
        args: [{ file_arg: { path: '/etc/passwd' } }, { int_arg: 2 }],
      }),
      index,
      context,
      sha256,
    );
    expect(write.kind === 'event' && [write.event.status, write.event.action, write.event.control]).toEqual([
      'Block',
      'file',
      'readOnlyFiles',
    ]);
  });

  it('gives the same id to the same event read twice and different ids to different events', () => {
    const compilation = blockedInShop();
    const entry = only(compilation, 'blockedExecutables');
    const index = nodeEventIndex(compilation.report.index);
    const built = {
      policyName: entry.name,
      action: 'KPROBE_ACTION_OVERRIDE',
      hook: 'bprm_check_security',
      args: execArgs,
      namespace: 'shop',
    };
    const idOf = (line: string) => {
      const mapped = mapTetragonExportLine(line, index, context, sha256);
      return mapped.kind === 'event' ? mapped.event.id : undefined;
    };
    const first = idOf(exportLine(built));
    expect(first).toBeDefined();
    expect(idOf(exportLine(built))).toBe(first);
    expect(idOf(exportLine({ ...built, time: '2024-04-14T02:18:14.376304205Z' }))).not.toBe(first);
  });

  it('refuses lines that are not JSON objects or are too long, without throwing', () => {
    const index = nodeEventIndex(blockedInShop().report.index);
    expect(mapTetragonExportLine('{"process_lsm": {', index, context, sha256)).toEqual({ kind: 'ignored', reason: 'not-json' });
    expect(mapTetragonExportLine('[1,2]', index, context, sha256)).toEqual({ kind: 'ignored', reason: 'not-json' });
    expect(mapTetragonExportLine('{"process_lsm": {"policy_name": 3}}', index, context, sha256)).toEqual({
      kind: 'ignored',
      reason: 'not-a-policy-event',
    });
    expect(mapTetragonExportLine(' '.repeat(MAX_EXPORT_LINE_LENGTH + 1), index, context, sha256)).toEqual({
      kind: 'ignored',
      reason: 'too-long',
    });
  });

  it('splits Tetragon argument strings back into arguments, quotes included', () => {
    const exec = JSON.parse(readFileSync(join(examples, 'process_exec.json'), 'utf8')) as {
      process_exec: { parent: { arguments: string } };
    };
    expect(splitTetragonArguments(exec.process_exec.parent.arguments)).toEqual(['-c', 'curl https://ebpf.io/applications/#tetragon']);
    expect(splitTetragonArguments('')).toEqual([]);
    expect(splitTetragonArguments('a  "" b')).toEqual(['a', '', 'b']);
  });
});
