import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';

// The two tables as data: the CDK stack, local mode and the tests create them from these definitions,
// so that the design is written down once. docs/dynamodb-access-patterns.md explains every key.

/**
 * Config table. One partition per kind (config changes are rare and the webhook caches snapshots, so a
 * handful of small partitions never get hot): `pk` is the kind, `sk` the item name.
 */
export const configKeys = {
  partitions: {
    policy: 'POLICY',
    applicationScope: 'SCOPE',
    enforcerGroup: 'GROUP',
    cluster: 'CLUSTER',
    settings: 'SETTINGS',
  },
  /** `META` / `revision` holds the global revision number in attribute `revision`. */
  meta: { pk: 'META', sk: 'revision' },
  /** Activity trail: pk `ACTIVITY`, sk `<iso time>#<id>`, so that a range on sk is a time range. */
  activity: 'ACTIVITY',
  /** The webhook's decision snapshots: sk `<revision, 12 digits>#<part, 3 digits>` (docs/adr/0005). */
  decision: 'DECISION',
  /**
   * Pending enforcement-mode changes: sk `<scheduledFor>#<policy>`, so that "due by now" is one range query.
   * The config store keeps these items in step with the policies, in the same transactions.
   */
  modeChange: 'MODECHANGE',
  /**
   * Staged imports (docs/adr/0009): `STAGE` / `<import id>` registers one, and partition `STAGE#<import id>`
   * holds its writes, gzipped, in parts (sk `<part, 6 digits>`). Invisible until `META`/`revision` names the import.
   */
  stage: 'STAGE',
  /**
   * Multi-part imports being uploaded (docs/adr/0016): `UPLOAD` / `<upload id>` registers one (its parts, their
   * sizes and digests), and partition `UPLOAD#<upload id>` holds each part's JSON, gzipped, in chunks (sk
   * `<part, 3 digits>#<chunk, 3 digits>`). No reader of the configuration looks there; a commit imports them.
   */
  upload: 'UPLOAD',
  /** Enforcer registrations (`<group>#<enforcerId>`): the only items the enforcer API writes, so IAM bounds it to them. */
  enforcer: 'ENFORCER',
} as const;

/**
 * The attribute of `META`/`revision` naming a committed staged import whose writes are still being copied to
 * their places (docs/adr/0009); absent otherwise.
 */
export const APPLYING_ATTRIBUTE = 'applying';

/** A DynamoDB key of the config table. */
export type ConfigKey = { readonly pk: string; readonly sk: string };

/** The key of a configuration item: its kind's partition, its name. */
export function configItemKey(kind: keyof typeof configKeys.partitions, name: string): ConfigKey {
  return { pk: configKeys.partitions[kind], sk: name };
}

/** The key of an activity entry: ordered by time, made unique by the entry's id. */
export function activityKey(time: string, id: string): ConfigKey {
  return { pk: configKeys.activity, sk: `${time}#${id}` };
}

/** The key of a policy's pending mode change; `scheduledFor` must be a normalised ISO instant (UTC, milliseconds). */
export function pendingModeChangeKey(scheduledFor: string, policy: string): ConfigKey {
  return { pk: configKeys.modeChange, sk: `${scheduledFor}#${policy}` };
}

/** The registry entry of a staged import. */
export function stageRegistryKey(importId: string): ConfigKey {
  return { pk: configKeys.stage, sk: importId };
}

/** The partition holding the staged writes of one import. */
export function stagePartition(importId: string): string {
  return `${configKeys.stage}#${importId}`;
}

/** The key of one part of an import's staged writes. */
export function stagePartKey(importId: string, part: number): ConfigKey {
  return { pk: stagePartition(importId), sk: String(part).padStart(6, '0') };
}

/** The registry entry of a multi-part import being uploaded. */
export function uploadRegistryKey(uploadId: string): ConfigKey {
  return { pk: configKeys.upload, sk: uploadId };
}

/** The partition holding the uploaded parts of one multi-part import. */
export function uploadPartition(uploadId: string): string {
  return `${configKeys.upload}#${uploadId}`;
}

/** The key of one chunk of one uploaded part. */
export function uploadChunkKey(uploadId: string, part: number, chunk: number): ConfigKey {
  return { pk: uploadPartition(uploadId), sk: `${String(part).padStart(3, '0')}#${String(chunk).padStart(3, '0')}` };
}

/** Audit table: base key `pk` = `EVENT#<id>`; every index sorts by `timeSk` = `<iso time, ms>#<id>`. */
export const auditKeys = {
  eventPrefix: 'EVENT#',
  /** Learned pod identities (docs/adr/0008) share the table; IAM tells them from events by this prefix. */
  podPrefix: 'POD#',
  sortKey: 'timeSk',
  /** TTL attribute: epoch seconds. */
  ttl: 'expiresAt',
  /** Index name → its partition key attribute and the prefix of that attribute's values. */
  indexes: {
    byDay: { partitionKey: 'dayPk', prefix: 'DAY#' },
    byPolicy: { partitionKey: 'policyPk', prefix: 'POLICY#' },
    byCluster: { partitionKey: 'clusterPk', prefix: 'CLUSTER#' },
    byNamespace: { partitionKey: 'namespacePk', prefix: 'NS#' },
  },
} as const;

