import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { DeleteCommand, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DecisionDocumentTooLargeError, DynamoDecisionSnapshots } from '../../../functions/shared/storage/DynamoDecisionSnapshots.js';
import type { DecisionDocument } from '../../../functions/shared/storage/ports.js';
import { defaultEnforcerSettings } from '../../../layers/core/index.js';
import { useTables, type TestTables } from '../../support/use-tables.js';

/** A decision document; `filler` adds a policy description of that many random base64 characters (6 bits each, compressed). */
function decisionDocument(revision: number, options: { readonly filler?: number; readonly secretHash?: string } = {}): DecisionDocument {
  const description = options.filler
    ? randomBytes(Math.ceil((options.filler * 3) / 4))
        .toString('base64')
        .slice(0, options.filler)
    : 'guards exec';
  return {
    revision,
    config: {
      revision,
      policies: [
        {
          name: 'exec-guard',
          type: 'container',
          description,
          enabled: true,
          enforcementMode: 'enforce',
          scope: { applicationScopes: ['Global'], expression: '', variables: [] },
          controls: { blockContainerExec: { enabled: true, allowedProcesses: [] } },
          enforcementModeChange: null,
          version: 1,
        } as unknown as DecisionDocument['config']['policies'][number],
      ],
      applicationScopes: [],
      groups: [
        {
          name: 'default-ke',
          type: 'kube_enforcer',
          enforce: true,
          containerProtection: true,
          hostProtection: true,
          exemptKubeSystem: true,
          failMode: 'open',
          timeoutSeconds: 5,
        },
      ],
      settings: defaultEnforcerSettings(),
    },
    clusters: [{ name: 'prod', enforcerGroup: 'default-ke', secretHash: options.secretHash ?? 'a'.repeat(64) }],
  };
}

/** The sort keys stored in the decision partition. */
async function storedKeys(db: TestTables): Promise<string[]> {
  const output = await db.clients.document.send(
    new QueryCommand({
      TableName: db.tables.config.TableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'DECISION' },
      ProjectionExpression: 'sk',
      ConsistentRead: true,
    }),
  );
  return (output.Items ?? []).map((item) => String(item.sk));
}

