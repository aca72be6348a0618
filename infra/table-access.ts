import * as iam from 'aws-cdk-lib/aws-iam';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';

// Table access by item action, narrower than TableV2's grant helpers: those add Scan, ConditionCheckItem,
// DescribeTable and the stream reads, which no Vigil handler performs, and the index ARNs, which only the
// admin API's audit queries need. A function that can Scan the audit table can read every event at once.

/** Item reads the stores perform (`GetCommand`, `QueryCommand`, `BatchGetCommand`, and transactional gets). */
export const ITEM_READS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query'] as const;
/** Item writes the stores perform (puts, updates, deletes, batch writes, and transactional writes of those). */
export const ITEM_WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'] as const;

export type ItemAction = (typeof ITEM_READS)[number] | (typeof ITEM_WRITES)[number];

export interface TableAccessOptions {
  /**
   * Where the actions apply: the table's items, its secondary indexes (`<table ARN>/index/*`), or both.
   * @default 'table'
   */
  readonly on?: 'table' | 'indexes' | 'table and indexes';
  /**
   * Only items whose partition key starts with this prefix (`dynamodb:LeadingKeys`). For a batch or a transaction
   * every key must match, so one statement may only hold actions whose every item has this prefix.
   */
  readonly keyPrefix?: string;
  /** Only items of this one partition (`dynamodb:LeadingKeys`, exactly); not with `keyPrefix`. */
  readonly partition?: string;
}

function leadingKeysCondition(options: TableAccessOptions): Record<string, Record<string, string[]>> | undefined {
  if (options.keyPrefix !== undefined && options.partition !== undefined)
    throw new Error('grantItemActions: keyPrefix or partition, not both');
  if (options.keyPrefix !== undefined) return { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${options.keyPrefix}*`] } };
  if (options.partition !== undefined) return { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [options.partition] } };
  return undefined;
}

/** Lets `grantee` perform exactly `actions` on `table` (or its indexes), on the keys the options allow. */
export function grantItemActions(
  table: dynamodb.TableV2,
  grantee: iam.IGrantable,
  actions: readonly ItemAction[],
  options: TableAccessOptions = {},
): void {
  const on = options.on ?? 'table';
  const resources = [...(on === 'indexes' ? [] : [table.tableArn]), ...(on === 'table' ? [] : [`${table.tableArn}/index/*`])];
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      actions: [...new Set(actions)],
      resources,
      ...(leadingKeysCondition(options) ? { conditions: leadingKeysCondition(options) } : {}),
    }),
  );
}