/** Names of the audit table's secondary indexes. */
export type AuditIndexName = keyof typeof auditKeys.indexes;

/** A CreateTable input whose name is always set. */
export type TableDefinition = CreateTableCommandInput & { readonly TableName: string };

/** Both tables of one installation. */
export interface TableDefinitions {
  readonly config: TableDefinition;
  readonly audit: TableDefinition;
  /** The audit table's TTL attribute (epoch seconds). */
  readonly auditTtlAttribute: typeof auditKeys.ttl;
}

/** Choices that differ between where the tables live; everything else is the same everywhere. */
export interface TableOptions {
  /**
   * Whether the audit table has a stream (NEW_IMAGE) of new events. In AWS it feeds the export function;
   * local mode has no consumer for it, and DynamoDB Local stores items markedly slower with a stream on.
   * @default true
   */
  readonly auditStream?: boolean;
}

/** The audit table's stream, as CreateTable and UpdateTable take it. */
const AUDIT_STREAM = { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' } as const;

/** Table names of one installation: `<prefix>config` and `<prefix>audit`. */
export function tableNames(prefix: string): { readonly config: string; readonly audit: string } {
  return { config: `${prefix}config`, audit: `${prefix}audit` };
}

/** The table designs for one installation, as CreateTable inputs (on-demand capacity). */
export function tableDefinitions(prefix: string, options: TableOptions = {}): TableDefinitions {
  const names = tableNames(prefix);
  const indexes = Object.entries(auditKeys.indexes).map(([IndexName, { partitionKey }]) => ({
    IndexName,
    KeySchema: [
      { AttributeName: partitionKey, KeyType: 'HASH' as const },
      { AttributeName: auditKeys.sortKey, KeyType: 'RANGE' as const },
    ],
    // Queries return whole events; keys-only would cost a BatchGet per page on the read path.
    Projection: { ProjectionType: 'ALL' as const },
  }));
  return {
    config: {
      TableName: names.config,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    },
    audit: {
      TableName: names.audit,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: auditKeys.sortKey, AttributeType: 'S' },
        ...Object.values(auditKeys.indexes).map(({ partitionKey }) => ({ AttributeName: partitionKey, AttributeType: 'S' as const })),
      ],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: indexes,
      // New events feed the export function (SIEM, chat, Security Hub).
      ...(options.auditStream === false ? {} : { StreamSpecification: AUDIT_STREAM }),
    },
    auditTtlAttribute: auditKeys.ttl,
  };
}

async function tableExists(client: DynamoDBClient, name: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: name }));
    return true;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return false;
    throw error;
  }
}

/**
 * Creates the tables that are missing, waits until they are ACTIVE, enables TTL on the audit table and
 * switches its stream on or off as `options` ask (tables made before that choice changed are brought in
 * line). Idempotent, and safe when two processes race (local mode starting twice, parallel test files).
 */
export async function ensureTables(client: DynamoDBClient, prefix: string, options: TableOptions = {}): Promise<TableDefinitions> {
  const definitions = tableDefinitions(prefix, options);
  await Promise.all(
    [definitions.config, definitions.audit].map(async (definition) => {
      if (!(await tableExists(client, definition.TableName))) {
        try {
          await client.send(new CreateTableCommand(definition));
        } catch (error) {
          // Someone else created it between our check and our create: just as good.
          if (!(error instanceof ResourceInUseException)) throw error;
        }
      }
      await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: definition.TableName });
    }),
  );
  if (!(await ttlEnabled(client, definitions.audit.TableName))) {
    try {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: definitions.audit.TableName,
          TimeToLiveSpecification: { AttributeName: auditKeys.ttl, Enabled: true },
        }),
      );
    } catch (error) {
      // A concurrent caller enabled it first ("TimeToLive is already enabled"): fine if it is now on.
      if (!(await ttlEnabled(client, definitions.audit.TableName))) throw error;
    }
  }
  await ensureAuditStream(client, definitions.audit.TableName, options.auditStream !== false);
  return definitions;
}

async function ensureAuditStream(client: DynamoDBClient, tableName: string, wanted: boolean): Promise<void> {
  if ((await streamEnabled(client, tableName)) === wanted) return;
  try {
    await client.send(
      new UpdateTableCommand({ TableName: tableName, StreamSpecification: wanted ? AUDIT_STREAM : { StreamEnabled: false } }),
    );
  } catch (error) {
    // A concurrent caller switched it first (the table is then busy or already as wanted): fine if it is now.
    await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: tableName });
    if ((await streamEnabled(client, tableName)) !== wanted) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1, maxDelay: 5 }, { TableName: tableName });
}

async function streamEnabled(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const table = await client.send(new DescribeTableCommand({ TableName: tableName }));
  return table.Table?.StreamSpecification?.StreamEnabled === true;
}

async function ttlEnabled(client: DynamoDBClient, tableName: string): Promise<boolean> {
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
  const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
  return status === 'ENABLED' || status === 'ENABLING';
}
