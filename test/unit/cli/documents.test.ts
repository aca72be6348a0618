import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  classify,
  collectFiles,
  describeOrigin,
  FileProblems,
  importBody,
  loadDesiredState,
  mergeDocuments,
  parseDocuments,
} from '../../../cli/documents.js';

describe('classify', () => {
  it('tells documents, policies, scopes and settings apart by their fields', () => {
    expect(classify({ formatVersion: 1, policies: [] })).toMatchObject({ kind: 'document' });
    expect(classify({ name: 'p', type: 'container', controls: {} })).toMatchObject({ kind: 'policy' });
    expect(classify({ name: 'p', controls: {} })).toMatchObject({ kind: 'policy' });
    expect(classify({ name: 's', expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: 'x' }] })).toMatchObject({
      kind: 'applicationScope',
    });
    expect(classify({ name: 's' })).toMatchObject({ kind: 'applicationScope' });
    expect(classify({ bypassScopes: [], auditRetentionDays: 30 })).toMatchObject({ kind: 'settings' });
  });

  it('takes an explicit kind and removes it from the item', () => {
    expect(classify({ kind: 'Settings', admissionWarnings: false })).toEqual({ kind: 'settings', value: { admissionWarnings: false } });
    expect(classify({ kind: 'application-scope', name: 'x' })).toEqual({ kind: 'applicationScope', value: { name: 'x' } });
    expect(classify({ kind: 'widget', name: 'x' })).toHaveProperty('error', expect.stringContaining('"kind" must be'));
  });

  it('tells enforcer groups by kind, or by an enforcer type where a policy has a policy type', () => {
    expect(classify({ kind: 'EnforcerGroup', name: 'default-ke', enforce: true })).toEqual({
      kind: 'enforcerGroup',
      value: { name: 'default-ke', enforce: true },
    });
    expect(classify({ name: 'team-ke', type: 'kube_enforcer' })).toMatchObject({ kind: 'enforcerGroup' });
    expect(classify({ name: 'p', type: 'host' })).toMatchObject({ kind: 'policy' });
  });

  it('merges the groups of export documents and single documents, and names a group declared twice', () => {
    const origin = (file: string) => ({ file, path: [] });
    const { state, issues } = mergeDocuments([
      { value: { formatVersion: 1, enforcerGroups: [{ name: 'g', type: 'agent' }] }, origin: origin('a.yaml') },
      { value: { kind: 'EnforcerGroup', name: 'g', enforce: true }, origin: origin('b.yaml') },
    ]);
    expect(state.enforcerGroups).toEqual([
      { name: 'g', type: 'agent' },
      { name: 'g', enforce: true },
    ]);
    expect(state.document).not.toHaveProperty('enforcerGroups');
    expect(issues).toEqual([
      expect.objectContaining({
        path: 'name',
        message: expect.stringContaining('enforcer group "g" is declared more than once; first in a.yaml'),
      }),
    ]);
  });

  it('sends commercial policies to `vigil import` and refuses what it cannot place', () => {
    expect(classify({ name: 'p', runtime_type: 'container', enforce: false })).toHaveProperty(
      'error',
      expect.stringContaining('vigil import'),
    );
    expect(classify({ description: 'what is this' })).toHaveProperty('error', expect.stringContaining('cannot tell'));
    expect(classify('text')).toHaveProperty('error', expect.stringContaining('expected an object'));
  });
});

