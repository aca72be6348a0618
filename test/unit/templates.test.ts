import { describe, expect, it } from 'vitest';
import { policySchema } from '../../layers/core/schemas/index.js';
import { findTemplate, policyFromTemplate, policyTemplates, UnknownTemplateError } from '../../layers/core/templates.js';

function template(id: string) {
  const found = findTemplate(id);
  if (!found) throw new Error(`template ${id} is missing`);
  return found;
}

describe('policyTemplates', () => {
  it.each(policyTemplates.map((t) => [t.id, t] as const))('%s passes policySchema as it is', (_id, t) => {
    const result = policySchema.safeParse(t.policy);
    expect(result.error?.issues ?? []).toEqual([]);
  });

  it('offers every template the API promises', () => {
    expect(policyTemplates.map((t) => t.id)).toEqual(
      expect.arrayContaining(['default', 'cis-kubernetes', 'nist-800-190', 'lambda-default']),
    );
  });

  it('has unique ids, and names each policy after its template', () => {
    expect(new Set(policyTemplates.map((t) => t.id)).size).toBe(policyTemplates.length);
    for (const t of policyTemplates) expect(t.policy.name).toBe(t.id);
  });

  it('starts every template in audit mode with a title and descriptions', () => {
    for (const t of policyTemplates) {
      expect(t.policy.enforcementMode).toBe('audit');
      expect(t.title).not.toBe('');
      expect(t.description.length).toBeGreaterThan(100);
      expect(t.policy.description ?? '').not.toBe('');
    }
  });

  it('gives each template the policy type its purpose needs', () => {
    expect(template('default').policy.type).toBe('container');
    expect(template('cis-kubernetes').policy.type).toBe('container');
    expect(template('nist-800-190').policy.type).toBe('container');
    expect(template('lambda-default').policy.type).toBe('function');
  });

  it('default blocks interactive access with no allowed process and needs no node agent', () => {
    const controls = policySchema.parse(template('default').policy).controls as Record<string, Record<string, unknown>>;
    expect(controls.blockContainerExec).toEqual({ enabled: true, allowedProcesses: [] });
    for (const key of ['blockContainerAttach', 'blockPortForward', 'blockDebugContainers']) expect(controls[key]?.enabled).toBe(true);
    expect(controls.driftPrevention).toBeUndefined();
  });

  it('cis-kubernetes cites the benchmark version and every 5.2 item it maps', () => {
    const t = template('cis-kubernetes');
    for (const text of [t.description, t.policy.description ?? '']) {
      expect(text).toContain('v1.8.0');
      for (const item of ['5.2.2', '5.2.3', '5.2.4', '5.2.5', '5.2.6', '5.2.7', '5.2.8', '5.2.9', '5.2.12', '5.2.13'])
        expect(text).toContain(item);
    }
  });

  it('cis-kubernetes turns on the checks its description claims', () => {
    const controls = policySchema.parse(template('cis-kubernetes').policy).controls as Record<string, Record<string, unknown>>;
    expect(controls.limitContainerPrivileges).toMatchObject({
      enabled: true,
      privileged: true,
      hostPid: true,
      hostIpc: true,
      hostNetwork: true,
      rootUser: true,
      addCapabilities: true,
    });
    expect(controls.noNewPrivileges?.enabled).toBe(true);
    expect(controls.blockedCapabilities?.capabilities).toContain('NET_RAW');
    expect(controls.restrictedVolumes?.paths).toEqual(['/*']);
  });

  it('nist-800-190 cites the SP 800-190 sections it maps', () => {
    const t = template('nist-800-190');
    for (const text of [t.description, t.policy.description ?? '']) {
      expect(text).toContain('800-190');
      for (const section of ['§4.4.3', '§4.4.4', '§4.4.5', '§4.5.5']) expect(text).toContain(section);
    }
  });

  it('lambda-default blocks shells and download tools, prevents drift and plants honeypot credentials in the environment', () => {
    const controls = policySchema.parse(template('lambda-default').policy).controls as Record<string, Record<string, unknown>>;
    expect(controls.blockedExecutables?.executables).toEqual(expect.arrayContaining(['sh', 'bash', 'curl', 'wget', 'nc']));
    expect(controls.driftPrevention?.enabled).toBe(true);
    expect(controls.honeypot).toMatchObject({ enabled: true, applyOn: ['environment'] });
  });

  it('is frozen, so no caller can change a template for everyone', () => {
    const t = template('default');
    expect(Object.isFrozen(t)).toBe(true);
    expect(Object.isFrozen(t.policy.controls)).toBe(true);
    expect(Object.isFrozen(policyTemplates)).toBe(true);
  });
});

