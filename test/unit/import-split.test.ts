import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  importPartsProblem,
  importSizeProblem,
  inDocument,
  jsonBytes,
  MAX_IMPORT_DOCUMENT_BYTES,
  MAX_IMPORT_PARTS,
  splitImport,
  utf8Length,
} from '../../layers/core/import-split.js';
import { commercialDocumentsDir } from '../fixtures/commercial/expectations.js';

// How a client (vigil import, the web console) cuts a document larger than one request into the parts of a multi-part import (docs/adr/0016),
// and names the server's problems back at their place in the document.

const MiB = 1024 * 1024;
const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('splitting an import document into parts', () => {
  it("cuts the commercial product's list answer into bare lists of whole objects of at most 4 MiB", () => {
    const list = JSON.parse(readFileSync(join(commercialDocumentsDir, '41-console-list-one-bad-name.json'), 'utf8'));
    const result = Array.from({ length: 2000 }, (_, index) => ({ ...list.result[index % 10], name: `p-${index}` }));
    const split = splitImport({ count: 2000, page: 1, pagesize: 2000, result });
    const { parts, listPath } = split;
    expect(listPath).toBe('result.');
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) expect(size(part.body)).toBeLessThanOrEqual(4 * MiB + 2);
    expect(parts.flatMap((part) => part.body as unknown[])).toEqual(result);
    // The server names an object of part 2 by its index in that part; the user sees its index in the file.
    const second = parts[1]!;
    expect(inDocument('parts.2.3.enforce', split)).toBe(`result.${second.starts['']! + 3}.enforce`);
  });

  it("cuts Vigil's document into parts of its lists, the settings in the first one", () => {
    const policies = Array.from({ length: 900 }, (_, i) => ({ name: `p-${i}`, type: 'container', description: 'd'.repeat(6000) }));
    const applicationScopes = [{ name: 's', expression: 'v1', variables: [] }];
    const split = splitImport({ formatVersion: 1, settings: { auditRetentionDays: 30 }, applicationScopes, policies });
    const { parts } = split;
    expect(parts[0]!.body).toEqual({ formatVersion: 1, settings: { auditRetentionDays: 30 } });
    expect(parts.slice(1).every((part) => (part.body as { formatVersion: number }).formatVersion === 1)).toBe(true);
    expect(parts.flatMap((part) => (part.body as { applicationScopes?: unknown[] }).applicationScopes ?? [])).toEqual(applicationScopes);
    expect(parts.flatMap((part) => (part.body as { policies?: unknown[] }).policies ?? [])).toEqual(policies);
    for (const part of parts) expect(size(part.body)).toBeLessThanOrEqual(4 * MiB + 64);
    const last = parts.length;
    const start = parts[last - 1]!.starts['policies.']!;
    expect(inDocument(`parts.${last}.policies.2.name`, split)).toBe(`policies.${start + 2}.name`);
    expect(inDocument('parts.1.settings.auditRetentionDays', split)).toBe('settings.auditRetentionDays');
    expect(inDocument('parts', split)).toBe('parts');
  });

  it('sends the enforcer groups once, in the first part with the settings', () => {
    const policies = Array.from({ length: 900 }, (_, i) => ({ name: `p-${i}`, type: 'container', description: 'd'.repeat(6000) }));
    const enforcerGroups = [{ name: 'g', type: 'agent' }];
    const split = splitImport({ formatVersion: 1, enforcerGroups, policies });
    const { parts } = split;
    expect(parts[0]!.body).toEqual({ formatVersion: 1, enforcerGroups });
    expect(parts.flatMap((part) => (part.body as { enforcerGroups?: unknown[] }).enforcerGroups ?? [])).toEqual(enforcerGroups);
    expect(inDocument('parts.1.enforcerGroups.0.type', split)).toBe('enforcerGroups.0.type');
  });
});

describe('what a client refuses before it sends an import', () => {
  it('a document over 32 full parts of 5 MiB, by its size', () => {
    expect(importSizeProblem('big.json', MAX_IMPORT_DOCUMENT_BYTES)).toBeUndefined();
    expect(importSizeProblem('big.json', MAX_IMPORT_DOCUMENT_BYTES + 1024 * 1024)).toBe(
      'big.json is 161.0 MiB: the API imports at most 160.0 MiB (32 parts of 5.0 MiB). Nothing was written.',
    );
  });

  it('a document cut into more than 32 parts of whole items', () => {
    expect(importPartsProblem('big.json', 70 * 1024 * 1024, MAX_IMPORT_PARTS)).toBeUndefined();
    expect(importPartsProblem('big.json', 70 * 1024 * 1024, MAX_IMPORT_PARTS + 1)).toBe(
      'big.json is 70.0 MiB and needs 33 parts of whole items (up to 4.0 MiB each): the API imports at most 32 parts. Nothing was written.',
    );
  });
});

describe('measuring a body as the server does', () => {
  it('counts UTF-8 bytes as Node does, surrogate pairs and lone surrogates included', () => {
    const samples = ['', 'plain ascii', 'é and ß', '中文', '😀 pair', 'lone \ud83d high', 'lone \ude00 low', 'end \ud83d'];
    for (const text of samples) expect(utf8Length(text), JSON.stringify(text)).toBe(Buffer.byteLength(text, 'utf8'));
    const policy = { name: 'p-ü', description: '😀'.repeat(1000) };
    expect(jsonBytes(policy)).toBe(Buffer.byteLength(JSON.stringify(policy)));
  });
});
