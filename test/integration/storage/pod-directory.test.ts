import { BatchGetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoPodDirectory } from '../../../functions/shared/storage/DynamoPodDirectory.js';
import type { PodIdentity } from '../../../layers/core/index.js';
import { useTables } from '../../support/use-tables.js';

const db = useTables();

const identity = (role: string, name = 'web-0'): PodIdentity => ({
  namespace: 'default',
  name,
  labels: { role },
  containers: [{ name: 'web', image: 'nginx' }],
});

describe('DynamoPodDirectory', () => {
  it('keeps every identity when many instances learn about one pod at once (conditional writes)', async () => {
    const roles = Array.from({ length: 8 }, (_, i) => `r${i}`);
    await Promise.all(
      roles.map((role) =>
        new DynamoPodDirectory(db.clients.document, db.tables.audit.TableName).learn(
          'c',
          { namespace: 'default', name: 'web-0', requested: [identity(role)] },
          3600,
        ),
      ),
    );
    const found = await new DynamoPodDirectory(db.clients.document, db.tables.audit.TableName).lookup('c', 'default', 'web-0');
    expect(found.map((i) => i.labels.role).sort()).toEqual(roles);
  });

  it('unions the exact name with the generateName records it may come from, and reads records of earlier versions', async () => {
    const directory = new DynamoPodDirectory(db.clients.document, db.tables.audit.TableName);
    await directory.learn('c', { namespace: 'default', generateName: 'api-7d4f9-', requested: [identity('controller', '')] }, 3600);
    // A record as earlier versions wrote it: one identity under `pod`.
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    await db.clients.document.send(
      new PutCommand({
        TableName: db.tables.audit.TableName,
        Item: { pk: 'POD#c#default#api-7d4f9-x2k4p', pod: identity('impostor', 'api-7d4f9-x2k4p'), expiresAt },
      }),
    );
    const found = await directory.lookup('c', 'default', 'api-7d4f9-x2k4p');
    expect(found.map((i) => i.labels.role)).toEqual(['impostor', 'controller']);
    // Learning on top of the old record keeps what it held.
    await directory.learn('c', { namespace: 'default', name: 'api-7d4f9-x2k4p', requested: [identity('third', 'api-7d4f9-x2k4p')] }, 3600);
    expect((await directory.lookup('c', 'default', 'api-7d4f9-x2k4p')).map((i) => i.labels.role)).toEqual([
      'impostor',
      'third',
      'controller',
    ]);
  });

  it('reads the name and its generateName records in one consistent BatchGetItem, retrying keys left unprocessed', async () => {
    const table = db.tables.audit.TableName;
    const writer = new DynamoPodDirectory(db.clients.document, table);
    await writer.learn('batch', { namespace: 'default', generateName: 'api-7d4f9-', requested: [identity('controller', '')] }, 3600);
    await writer.learn('batch', { namespace: 'default', name: 'api-7d4f9-x2k4p', requested: [identity('named', 'api-7d4f9-x2k4p')] }, 3600);

    // A test double in front of DynamoDB Local, which never leaves keys unprocessed by itself: the first call
    // gets the answer for its first key only, the rest reported as unprocessed (as a throttled table does).
    const requests: unknown[] = [];
    const throttledOnce = {
      send: async (command: BatchGetCommand) => {
        if (!(command instanceof BatchGetCommand)) throw new Error('the lookup sent something else than a BatchGetItem');
        requests.push(command.input.RequestItems);
        if (requests.length > 1) return db.clients.document.send(command);
        const request = command.input.RequestItems![table]!;
        const [first, ...rest] = request.Keys!;
        const output = await db.clients.document.send(new BatchGetCommand({ RequestItems: { [table]: { ...request, Keys: [first!] } } }));
        return { ...output, UnprocessedKeys: { [table]: { ...request, Keys: rest } } };
      },
    } as unknown as DynamoDBDocumentClient;

    const found = await new DynamoPodDirectory(throttledOnce, table).lookup('batch', 'default', 'api-7d4f9-x2k4p');
    expect(found.map((i) => i.labels.role)).toEqual(['named', 'controller']);
    expect(requests).toEqual([
      {
        [table]: {
          ConsistentRead: true,
          Keys: [
            { pk: 'POD#batch#default#api-7d4f9-x2k4p' },
            { pk: 'POD#batch#default#gen:api-7d4f9-' },
            { pk: 'POD#batch#default#gen:api-' },
          ],
        },
      },
      { [table]: { ConsistentRead: true, Keys: [{ pk: 'POD#batch#default#gen:api-7d4f9-' }, { pk: 'POD#batch#default#gen:api-' }] } },
    ]);
  });
});
