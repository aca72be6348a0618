import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeCatalog, nodePolicyHash, nodePolicyObjectName, recommendedTetragonValues } from '../../../layers/core/index.js';

// docs/node-enforcement.md repeats facts the code owns: the table of what each control becomes on nodes (the
// catalog's nodeEnforcement), the recommended Tetragon export allow list, and the object name the manual
// procedure expects. These checks make the page fail the build instead of drifting.

const page = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'node-enforcement.md'), 'utf8');

/** The page's lines between the table markers. */
function documentedTable(): string[] {
  const lines = page.split('\n');
  const begin = lines.indexOf('<!-- node-enforcement table: begin -->');
  const end = lines.indexOf('<!-- node-enforcement table: end -->');
  expect(begin, 'the table markers').toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(begin);
  return lines.slice(begin + 1, end);
}

/** The table as the catalog says it, in catalog order. */
function catalogTable(): string[] {
  const rows = describeCatalog().flatMap((control) =>
    control.nodeEnforcement
      ? [
          `| ${control.policyType} | ${control.name} | \`${control.key}\` | ${control.nodeEnforcement.fidelity} | ${control.nodeEnforcement.summary} |`,
        ]
      : [],
  );
  return ['| type | control | key | fidelity on nodes | what Tetragon does |', '| --- | --- | --- | --- | --- |', ...rows];
}

describe('docs/node-enforcement.md', () => {
  it('shows every container and host control with the fidelity and summary of GET /v1/controls', () => {
    const table = catalogTable();
    expect(table.length).toBeGreaterThan(20);
    expect(documentedTable()).toEqual(table);
  });

  it('recommends the export allow list the install manifests answer', () => {
    const { exportAllowList } = recommendedTetragonValues().tetragon;
    expect(page).toContain(`| \`tetragon.exportAllowList\` | \`${exportAllowList}\` |`);
  });

  it('expects in the manual procedure the object name the compiler gives the example policy', () => {
    const name = nodePolicyObjectName('container', 'no-curl', 'blockedExecutables', 'exec-block', 1);
    expect(name).toBe(`vigil-no-curl-exec-block-${nodePolicyHash('container', 'no-curl', 'blockedExecutables')}`);
    expect(page).toContain(`\`${name}\``);
    expect(page.match(/vigil-no-curl-exec-block-[0-9a-f]+/g)?.every((mention) => mention === name)).toBe(true);
  });
});
