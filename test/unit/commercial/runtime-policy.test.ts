import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CommercialFormatError,
  convertCommercialDocument,
  convertRuntimePolicy,
  isCommercialDocument,
  isCommercialPolicy,
  unsupportedFields,
} from '../../../layers/core/commercial/index.js';
import { planImport } from '../../../layers/core/export-import.js';
import { applicationScopeSchema, enforcerSettingsSchema, policySchema, type Policy } from '../../../layers/core/schemas/index.js';

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/commercial/runtime-policy.json', import.meta.url), 'utf8')) as Record<
  string,
  unknown
>;

function convertCommercialPolicy(input: Record<string, unknown>) {
  const conversion = convertRuntimePolicy(input);
  return {
    policy: conversion.value,
    unsupported: conversion.unsupported,
    issues: conversion.issues,
    meaningChanges: conversion.meaningChanges,
  };
}

function parsed(input: unknown): Policy {
  const result = policySchema.safeParse(input);
  if (!result.success) throw new Error(`not a valid policy: ${JSON.stringify(result.error.issues, null, 2)}`);
  return result.data;
}

function controlsOf(policy: Policy): Record<string, Record<string, unknown>> {
  return policy.controls as Record<string, Record<string, unknown>>;
}

const emptyState = {
  policies: [],
  applicationScopes: [applicationScopeSchema.parse({ name: 'Global' })],
  settings: enforcerSettingsSchema.parse({}),
};

