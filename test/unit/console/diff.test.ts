import { describe, expect, it } from 'vitest';
import { briefJson, structuralDiff } from '../../../console/src/diff.js';

describe('the structural diff of the activity trail', () => {
  it('names each added, removed and changed field at its path, nested objects included', () => {
    const before = {
      name: 'exec-guard',
      version: 1,
      description: 'old',
      controls: { blockContainerExec: { enabled: true }, forkGuard: { enabled: false, processLimit: 100 } },
    };
    const after = {
      name: 'exec-guard',
      version: 2,
      controls: { blockContainerExec: { enabled: true }, forkGuard: { enabled: true, processLimit: 100 }, honeypot: { enabled: true } },
      enforcementMode: 'enforce',
    };
    expect(structuralDiff(before, after)).toEqual([
      { kind: 'changed', path: 'version', before: 1, after: 2 },
      { kind: 'removed', path: 'description', before: 'old' },
      { kind: 'changed', path: 'controls.forkGuard.enabled', before: false, after: true },
      { kind: 'added', path: 'controls.honeypot', after: { enabled: true } },
      { kind: 'added', path: 'enforcementMode', after: 'enforce' },
    ]);
  });

  it('finds nothing between equal values, whatever the order of their keys', () => {
    expect(structuralDiff({ a: 1, b: { c: [1, { d: 2 }] } }, { b: { c: [1, { d: 2 }] }, a: 1 })).toEqual([]);
  });

  it('shows a list of plain values whole, and a list of objects item by item', () => {
    expect(structuralDiff({ scopes: ['Global', 'prod', 'dev'] }, { scopes: ['Global', 'dev'] })).toEqual([
      { kind: 'changed', path: 'scopes', before: ['Global', 'prod', 'dev'], after: ['Global', 'dev'] },
    ]);
    const before = { rules: [{ port: 80 }, { port: 443 }] };
    const after = { rules: [{ port: 8080 }, { port: 443 }, { port: 22 }] };
    expect(structuralDiff(before, after)).toEqual([
      { kind: 'changed', path: 'rules[0].port', before: 80, after: 8080 },
      { kind: 'added', path: 'rules[2]', after: { port: 22 } },
    ]);
    expect(structuralDiff(after, before)).toContainEqual({ kind: 'removed', path: 'rules[2]', before: { port: 22 } });
  });

  it('makes every field of a create added and of a delete removed', () => {
    expect(structuralDiff(null, { name: 'x', enabled: true })).toEqual([
      { kind: 'added', path: 'name', after: 'x' },
      { kind: 'added', path: 'enabled', after: true },
    ]);
    expect(structuralDiff({ name: 'x' }, null)).toEqual([{ kind: 'removed', path: 'name', before: 'x' }]);
  });

  it('quotes keys that are not plain names, and reports a change of type at the field', () => {
    expect(structuralDiff({ labels: { 'app.kubernetes.io/name': 'a' } }, { labels: { 'app.kubernetes.io/name': 'b' } })).toEqual([
      { kind: 'changed', path: 'labels."app.kubernetes.io/name"', before: 'a', after: 'b' },
    ]);
    expect(structuralDiff({ x: { y: 1 } }, { x: [1] })).toEqual([{ kind: 'changed', path: 'x', before: { y: 1 }, after: [1] }]);
  });

  it('writes values in one line and shortens long ones', () => {
    expect(briefJson({ a: [1, 'b'] })).toBe('{"a":[1,"b"]}');
    expect(briefJson('x'.repeat(200), 20)).toBe(`"${'x'.repeat(18)}…`);
    expect(briefJson(undefined)).toBe('undefined');
  });
});
