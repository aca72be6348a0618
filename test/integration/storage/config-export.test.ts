import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { policySchema, toExportDocument } from '../../../layers/core/index.js';
import { BadRequestError, GoneError } from '../../../functions/shared/errors.js';
import { createDynamoClients } from '../../../functions/shared/storage/client.js';
import { encodeExportCursor } from '../../../functions/shared/storage/config-export.js';
import { MAX_PAGE_BYTES } from '../../../functions/shared/storage/config-reads.js';
import { DynamoConfigStore } from '../../../functions/shared/storage/DynamoConfigStore.js';
import type { ConfigChange, ExportPage } from '../../../functions/shared/storage/ports.js';
import { useTables } from '../../support/use-tables.js';

// docs/adr/0016: GET /v1/export in pages of at most 1 MiB of items, every page of the revision the export
// began at, and a page asked for after the configuration moved on refused with 410.

const admin = 'arn:aws:iam::123456789012:role/vigil-admin';

/** About 6 KB per policy: 400 of them make an export of about 2.4 MB, three pages. */
function bigPolicy(name: string, description = 'a large policy') {
  const allowedProcesses = Array.from({ length: 40 }, (_, i) => `/opt/${name}/tools/${String(i).padStart(3, '0')}/${'p'.repeat(120)}`);
  return policySchema.parse({
    name,
    type: 'container',
    description,
    controls: { blockContainerExec: { enabled: true, allowedProcesses } },
  });
}

function names(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(i).padStart(4, '0')}`);
}

async function allPages(store: DynamoConfigStore): Promise<ExportPage[]> {
  const pages: ExportPage[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.exportPage(cursor);
    pages.push(page);
    cursor = page.nextCursor;
  } while (cursor);
  return pages;
}

describe('the export, paged by bytes and pinned to one revision', () => {
  const db = useTables();

  it('pages a large configuration at 1 MiB of items; the pages together are the whole export of one revision', async () => {
    await db.configStore.apply(
      [
        ...['scope-b', 'scope-a'].map((name): ConfigChange => ({
          op: 'create',
          kind: 'applicationScope',
          name,
          doc: { name, expression: 'v1', variables: [{ attribute: 'kubernetes.namespace', value: name }] },
        })),
        ...names('big', 400).map((name): ConfigChange => ({ op: 'create', kind: 'policy', name, doc: bigPolicy(name) })),
      ],
      admin,
    );
    const revision = await db.configStore.revision();
    const pages = await allPages(db.configStore);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages) {
      expect(page.revision).toBe(revision);
      const bytes = [...page.policies, ...page.applicationScopes].reduce((sum, item) => sum + Buffer.byteLength(JSON.stringify(item)), 0);
      // Stored items carry their key and metadata too: the documents alone stay under the cap.
      expect(bytes).toBeLessThanOrEqual(MAX_PAGE_BYTES);
    }
    // Settings on the first page only, application scopes before policies, every item once, in name order.
    expect(pages.map((page) => page.settings !== undefined)).toEqual(pages.map((_, i) => i === 0));
    expect(pages.flatMap((page) => page.applicationScopes.map((scope) => scope.name))).toEqual(['scope-a', 'scope-b']);
    expect(pages[0]!.applicationScopes).toHaveLength(2);
    expect(pages.flatMap((page) => page.policies.map((policy) => policy.name))).toEqual(names('big', 400));
    expect(pages.at(-1)!.nextCursor).toBeUndefined();
    // Joined, the pages are the document the unpaged export gave.
    const joined = toExportDocument({
      policies: pages.flatMap((page) => page.policies),
      applicationScopes: pages.flatMap((page) => page.applicationScopes),
      settings: pages[0]!.settings!,
      enforcerGroups: pages.flatMap((page) => page.enforcerGroups),
    });
    const snapshot = await db.configStore.loadSnapshot();
    expect(joined).toEqual(toExportDocument({ ...snapshot, enforcerGroups: snapshot.groups }));
  });

  it('refuses a page after the configuration moved on with 410, and a new export shows the new revision', async () => {
    const first = await db.configStore.exportPage();
    expect(first.nextCursor).toBeDefined();
    await db.configStore.apply([{ op: 'replace', kind: 'policy', name: 'big-0399', doc: bigPolicy('big-0399', 'changed') }], admin);
    const revision = await db.configStore.revision();
    const refused = await db.configStore.exportPage(first.nextCursor).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GoneError);
    expect((refused as GoneError).status).toBe(410);
    expect((refused as GoneError).message).toBe(
      `the configuration changed since this export began (it was at revision ${revision - 1}, it is at revision ${revision} now): start the export again without a cursor`,
    );
    const pages = await allPages(db.configStore);
    expect(pages.every((page) => page.revision === revision)).toBe(true);
    expect(pages.flatMap((page) => page.policies).find((policy) => policy.name === 'big-0399')?.description).toBe('changed');
  });

  it('refuses cursors it did not make, naming the cursor', async () => {
    const revision = await db.configStore.revision();
    const list = await db.configStore.list('policy', { limit: 1 });
    const forged = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64url');
    const bad = [
      '',
      'not a cursor!',
      list.nextCursor!,
      forged({ v: 1, i: 'export', r: -1, k: { pk: 'POLICY', sk: 'a' } }),
      forged({ v: 1, i: 'export', r: revision, k: { pk: 'CLUSTER', sk: 'a' } }),
      forged({ v: 1, i: 'export', r: revision, k: { pk: 'POLICY', sk: '' } }),
      forged({ v: 1, i: 'export', r: revision, k: { pk: 'POLICY', sk: 'a' }, extra: true }),
      forged({ v: 2, i: 'export', r: revision, k: { pk: 'POLICY', sk: 'a' } }),
    ];
    for (const cursor of bad) {
      const error = await db.configStore.exportPage(cursor).catch((caught: unknown) => caught);
      expect(error, cursor).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).details).toEqual([expect.objectContaining({ path: 'cursor' })]);
    }
    // A well-formed cursor continues after the item it names.
    const page = await db.configStore.exportPage(encodeExportCursor({ revision, after: { pk: 'POLICY', sk: 'big-0397' } }));
    expect(page.policies.map((policy) => policy.name)).toEqual(['big-0398', 'big-0399']);
    expect(page.settings).toBeUndefined();
    expect(page.nextCursor).toBeUndefined();
  });

  it('shows a committed import that is still being copied, on every page', async () => {
    const { document } = createDynamoClients({ endpoint: db.endpoint });
    const send = document.send.bind(document);
    let transactions = 0;
    // The process dies right after the switch: the import is committed, nothing of it copied.
    document.send = (async (command: Parameters<typeof send>[0]) => {
      if (command instanceof TransactWriteCommand && ++transactions > 1) throw new Error('the process died');
      return send(command);
    }) as typeof document.send;
    const dying = new DynamoConfigStore(document, db.tables.config.TableName);
    await dying.apply(
      names('big', 400).map((name): ConfigChange => ({ op: 'replace', kind: 'policy', name, doc: bigPolicy(name, 'imported:again') })),
      admin,
      'import',
    );
    const pages = await allPages(db.configStore);
    expect(pages.length).toBeGreaterThanOrEqual(3);
    const policies = pages.flatMap((page) => page.policies);
    expect(policies.map((policy) => policy.name)).toEqual(names('big', 400));
    expect(policies.every((policy) => policy.description?.startsWith('imported:'))).toBe(true);
  });
});
