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
   * Also allow these actions on the table's secondary indexes (`<table ARN>/index/*`).
   * @default false
   */
  readonly indexes?: boolean;
}

/** Lets `grantee` perform exactly `actions` on `table` (and, if asked, on its indexes). */
export function grantItemActions(
  table: dynamodb.TableV2,
  grantee: iam.IGrantable,
  actions: readonly ItemAction[],
  options: TableAccessOptions = {},
): void {
  const resources = options.indexes ? [table.tableArn, `${table.tableArn}/index/*`] : [table.tableArn];
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: [...new Set(actions)], resources }));
}
