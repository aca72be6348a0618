import { describe, expect, it, beforeAll } from 'vitest';
import YAML from 'yaml';
import { useLocalMode } from '../../support/local-mode.js';
import { tetragonProblems } from '../../support/tetragon-schema.js';
import { SPAWN_TIMEOUT, vigilFor } from './run-vigil.js';

// `vigil clusters node-policies` with the real binary against local mode: the preview a GitOps pipeline commits.

const local = useLocalMode();
const vigil = vigilFor(local);

describe('vigil clusters node-policies', { timeout: SPAWN_TIMEOUT }, () => {
  beforeAll(async () => {
    expect((await local.api('POST', '/v1/clusters', { name: 'prod-eks' })).status).toBe(201);
    expect(
      (
        await local.api('POST', '/v1/policies', {
          name: 'no-tools',
          type: 'container',
          enforcementMode: 'enforce',
          controls: { blockedExecutables: { executables: ['/usr/bin/curl'] }, forkGuard: {} },
        })
      ).status,
    ).toBe(201);
    expect((await local.api('POST', '/v1/enforcer-groups', { name: 'nodes', type: 'agent', enforce: true })).status).toBe(201);
  });

  it('prints the objects as multi-document YAML that validates against the Tetragon CRDs (-o yaml)', async () => {
    const result = await vigil.run(['clusters', 'node-policies', 'prod-eks', '--group', 'nodes', '-o', 'yaml']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^# Tetragon policies compiled by Vigil for cluster "prod-eks", enforcer group "nodes"/);
    const objects = YAML.parseAllDocuments(result.stdout).map((document) => document.toJS());
    expect(objects.map((o) => o.metadata.annotations['vigil.dev/policy'])).toEqual(['no-tools']);
    expect(objects[0].spec.options).toEqual([{ name: 'policy-mode', value: 'enforce' }]);
    for (const object of objects) expect(tetragonProblems(object)).toEqual([]);
  });

  it('prints a fidelity table by default and the whole answer with -o json', async () => {
    const table = await vigil.run(['clusters', 'node-policies', 'prod-eks']);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^POLICY +CONTROL +FIDELITY +ACTION +OBJECTS +WHY$/);
    expect(lines.slice(1).map((line) => line.split(/ {2,}/).slice(0, 5))).toEqual([
      ['no-tools', 'blockedExecutables', 'exact', 'detect', '1'],
      ['no-tools', 'forkGuard', 'impossible', 'none', '0'],
    ]);
    expect(table.stderr).toContain('1 Tetragon object for cluster "prod-eks", enforcer group "default"');
    const json = await vigil.run(['clusters', 'node-policies', 'prod-eks', '-o', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      cluster: 'prod-eks',
      group: 'default',
      report: { index: [{ policy: 'no-tools', action: 'detect' }] },
    });
  });

  it('exits 1 with the API error for an unknown cluster or a group that is not an agent group', async () => {
    const missing = await vigil.run(['clusters', 'node-policies', 'nope', '-o', 'yaml']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cluster "nope" is not registered/);
    const wrongGroup = await vigil.run(['clusters', 'node-policies', 'prod-eks', '--group', 'default-ke']);
    expect(wrongGroup.code).toBe(1);
    expect(wrongGroup.stderr).toMatch(/group: enforcer group "default-ke" is of type kube_enforcer/);
  });
});