describe('parseDocuments', () => {
  it('reads every YAML document of a file, numbering them, and skips empty ones', () => {
    const { documents, issues } = parseDocuments('a.yaml', 'name: one\n---\n---\nname: two\n');
    expect(issues).toEqual([]);
    expect(documents.map((d) => d.value)).toEqual([{ name: 'one' }, { name: 'two' }]);
    expect(documents.map((d) => d.origin.document)).toEqual([1, 3]);
  });

  it('keeps timestamps and yes/no as strings (YAML 1.2 core schema)', () => {
    const { documents } = parseDocuments('a.yml', 'at: 2026-12-01T09:00:00Z\nvalue: yes\n');
    expect(documents[0]?.value).toEqual({ at: '2026-12-01T09:00:00Z', value: 'yes' });
  });

  it('reports syntax errors with the line instead of throwing', () => {
    const yaml = parseDocuments('bad.yaml', 'name: [unclosed\n');
    expect(yaml.documents).toEqual([]);
    expect(yaml.issues[0]?.message).toMatch(/^not valid YAML: .* at line \d+, column \d+$/);
    const json = parseDocuments('bad.json', '{"name": ');
    expect(json.issues[0]?.message).toMatch(/^not valid JSON/);
  });

  it('refuses duplicate keys, which would silently drop a setting', () => {
    expect(parseDocuments('dup.yaml', 'name: a\nname: b\n').issues).toHaveLength(1);
  });
});

describe('mergeDocuments', () => {
  it('merges documents, single items and lists, remembering where each item came from', () => {
    const { state, issues } = mergeDocuments([
      {
        origin: { file: 'all.yaml', path: [] },
        value: {
          formatVersion: 1,
          policies: [{ name: 'p1', type: 'host' }],
          applicationScopes: [{ name: 's1' }],
          settings: { admissionWarnings: false },
        },
      },
      { origin: { file: 'p2.yaml', path: [] }, value: { name: 'p2', type: 'container' } },
      { origin: { file: 'list.yaml', document: 2, path: [] }, value: [{ name: 's2' }, { name: 'p3', type: 'function' }] },
    ]);
    expect(issues).toEqual([]);
    expect(state.document).toEqual({
      formatVersion: 1,
      policies: [
        { name: 'p1', type: 'host' },
        { name: 'p2', type: 'container' },
        { name: 'p3', type: 'function' },
      ],
      applicationScopes: [{ name: 's1' }, { name: 's2' }],
      settings: { admissionWarnings: false },
    });
    expect(state.origins.policies.map((o) => describeOrigin(o))).toEqual(['all.yaml: policies.0', 'p2.yaml', 'list.yaml (document 2): 1']);
    expect(describeOrigin(state.origins.settings, 'bypassScopes.0')).toBe('all.yaml: settings.bypassScopes.0');
  });

  it('reports duplicate names and settings declared twice with both places', () => {
    const { issues } = mergeDocuments([
      { origin: { file: 'a.yaml', path: [] }, value: { name: 'p', type: 'container' } },
      { origin: { file: 'b.yaml', path: [] }, value: { name: 'p', type: 'container' } },
      { origin: { file: 'c.yaml', path: [] }, value: { auditRetentionDays: 10 } },
      { origin: { file: 'd.yaml', path: [] }, value: { auditRetentionDays: 20 } },
    ]);
    expect(issues.map((i) => `${describeOrigin(i.origin, i.path)}: ${i.message}`)).toEqual([
      'd.yaml: settings are declared more than once; first in c.yaml',
      'b.yaml: name: policy "p" is declared more than once; first in a.yaml',
    ]);
  });

  it('checks the shape of export documents', () => {
    const { issues } = mergeDocuments([{ origin: { file: 'x.json', path: [] }, value: { formatVersion: 2, policies: {}, extra: 1 } }]);
    expect(issues.map((i) => i.path).sort()).toEqual(['extra', 'formatVersion', 'policies']);
  });
});

