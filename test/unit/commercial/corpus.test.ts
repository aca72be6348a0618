import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  convertCommercialDocument,
  isCommercialDocument,
  meaningChanges,
  unsupportedFields,
} from '../../../layers/core/commercial/index.js';
import { commercialDocuments, commercialDocumentsDir, expectations } from '../../fixtures/commercial/expectations.js';

// The pure converter over every document of the shared corpus, against test/fixtures/commercial/expectations.ts
// (the API's answers to the same documents are checked in test/integration/api/commercial-documents.test.ts).

const now = new Date('2026-12-07T00:00:00Z');

function grouped(entries: Array<{ name: string; values: string[] }>): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const entry of entries) (result[entry.name] ??= []).push(...entry.values);
  return result;
}

describe('the commercial-product corpus', () => {
  it('has an expectation for every document, and none for a document that is gone', () => {
    expect(Object.keys(expectations).sort()).toEqual(commercialDocuments());
  });

  it.each(commercialDocuments())('%s converts as written down', (file) => {
    const expected = expectations[file]!;
    const document: unknown = JSON.parse(readFileSync(join(commercialDocumentsDir, file), 'utf8'));
    expect(isCommercialDocument(document)).toBe(expected.native !== true);
    if (expected.native) return;
    const conversion = convertCommercialDocument(document, { now });
    if (expected.kept) {
      const built = conversion.bypassScopes
        ? { bypassScopes: conversion.bypassScopes }
        : Object.fromEntries(
            [...conversion.document.policies, ...conversion.document.applicationScopes, ...conversion.enforcerGroups].map((item) => [
              (item as { name: string }).name,
              item,
            ]),
          );
      expect(built).toEqual(expected.kept);
    }
    expect(grouped(unsupportedFields(conversion).map((entry) => ({ name: entry.name, values: entry.fields })))).toEqual(
      expected.notCarried ?? {},
    );
    expect(grouped(meaningChanges(conversion).map((entry) => ({ name: entry.name, values: [entry.field] })))).toEqual(
      expected.translated ?? {},
    );
  });
});