describe('DynamoDecisionSnapshots', () => {
  const db = useTables();
  const snapshots = () => new DynamoDecisionSnapshots(db.clients.document, db.tables.config.TableName);

  /** Sets the configuration's revision, as writes would have moved it. */
  const atRevision = (revision: number) =>
    db.clients.document.send(new PutCommand({ TableName: db.tables.config.TableName, Item: { pk: 'META', sk: 'revision', revision } }));

  /** Saves a document while the configuration is at its revision. */
  const saveCurrent = async (document: DecisionDocument) => {
    await atRevision(document.revision);
    return snapshots().save(document);
  };

  it('returns the document stored for exactly the revision asked for', async () => {
    const document = decisionDocument(7);
    expect(await saveCurrent(document)).toBe(true);
    expect(await snapshots().load(7)).toEqual(document);
    expect(await snapshots().load(8)).toBeUndefined();
    expect(await snapshots().load(6)).toBeUndefined();
    // The part, and the copy of the newest one-part document that a cold instance reads with the revision.
    expect(await storedKeys(db)).toEqual(['!newest/2', '000000000007/2#000']);
  });

  it('keeps the first document stored for a revision: a second save of the same revision changes nothing', async () => {
    const first = decisionDocument(9, { secretHash: 'b'.repeat(64) });
    expect(await saveCurrent(first)).toBe(true);
    expect(await saveCurrent(decisionDocument(9, { secretHash: 'c'.repeat(64) }))).toBe(false);
    expect(await snapshots().load(9)).toEqual(first);
  });

  it('splits a large document over several items written together, and reads it back whole', async () => {
    const document = decisionDocument(11, { filler: 1_200_000 });
    await saveCurrent(document);
    expect((await storedKeys(db)).filter((key) => key.startsWith('000000000011'))).toEqual([
      '000000000011/2#000',
      '000000000011/2#001',
      '000000000011/2#002',
    ]);
    expect(await snapshots().load(11)).toEqual(document);
  });

  it('ignores an incomplete set of parts', async () => {
    await saveCurrent(decisionDocument(13, { filler: 1_200_000 }));
    await db.clients.document.send(
      new DeleteCommand({ TableName: db.tables.config.TableName, Key: { pk: 'DECISION', sk: '000000000013/2#001' } }),
    );
    expect(await snapshots().load(13)).toBeUndefined();
  });

  it('ignores parts whose bytes are not the document they claim to be', async () => {
    await db.clients.document.send(
      new PutCommand({
        TableName: db.tables.config.TableName,
        Item: { pk: 'DECISION', sk: '000000000015/2#000', revision: 15, part: 0, parts: 1, format: 2, data: randomBytes(64) },
      }),
    );
    expect(await snapshots().load(15)).toBeUndefined();
  });

  it('ignores a document of another format', async () => {
    await saveCurrent(decisionDocument(16));
    const stored = await db.clients.document.send(
      new QueryCommand({
        TableName: db.tables.config.TableName,
        KeyConditionExpression: 'pk = :pk AND sk = :sk',
        ExpressionAttributeValues: { ':pk': 'DECISION', ':sk': '000000000016/2#000' },
      }),
    );
    await db.clients.document.send(new PutCommand({ TableName: db.tables.config.TableName, Item: { ...stored.Items![0], format: 3 } }));
    expect(await snapshots().load(16)).toBeUndefined();
  });

  it('removes the documents of older revisions when it stores a newer one', async () => {
    await saveCurrent(decisionDocument(20));
    await saveCurrent(decisionDocument(21, { filler: 1_200_000 }));
    expect(await snapshots().load(21)).toBeDefined();
    const [copy, ...parts] = await storedKeys(db);
    expect(copy).toBe('!newest/2');
    expect(parts.every((key) => key >= '000000000021')).toBe(true);
  });

  it('refuses a document too large for one transaction, storing nothing', async () => {
    const before = await storedKeys(db);
    await expect(saveCurrent(decisionDocument(30, { filler: 5_000_000 }))).rejects.toBeInstanceOf(DecisionDocumentTooLargeError);
    expect(await storedKeys(db)).toEqual(before);
  });

  it('stores nothing once the configuration has moved past the revision of the document', async () => {
    await atRevision(41);
    expect(await snapshots().save(decisionDocument(40))).toBe(false);
    expect(await snapshots().load(40)).toBeUndefined();
  });

  it("reads the revision and the newest one-part document in one request, whatever the document's revision", async () => {
    const small = decisionDocument(41);
    await saveCurrent(small);
    expect(await snapshots().loadCurrent()).toEqual({ revision: 41, newest: small });
    // The configuration moved on and no document of it is stored yet: the newest is of the revision before.
    await atRevision(42);
    expect(await snapshots().loadCurrent()).toEqual({ revision: 42, newest: small });
    // A document of several parts is not copied (an item holds 400 KB): the copy stays of an older revision, which
    // the caller does not use, and reads the revision's own parts instead.
    await saveCurrent(decisionDocument(43, { filler: 1_200_000 }));
    expect(await snapshots().loadCurrent()).toEqual({ revision: 43, newest: small });
    const next = decisionDocument(44);
    await saveCurrent(next);
    expect(await snapshots().loadCurrent()).toEqual({ revision: 44, newest: next });
  });

  it('never lets a slower save of an older revision replace the copy of a newer one', async () => {
    const newer = decisionDocument(46);
    await saveCurrent(newer);
    // An instance that read revision 45 before the configuration moved on stores its document last.
    const older = decisionDocument(45);
    await atRevision(45);
    expect(await snapshots().save(older)).toBe(true);
    expect(await snapshots().load(45)).toEqual(older);
    expect((await snapshots().loadCurrent()).newest).toEqual(newer);
  });

  it('reads the revision alone when the copy is missing or is not a document', async () => {
    await saveCurrent(decisionDocument(47));
    await db.clients.document.send(
      new PutCommand({
        TableName: db.tables.config.TableName,
        Item: { pk: 'DECISION', sk: '!newest/2', copiedRevision: 47, part: 0, parts: 1, format: 2, data: randomBytes(64) },
      }),
    );
    expect(await snapshots().loadCurrent()).toEqual({ revision: 47, newest: undefined });
    await db.clients.document.send(new DeleteCommand({ TableName: db.tables.config.TableName, Key: { pk: 'DECISION', sk: '!newest/2' } }));
    expect(await snapshots().loadCurrent()).toEqual({ revision: 47, newest: undefined });
    // The parts of the revision are still there for the read that follows.
    expect(await snapshots().load(47)).toEqual(decisionDocument(47));
  });

  it('keeps to its own format: a format-1 document of the same revision (as the version before stored it) is neither read nor in the way', async () => {
    // Format 1 keyed a revision's parts `<revision>#<part>`; its plans are of a format this version ignores.
    const older = gzipSync(Buffer.from(JSON.stringify(decisionDocument(50)), 'utf8'));
    await atRevision(50);
    await db.clients.document.send(
      new PutCommand({
        TableName: db.tables.config.TableName,
        Item: { pk: 'DECISION', sk: '000000000050#000', revision: 50, part: 0, parts: 1, format: 1, data: older },
      }),
    );
    expect(await snapshots().load(50)).toBeUndefined();
    expect((await snapshots().loadCurrent()).newest?.revision).not.toBe(50);
    // Stored beside it, not refused as taken; a later revision's save removes both.
    const current = decisionDocument(50, { secretHash: 'b'.repeat(64) });
    expect(await snapshots().save(current)).toBe(true);
    expect(await snapshots().load(50)).toEqual(current);
    expect(await snapshots().loadCurrent()).toEqual({ revision: 50, newest: current });
    expect(await storedKeys(db)).toEqual(expect.arrayContaining(['000000000050#000', '000000000050/2#000']));
    await saveCurrent(decisionDocument(51));
    expect((await storedKeys(db)).filter((key) => key.startsWith('000000000050'))).toEqual([]);
  });

  it("puts the copy back from a revision's parts when asked, never over a newer one, and never for several parts", async () => {
    const document = decisionDocument(60);
    await saveCurrent(document);
    const copyKey = { pk: 'DECISION', sk: '!newest/2' };
    const copy = async () =>
      (await db.clients.document.send(new GetCommand({ TableName: db.tables.config.TableName, Key: copyKey, ConsistentRead: true }))).Item;
    // As after an upgrade from a version that kept no copy, or a save by that version (which removes it).
    await db.clients.document.send(new DeleteCommand({ TableName: db.tables.config.TableName, Key: copyKey }));
    expect(await snapshots().load(60)).toEqual(document);
    expect(await copy()).toBeUndefined();
    expect(await snapshots().load(60, { restoreNewestCopy: true })).toEqual(document);
    expect(await snapshots().loadCurrent()).toEqual({ revision: 60, newest: document });
    // A copy of a newer revision stays.
    await db.clients.document.send(
      new PutCommand({ TableName: db.tables.config.TableName, Item: { ...(await copy()), copiedRevision: 99 } }),
    );
    expect(await snapshots().load(60, { restoreNewestCopy: true })).toEqual(document);
    expect((await copy())?.copiedRevision).toBe(99);
    // A document of several parts has no copy to put back.
    const large = decisionDocument(61, { filler: 1_200_000 });
    await saveCurrent(large);
    await db.clients.document.send(new DeleteCommand({ TableName: db.tables.config.TableName, Key: copyKey }));
    expect(await snapshots().load(61, { restoreNewestCopy: true })).toEqual(large);
    expect(await copy()).toBeUndefined();
  });

  it('keeps the copy out of what readers of the parts gather: it has no `revision` and sorts before every revision', async () => {
    await saveCurrent(decisionDocument(70));
    // What the version before this one read on a cold start: the newest sort keys first, the parts of the first
    // item's revision.
    const output = await db.clients.document.send(
      new QueryCommand({
        TableName: db.tables.config.TableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'DECISION' },
        ScanIndexForward: false,
      }),
    );
    const items = output.Items ?? [];
    expect(items[0]?.sk).toBe('000000000070/2#000');
    expect(items.at(-1)).toMatchObject({ sk: '!newest/2', copiedRevision: 70 });
    expect(items.filter((item) => item.revision === 70).map((item) => item.sk)).toEqual(['000000000070/2#000']);
  });
});