describe('convertCommercialPolicy', () => {
  describe('with a realistic container runtime policy', () => {
    const { policy, unsupported } = convertCommercialPolicy(fixture);
    const converted = parsed(policy);
    const controls = controlsOf(converted);

    it('produces a valid Vigil policy', () => {
      expect(policySchema.safeParse(policy).success).toBe(true);
    });

    it('carries name, description, type, state and the scheduled switch to enforce', () => {
      expect(converted).toMatchObject({
        name: 'prod-runtime-policy',
        type: 'container',
        description: 'Runtime protection for the production EKS clusters',
        enabled: true,
        enforcementMode: 'audit',
        // The countdown started in the product (enforce_scheduler_added_on): the original due time is kept.
        enforcementModeChange: { to: 'enforce', at: '2024-05-02T13:40:00.000Z' },
      });
    });

    it('carries the scope and folds the per-policy bypass scope into the expression', () => {
      expect(converted.scope).toEqual({
        applicationScopes: ['Global'],
        expression: 'v1 && v2 && !v3',
        variables: [
          { attribute: 'kubernetes.cluster', value: 'prod-*' },
          { attribute: 'kubernetes.namespace', value: 'payments' },
          { attribute: 'kubernetes.label', name: 'team', value: 'observability' },
        ],
      });
    });

    it('maps container exec with its allowed processes', () => {
      expect(controls.blockContainerExec).toEqual({
        enabled: true,
        allowedProcesses: ['/ecs-execute-command-*/amazon-ssm-agent', '/usr/bin/date'],
      });
    });

    it('maps container privilege limits, writing every check out', () => {
      expect(controls.limitContainerPrivileges).toEqual({
        enabled: true,
        privileged: true,
        hostNetwork: true,
        hostPid: true,
        hostIpc: true,
        rootUser: false,
        lowPortBinding: false,
        addCapabilities: true,
      });
      expect(controls.noNewPrivileges).toEqual({ enabled: true });
    });

    it('maps capability, volume, registry, executable and drift lists', () => {
      expect(controls.blockedCapabilities).toEqual({ enabled: true, capabilities: ['SYS_ADMIN', 'NET_ADMIN'] });
      expect(controls.restrictedVolumes).toEqual({ enabled: true, paths: ['/var/run/docker.sock', '/proc', '/etc/*'] });
      expect(controls.allowedRegistries).toEqual({
        enabled: true,
        registries: ['123456789012.dkr.ecr.eu-west-1.amazonaws.com', 'docker.io'],
      });
      expect(controls.blockedExecutables).toEqual({ enabled: true, executables: ['nc', 'ncat', 'nmap', 'xmrig'] });
      expect(controls.driftPrevention).toEqual({ enabled: true, allowedExecutables: ['/usr/local/bin/entrypoint.sh'] });
    });

    it('maps node-agent controls, turning octet-aligned networks into IP globs', () => {
      expect(controls.reverseShell).toEqual({ enabled: true, allowedProcesses: [], allowedIps: ['10.*', '192.168.1.10'] });
      expect(controls.forkGuard).toEqual({ enabled: true, processLimit: 500 });
      expect(controls.readOnlyFiles).toEqual({ enabled: true, paths: ['/etc/passwd', '/etc/shadow'], exceptions: [] });
      expect(controls.fileIntegrityMonitoring).toEqual({
        enabled: true,
        paths: ['/usr/bin/*', '/etc/*'],
        exceptions: ['/etc/resolv.conf'],
        operations: ['create', 'modify', 'delete'],
      });
    });

    it('leaves out controls that are off and empty', () => {
      expect(controls.portBlock).toBeUndefined();
      expect(Object.keys(controls).sort()).toEqual([
        'allowedRegistries',
        'blockContainerExec',
        'blockedCapabilities',
        'blockedExecutables',
        'driftPrevention',
        'fileIntegrityMonitoring',
        'forkGuard',
        'limitContainerPrivileges',
        'noNewPrivileges',
        'readOnlyFiles',
        'restrictedVolumes',
        'reverseShell',
      ]);
    });

    it('reports by path every field holding a setting it could not carry over, and nothing else', () => {
      expect(unsupported).toEqual([
        'auditing',
        'block_fileless_exec',
        'block_non_k8s_containers',
        'enable_crypto_mining_dns',
        'enable_ip_reputation',
        'file_block',
        'file_integrity_monitoring.monitored_files_processes',
        'limit_container_privileges.utsmode',
        'malware_scan_options',
      ]);
    });

    it('goes through planImport like any document', () => {
      const plan = planImport(emptyState, { formatVersion: 1, policies: [policy] }, 'create');
      expect(plan.ok && plan.items.map((item) => [item.kind, item.name, item.result])).toEqual([
        ['policy', 'prod-runtime-policy', 'created'],
      ]);
    });
  });

  it('maps an enforcing policy and drops enforce_after_days then without listing it: there is nothing left to switch', () => {
    const { policy, unsupported } = convertCommercialPolicy({ name: 'p', runtime_type: 'container', enforce: true, enforce_after_days: 3 });
    expect(parsed(policy)).toMatchObject({ enforcementMode: 'enforce' });
    expect(parsed(policy).enforcementModeChange).toBeUndefined();
    expect(unsupported).toEqual([]);
  });

  it('says that a countdown without its start restarts at import, and reports a due time that has passed', () => {
    const restarted = convertRuntimePolicy({ name: 'p', runtime_type: 'container', enforce: false, enforce_after_days: 3 });
    expect(restarted.value).toMatchObject({ enforcementModeChange: { to: 'enforce', afterDays: 3 } });
    expect(restarted.meaningChanges.map((change) => change.field)).toEqual(['enforce_after_days']);
    const passed = convertRuntimePolicy(
      { name: 'p', runtime_type: 'container', enforce: false, enforce_after_days: 3, enforce_scheduler_added_on: 1_700_000_000 },
      { now: new Date('2026-01-01T00:00:00Z') },
    );
    expect(passed.value).not.toHaveProperty('enforcementModeChange');
    expect(passed.meaningChanges[0]?.message).toMatch(/^the switch to enforce was due at 2023-11-17T22:13:20.000Z, which has passed/);
  });

  it('reads enforce_scheduler_added_on as Unix seconds, or as milliseconds when it is larger than 10^12', () => {
    // The product does not document the unit; 10^12 seconds lie in the year 33658, 10^12 milliseconds in 2001.
    const now = { now: new Date('2026-01-01T00:00:00Z') };
    const started = (addedOn: number) =>
      convertRuntimePolicy(
        { name: 'p', runtime_type: 'container', enforce: false, enforce_after_days: 3, enforce_scheduler_added_on: addedOn },
        now,
      ).value;
    const due = { to: 'enforce', at: '2026-01-03T00:00:00.000Z' };
    expect(started(Date.parse('2025-12-31T00:00:00Z') / 1000)).toMatchObject({ enforcementModeChange: due });
    expect(started(Date.parse('2025-12-31T00:00:00Z'))).toMatchObject({ enforcementModeChange: due });
  });

  it('maps a function policy: drift in /tmp, blocked executables and the honeypot', () => {
    const { policy, unsupported } = convertCommercialPolicy({
      name: 'lambda-guard',
      runtime_type: 'function',
      enabled: true,
      enforce: true,
      application_scopes: ['Global'],
      scope: { expression: 'v1', variables: [{ attribute: 'function.name', value: 'payments-*', name: '' }] },
      drift_prevention: { enabled: false, exec_lockdown: true, image_lockdown: false, exec_lockdown_white_list: ['/opt/bin/helper'] },
      executable_blacklist: { enabled: true, executables: ['sh', 'curl'] },
      tripwire: {
        enabled: true,
        user_id: 'AKIAABCDEFGHIJKLMNOP',
        user_password: 'honeypot-secret-value',
        apply_on: ['ENV', 'LAYER'],
        serverless_app: 'payments',
      },
      container_exec: { enabled: true, block_container_exec: true, container_exec_proc_white_list: [] },
    });
    const converted = parsed(policy);
    expect(converted).toMatchObject({
      type: 'function',
      enforcementMode: 'enforce',
      scope: { expression: 'v1', variables: [{ attribute: 'function.name', value: 'payments-*' }] },
    });
    expect(controlsOf(converted)).toEqual({
      driftPrevention: { enabled: true, allowedExecutables: ['/opt/bin/helper'] },
      blockedExecutables: { enabled: true, executables: ['sh', 'curl'] },
      honeypot: { enabled: true, accessKeyId: 'AKIAABCDEFGHIJKLMNOP', secretAccessKey: 'honeypot-secret-value', applyOn: ['environment'] },
    });
    expect(unsupported).toEqual(['container_exec', 'tripwire.apply_on.1', 'tripwire.serverless_app']);
  });

  it('reads "serverless" as a function policy', () => {
    expect(parsed(convertCommercialPolicy({ name: 'f', runtime_type: 'serverless', enforce: false }).policy).type).toBe('function');
  });

  it('maps a host policy: OS users and login auditing', () => {
    const { policy, unsupported } = convertCommercialPolicy({
      name: 'hosts',
      runtime_type: 'host',
      enforce: false,
      blacklisted_os_users: { enabled: true, user_black_list: ['guest'], group_black_list: ['games'] },
      whitelisted_os_users: { enabled: false, user_white_list: ['ops'], group_white_list: [] },
      auditing: { enabled: true, audit_success_login: true, audit_failed_login: true, audit_all_processes: true },
      port_block: { enabled: true, block_inbound_ports: ['23', '6000-6063'], block_outbound_ports: [] },
    });
    expect(controlsOf(parsed(policy))).toEqual({
      osUsers: { enabled: true, allowed: [], blocked: ['guest'] },
      loginAuditing: { enabled: true },
      portBlock: { enabled: true, inbound: ['23', '6000-6063'], outbound: [] },
    });
    expect(unsupported).toEqual([
      'auditing.audit_all_processes',
      'blacklisted_os_users.group_black_list',
      'whitelisted_os_users.user_white_list',
    ]);
  });

  it('keeps a scope variable with an unknown attribute, reports it and lets validation refuse the policy', () => {
    const { policy, unsupported } = convertCommercialPolicy({
      name: 'p',
      runtime_type: 'container',
      enforce: false,
      scope: { expression: 'v1', variables: [{ attribute: 'aqua.serverless_app', value: 'x' }] },
    });
    expect(unsupported).toEqual(['scope.variables.0.attribute']);
    const result = policySchema.safeParse(policy);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['scope.variables.0.attribute']);
  });

  it('reports a bypass scope it cannot fold into the expression', () => {
    const { policy, unsupported } = convertCommercialPolicy({
      name: 'p',
      runtime_type: 'container',
      enforce: false,
      bypass_scope: { enabled: true, scope: { expression: 'v1 &&', variables: [{ attribute: 'kubernetes.namespace', value: 'x' }] } },
    });
    expect(unsupported).toEqual(['bypass_scope']);
    expect(parsed(policy).scope).toEqual({ applicationScopes: ['Global'], expression: '', variables: [] });
  });

  it('drops a registry allow-list made only of display names instead of flagging every pod', () => {
    const { policy, unsupported } = convertCommercialPolicy({
      name: 'p',
      runtime_type: 'container',
      enforce: false,
      allowed_registries: { enabled: true, allowed_registries: ['ECR prod'] },
    });
    expect(controlsOf(parsed(policy)).allowedRegistries).toBeUndefined();
    expect(unsupported).toEqual(['allowed_registries']);
  });

  it('reports networks that cannot be written as an IP glob', () => {
    const { policy, unsupported } = convertCommercialPolicy({
      name: 'p',
      runtime_type: 'container',
      enforce: false,
      reverse_shell: { enabled: true, reverse_shell_ip_white_list: ['10.1.0.0/12', '172.16.0.0/16', '0.0.0.0/0'] },
    });
    expect(controlsOf(parsed(policy)).reverseShell?.allowedIps).toEqual(['172.16.*', '*']);
    expect(unsupported).toEqual(['reverse_shell.reverse_shell_ip_white_list.0']);
  });

  it('refuses an unknown runtime type, naming the field and the types it knows', () => {
    const { issues } = convertCommercialPolicy({ name: 'p', runtime_type: 'vm', enforce: false, no_new_privileges: true });
    expect(issues).toEqual([
      { path: 'runtime_type', message: 'must be "container", "host", "function" or "serverless"; it is the string "vm"' },
    ]);
  });

  it('refuses values of the wrong type instead of guessing: "false" must not give an enabled policy', () => {
    const { issues, unsupported } = convertCommercialPolicy({ name: 'p', runtime_type: 'container', enforce: 'true', enabled: 'false' });
    expect(issues).toEqual([
      { path: 'enabled', message: 'must be true or false; it is the string "false"' },
      { path: 'enforce', message: 'must be true or false; it is the string "true"' },
    ]);
    expect(unsupported).toEqual([]);
  });

  it('names scope.variables when it is not a list, not the expression that uses it', () => {
    const { issues } = convertCommercialPolicy({
      name: 'p',
      runtime_type: 'container',
      scope: { expression: 'v1', variables: { attribute: 'kubernetes.namespace', value: 'x' } },
    });
    expect(issues.map((issue) => issue.path)).toEqual(['scope.variables']);
  });

  it('translates aqua.hostgroup to the host group attribute and ignores a name on a keyless attribute, saying both', () => {
    const { policy, meaningChanges, issues } = convertCommercialPolicy({
      name: 'p',
      runtime_type: 'host',
      scope: {
        expression: 'v1 && v2',
        variables: [
          { attribute: 'aqua.hostgroup', value: 'production', name: '' },
          { attribute: 'os.hostname', value: 'web-*', name: 'name' },
        ],
      },
    });
    expect(issues).toEqual([]);
    expect(parsed(policy).scope.variables).toEqual([
      { attribute: 'host.group', value: 'production' },
      { attribute: 'os.hostname', value: 'web-*' },
    ]);
    expect(meaningChanges.map((change) => change.field)).toEqual(['scope.variables.0.attribute', 'scope.variables.1.name']);
  });

  it('turns "Docker Hub" into docker.io and says what that means', () => {
    const { policy, unsupported, meaningChanges } = convertCommercialPolicy({
      name: 'p',
      runtime_type: 'container',
      allowed_registries: { enabled: true, allowed_registries: ['Docker Hub', 'ECR prod', 'gcr.io'] },
    });
    expect(controlsOf(parsed(policy)).allowedRegistries).toEqual({ enabled: true, registries: ['docker.io', 'gcr.io'] });
    expect(unsupported).toEqual(['allowed_registries.allowed_registries.1']);
    expect(meaningChanges).toEqual([
      { field: 'allowed_registries.allowed_registries.0', message: expect.stringContaining('count as docker.io') },
    ]);
  });

  it('expresses excluded application scopes as a negated formula', () => {
    const conversion = convertRuntimePolicy(
      {
        name: 'p',
        runtime_type: 'container',
        scope: { expression: 'v1', variables: [{ attribute: 'kubernetes.cluster', value: 'prod' }] },
        exclude_application_scopes: ['batch'],
      },
      {
        applicationScope: (name) =>
          name === 'batch' ? { expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'batch-*' }] } : undefined,
      },
    );
    expect(parsed(conversion.value).scope).toEqual({
      applicationScopes: ['Global'],
      expression: 'v1 && !v2',
      variables: [
        { attribute: 'kubernetes.cluster', value: 'prod' },
        { attribute: 'kubernetes.namespace', value: 'batch-*' },
      ],
    });
    expect(conversion.sourceOf('scope.variables.1.value')).toBe('exclude_application_scopes.0');
    const unknown = convertRuntimePolicy({ name: 'p', runtime_type: 'container', exclude_application_scopes: ['nowhere'] });
    expect(unknown.issues.map((issue) => issue.path)).toEqual(['exclude_application_scopes.0']);
  });

  it("does not list controls that are switched off, nor the product's object type", () => {
    const { unsupported } = convertCommercialPolicy({
      name: 'p',
      runtime_type: 'function',
      type: 'runtime.policy',
      malware_scan_options: { enabled: false, action: 'alert', exclude_directories: ['/tmp'] },
    });
    expect(unsupported).toEqual([]);
  });
});