describe('findTemplate', () => {
  it('returns undefined for an unknown id', () => {
    expect(findTemplate('nope')).toBeUndefined();
  });
});

describe('policyFromTemplate', () => {
  it('returns the template policy when there are no overrides', () => {
    expect(policySchema.parse(policyFromTemplate('default', {}))).toEqual(policySchema.parse(template('default').policy));
  });

  it('deep-merges overrides and keeps everything they do not mention', () => {
    const policy = policySchema.parse(
      policyFromTemplate('default', {
        name: 'exec-guard',
        enforcementMode: 'enforce',
        description: 'mine',
        scope: { applicationScopes: ['payments'] },
        controls: { blockContainerExec: { allowedProcesses: ['/usr/bin/date'] }, blockPortForward: { enabled: false } },
      }),
    );
    expect(policy).toMatchObject({
      name: 'exec-guard',
      enforcementMode: 'enforce',
      description: 'mine',
      scope: { applicationScopes: ['payments'], expression: '', variables: [] },
    });
    const controls = policy.controls as Record<string, Record<string, unknown>>;
    expect(controls.blockContainerExec).toEqual({ enabled: true, allowedProcesses: ['/usr/bin/date'] });
    expect(controls.blockPortForward).toEqual({ enabled: false });
    expect(controls.blockContainerAttach).toEqual({ enabled: true });
  });

  it('replaces arrays instead of concatenating them', () => {
    const policy = policyFromTemplate('lambda-default', { controls: { blockedExecutables: { executables: ['python*'] } } }) as {
      controls: { blockedExecutables: { executables: string[] } };
    };
    expect(policy.controls.blockedExecutables.executables).toEqual(['python*']);
  });

  it('accepts a scheduled switch to enforce', () => {
    const policy = policySchema.parse(policyFromTemplate('cis-kubernetes', { enforcementModeChange: { to: 'enforce', afterDays: 14 } }));
    expect(policy.enforcementModeChange).toEqual({ to: 'enforce', afterDays: 14 });
  });

  it('leaves the template untouched', () => {
    const before = JSON.stringify(template('default'));
    const result = policyFromTemplate('default', { controls: { blockContainerExec: { allowedProcesses: ['x'] } } }) as {
      controls: { blockContainerExec: { allowedProcesses: string[] } };
    };
    result.controls.blockContainerExec.allowedProcesses.push('y');
    expect(JSON.stringify(template('default'))).toBe(before);
  });

  it('lets bad overrides fail validation with their paths', () => {
    const result = policySchema.safeParse(
      policyFromTemplate('default', {
        name: ' bad name ',
        enforcementMode: 'block',
        controls: { blockContainerExec: { allowedProcesses: [''] }, honeypot: { enabled: true } },
      }),
    );
    expect(result.success).toBe(false);
    const paths = (result.error?.issues ?? []).map((issue) => issue.path.join('.'));
    expect(paths).toEqual(
      expect.arrayContaining(['name', 'enforcementMode', 'controls.blockContainerExec.allowedProcesses.0', 'controls']),
    );
  });

  it('rejects an override that makes enforcementModeChange pointless', () => {
    const result = policySchema.safeParse(policyFromTemplate('default', { enforcementModeChange: { to: 'audit', afterDays: 1 } }));
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['enforcementModeChange.to']);
  });

  it('turns a "__proto__" key into a rejected field instead of a prototype', () => {
    const overrides = JSON.parse('{"__proto__": {"polluted": true}, "controls": {"__proto__": {"enabled": true}}}') as Record<
      string,
      unknown
    >;
    const merged = policyFromTemplate('default', overrides);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(policySchema.safeParse(merged).success).toBe(false);
  });

  it('throws UnknownTemplateError naming the known ids', () => {
    expect(() => policyFromTemplate('pci', {})).toThrow(UnknownTemplateError);
    try {
      policyFromTemplate('pci', {});
    } catch (error) {
      expect(error).toBeInstanceOf(UnknownTemplateError);
      expect((error as UnknownTemplateError).templateId).toBe('pci');
      expect((error as UnknownTemplateError).knownIds).toContain('default');
    }
  });

  it('refuses overrides that are not an object', () => {
    expect(() => policyFromTemplate('default', [] as unknown as Record<string, unknown>)).toThrow(TypeError);
  });
});
