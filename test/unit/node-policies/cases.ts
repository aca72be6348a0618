// Compile cases shared by the golden tests and the benchmark's sanity check: one per control, scope form and mode.
import {
  compileNodePolicies,
  defaultEnforcerSettings,
  policySchema,
  type NodeClusterFacts,
  type NodePolicyCompilation,
  type NodePolicyConfig,
  type PolicyInput,
} from '../../../layers/core/index.js';

export const enforcingGroup: NodeClusterFacts['group'] = {
  name: 'default',
  enforce: true,
  containerProtection: true,
  hostProtection: true,
};
export const prodCluster: NodeClusterFacts = { cluster: 'prod-eks', group: enforcingGroup };

export function policy(input: Omit<PolicyInput, 'version'> & { version?: number }) {
  return policySchema.parse({ version: 1, ...input });
}

export function config(policies: ReturnType<typeof policy>[], extra: Partial<NodePolicyConfig> = {}): NodePolicyConfig {
  return { policies, applicationScopes: [], bypassScopes: defaultEnforcerSettings().bypassScopes, ...extra };
}

const inShop = { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'shop' }] };

export interface CompileCase {
  readonly name: string;
  readonly compile: () => NodePolicyCompilation;
}

export const compileCases: readonly CompileCase[] = [
  {
    name: 'container-blocked-executables-enforce',
    compile: () =>
      compileNodePolicies(
        config([
          policy({
            name: 'no-tools',
            type: 'container',
            enforcementMode: 'enforce',
            scope: inShop,
            controls: { blockedExecutables: { executables: ['/usr/bin/curl', 'wget', '/opt/tools/*', '*.sh', '/usr/*/nc', '*mid*'] } },
          }),
        ]),
        prodCluster,
      ),
  },
  {
    name: 'host-blocked-executables-audit',
    compile: () =>
      compileNodePolicies(
        config([
          policy({ name: 'host-tools', type: 'host', controls: { blockedExecutables: { executables: ['/usr/bin/nmap', 'tcpdump'] } } }),
        ]),
        prodCluster,
      ),
  },
  {
    name: 'container-port-block',
    compile: () =>
      compileNodePolicies(
        config([
          policy({
            name: 'ports',
            type: 'container',
            enforcementMode: 'enforce',
            controls: { portBlock: { outbound: ['25', '6660-6669'], inbound: ['22', '2375-2376'] } },
          }),
        ]),
        prodCluster,
      ),
  },
  {
    name: 'host-read-only-files',
    compile: () =>
      compileNodePolicies(
        config([
          policy({
            name: 'etc-locked',
            type: 'host',
            enforcementMode: 'enforce',
            controls: {
              readOnlyFiles: {
                paths: ['/etc/*', '/usr/bin/*', 'authorized_keys'],
                exceptions: ['/etc/resolv.conf', '/etc/hosts', '*.lock'],
              },
            },
          }),
        ]),
        prodCluster,
      ),
  },
  {
    name: 'container-file-integrity-monitoring',
    compile: () =>
      compileNodePolicies(
        config([
          policy({
            name: 'fim',
            type: 'container',
            enforcementMode: 'enforce',
            controls: {
              fileIntegrityMonitoring: {
                paths: ['/etc/*', '/root/.ssh/*'],
                exceptions: ['/etc/mtab'],
                operations: ['create', 'read', 'modify', 'delete', 'attributes'],
              },
            },
          }),
        ]),
        prodCluster,
      ),
  },
  {
    name: 'container-drift-reverse-shell-exec',
    compile: () =>
      compileNodePolicies(
        config([
          policy({
            name: 'runtime-defaults',
            type: 'container',
            enforcementMode: 'enforce',
            scope: {
              applicationScopes: ['Global'],
              expression: 'v1 && v2',
              variables: [
                { attribute: 'kubernetes.label', name: 'app', value: 'api' },
                { attribute: 'container.name', value: 'main' },
              ],
            },
            controls: {
              driftPrevention: { allowedExecutables: ['/tmp/app/run', '/tmp/cache/*', '/tmp/*/x'] },
              reverseShell: {
                allowedProcesses: ['python3', '/usr/bin/perl'],
                allowedIps: ['10.0.0.0/8', '192.168.1.*', '172.16.0.5', 'example.com'],
              },
              blockContainerExec: { allowedProcesses: ['/bin/ls', 'cat'] },
              forkGuard: { processLimit: 100 },
              readOnlyRootFilesystem: {},
            },
          }),
        ]),
        prodCluster,
      ),
  },
  {
    name: 'scope-forms',
    compile: () =>
      compileNodePolicies(
        config(
          [
            policy({
              name: 'apps-or',
              type: 'container',
              enforcementMode: 'enforce',
              scope: { applicationScopes: ['payments', 'shop-scope'], expression: '', variables: [] },
              controls: { blockedExecutables: { executables: ['/usr/bin/nc'] } },
            }),
            policy({
              name: 'ns-glob',
              type: 'container',
              enforcementMode: 'enforce',
              scope: {
                applicationScopes: ['Global'],
                expression: 'v1 && !v2',
                variables: [
                  { attribute: 'kubernetes.namespace', value: 'team-*' },
                  { attribute: 'kubernetes.label', name: 'tier', value: 'debug' },
                ],
              },
              controls: { blockedExecutables: { executables: ['/usr/bin/nc'] } },
            }),
            policy({
              name: 'widened-pod',
              type: 'container',
              enforcementMode: 'enforce',
              scope: { applicationScopes: ['Global'], expression: 'v1', variables: [{ attribute: 'kubernetes.pod', value: 'web-*' }] },
              controls: { blockedExecutables: { executables: ['/usr/bin/nc'] } },
            }),
            policy({
              name: 'other-cluster',
              type: 'container',
              enforcementMode: 'enforce',
              scope: {
                applicationScopes: ['Global'],
                expression: 'v1',
                variables: [{ attribute: 'kubernetes.cluster', value: 'staging-*' }],
              },
              controls: { blockedExecutables: { executables: ['/usr/bin/nc'] } },
            }),
            policy({
              name: 'disabled',
              type: 'container',
              enabled: false,
              controls: { blockedExecutables: { executables: ['/usr/bin/nc'] } },
            }),
          ],
          {
            applicationScopes: [
              {
                name: 'payments',
                expression: 'v1 || v2',
                variables: [
                  { attribute: 'kubernetes.namespace', value: 'payments' },
                  { attribute: 'kubernetes.namespace', value: 'billing' },
                ],
              },
              { name: 'shop-scope', expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'shop' }] },
            ],
          },
        ),
        { ...prodCluster, namespaces: ['default', 'kube-system', 'team-a', 'team-b', 'shop'] },
      ),
  },
  {
    name: 'split-large-block-list',
    compile: () =>
      compileNodePolicies(
        config([
          policy({
            name: 'big-list',
            type: 'container',
            enforcementMode: 'enforce',
            controls: {
              blockedExecutables: { executables: Array.from({ length: 700 }, (_, i) => `/opt/bin/tool-${String(i).padStart(3, '0')}`) },
            },
          }),
        ]),
        prodCluster,
      ),
  },
];