describe('isCommercialPolicy', () => {
  it('recognises the snake_case shape', () => {
    expect(isCommercialPolicy(fixture)).toBe(true);
    expect(isCommercialPolicy({ name: 'p', enforce: false })).toBe(true);
    expect(isCommercialPolicy({ name: 'p', runtime_type: 'host' })).toBe(true);
  });

  it('does not mistake a Vigil policy or other values for one', () => {
    expect(isCommercialPolicy({ name: 'p', type: 'container', enforcementMode: 'audit' })).toBe(false);
    expect(isCommercialPolicy({ name: 'p', enforce: true, controls: {} })).toBe(false);
    expect(isCommercialPolicy([fixture])).toBe(false);
    expect(isCommercialPolicy(null)).toBe(false);
  });
});

describe('convertCommercialDocument', () => {
  const second = { name: 'lambda', runtime_type: 'function', enforce: false, executable_blacklist: { enabled: true, executables: ['sh'] } };

  it.each([
    ['an array', [fixture, second]],
    ['a {policies} wrapper', { policies: [fixture, second] }],
    ['the list response {count, page, pagesize, result}', { count: 2, page: 1, pagesize: 50, result: [fixture, second] }],
  ])('accepts %s and builds an import document', (_label, input) => {
    const conversion = convertCommercialDocument(input);
    const { document } = conversion;
    expect(document.formatVersion).toBe(1);
    expect(document.policies).toHaveLength(2);
    expect(unsupportedFields(conversion).map((entry) => entry.name)).toEqual(['prod-runtime-policy']);
    const plan = planImport(emptyState, document, 'upsert');
    expect(plan.ok && plan.items.map((item) => [item.name, item.result])).toEqual([
      ['prod-runtime-policy', 'created'],
      ['lambda', 'created'],
    ]);
  });

  it('accepts a single policy', () => {
    expect(convertCommercialDocument(second).document.policies).toHaveLength(1);
  });

  it('names policies without a name by their path, and planImport reports them', () => {
    const conversion = convertCommercialDocument([{ runtime_type: 'container', enforce: false, block_fileless_exec: true }]);
    const { document } = conversion;
    expect(unsupportedFields(conversion)).toEqual([{ kind: 'policy', name: '0', fields: ['block_fileless_exec'] }]);
    const plan = planImport(emptyState, document, 'upsert');
    expect(!plan.ok && plan.errors.map((error) => error.path)).toEqual(['policies.0.name']);
  });

  it('throws CommercialFormatError for anything else', () => {
    expect(() => convertCommercialDocument({ formatVersion: 1 })).toThrow(CommercialFormatError);
    expect(() => convertCommercialDocument('x')).toThrow(CommercialFormatError);
  });
});

describe('isCommercialDocument', () => {
  it('tells commercial exports from Vigil documents', () => {
    expect(isCommercialDocument([fixture])).toBe(true);
    expect(isCommercialDocument({ result: [fixture] })).toBe(true);
    expect(isCommercialDocument(fixture)).toBe(true);
    expect(isCommercialDocument({ formatVersion: 1, policies: [{ name: 'p', type: 'container' }] })).toBe(false);
    expect(isCommercialDocument({ policies: [] })).toBe(false);
  });
});