describe('importBody', () => {
  it('sends an export document as one import document, its groups with it, whether JSON or YAML', () => {
    const json = importBody(
      'x.json',
      '{"formatVersion":1,"policies":[{"name":"p","type":"container"}],"enforcerGroups":[{"name":"g","type":"agent"}]}',
    );
    expect(json).toEqual({
      ok: true,
      body: {
        formatVersion: 1,
        policies: [{ name: 'p', type: 'container' }],
        applicationScopes: [],
        enforcerGroups: [{ name: 'g', type: 'agent' }],
      },
    });
    const yaml = importBody('x.yaml', 'kind: policy\nname: p\ntype: container\n');
    expect(yaml).toEqual({ ok: true, body: { formatVersion: 1, policies: [{ name: 'p', type: 'container' }], applicationScopes: [] } });
  });

  it("sends the commercial product's JSON as it is, for the API to convert", () => {
    const commercial = [{ name: 'c', runtime_type: 'container', enforce: false }];
    expect(importBody('c.json', JSON.stringify(commercial))).toEqual({ ok: true, body: commercial });
  });

  it('refuses text that is no document, an empty file, several documents and a wrong shape, naming why', () => {
    expect(importBody('x.json', 'policies: []')).toMatchObject({
      ok: false,
      issues: [{ message: expect.stringContaining('not valid JSON') }],
    });
    expect(importBody('x.yaml', '')).toEqual({
      ok: false,
      message: 'x.yaml: import reads one document (this file has 0); use `vigil apply -f` for several',
      issues: [],
    });
    expect(importBody('x.yaml', 'name: a\n---\nname: b\n')).toMatchObject({
      ok: false,
      message: expect.stringContaining('this file has 2'),
    });
    expect(importBody('x.json', '{"formatVersion":1,"policies":{}}')).toMatchObject({
      ok: false,
      issues: [{ path: 'policies', message: 'must be a list' }],
    });
  });
});

describe('collectFiles and loadDesiredState', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-cli-docs-'));
    await mkdir(join(dir, 'nested'));
    await writeFile(join(dir, 'b-policy.yaml'), 'name: exec-guard\ntype: container\ncontrols:\n  blockContainerExec: {enabled: true}\n');
    await writeFile(join(dir, 'a-scope.json'), JSON.stringify({ name: 'payments' }));
    await writeFile(join(dir, 'c-settings.yml'), 'kind: settings\nauditRetentionDays: 30\n');
    await writeFile(join(dir, 'README.md'), '# not read');
    await writeFile(join(dir, 'nested', 'd.yaml'), 'name: nested-scope\n');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads the YAML and JSON files of a folder in name order, sub-folders only when recursive', async () => {
    expect((await collectFiles([dir])).map((f) => f.slice(dir.length + 1))).toEqual(['a-scope.json', 'b-policy.yaml', 'c-settings.yml']);
    expect((await collectFiles([dir], true)).map((f) => f.slice(dir.length + 1))).toEqual([
      'a-scope.json',
      'b-policy.yaml',
      'c-settings.yml',
      'nested/d.yaml',
    ]);
  });

  it('fails on a missing path and on a folder without documents', async () => {
    await expect(collectFiles([join(dir, 'nope')])).rejects.toThrow(/no such file or folder/);
    const empty = await mkdtemp(join(tmpdir(), 'vigil-cli-empty-'));
    await expect(collectFiles([empty])).rejects.toThrow(/holds no .yaml, .yml or .json files/);
    await rm(empty, { recursive: true });
  });

  it('merges a folder into one desired state', async () => {
    const desired = await loadDesiredState([dir]);
    expect(desired.document.applicationScopes).toEqual([{ name: 'payments' }]);
    expect(desired.document.policies).toEqual([
      { name: 'exec-guard', type: 'container', controls: { blockContainerExec: { enabled: true } } },
    ]);
    expect(desired.document.settings).toEqual({ auditRetentionDays: 30 });
  });

  it('reports every problem of every file at once', async () => {
    const bad = await mkdtemp(join(tmpdir(), 'vigil-cli-bad-'));
    await writeFile(join(bad, 'one.json'), '{');
    await writeFile(join(bad, 'two.yaml'), 'description: nothing to classify\n');
    const error = await loadDesiredState([bad]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileProblems);
    expect((error as FileProblems).details.map((d) => d.path)).toEqual([join(bad, 'one.json'), join(bad, 'two.yaml')]);
    await rm(bad, { recursive: true });
  });
});
