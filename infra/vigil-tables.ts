import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableDefinitions, type TableDefinition } from '../functions/shared/storage/tables.js';

export interface VigilTablesProps {
  /** Table names are `<prefix>config` and `<prefix>audit`, as the functions derive them from `VIGIL_TABLE_PREFIX`. */
  readonly tablePrefix: string;
  /**
   * Refuse DeleteTable (also from CloudFormation) until it is switched off.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * What happens to the tables when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const attributeTypes: Readonly<Record<string, dynamodb.AttributeType>> = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};

/** The attribute of a key, typed as the definition declares it. */
function attribute(definition: TableDefinition, name: string): dynamodb.Attribute {
  const declared = definition.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType;
  const type = declared ? attributeTypes[declared] : undefined;
  if (!type) throw new Error(`${definition.TableName}: key attribute ${name} has no declared type`);
  return { name, type };
}

/** Partition and sort key of a key schema, as TableV2 and its indexes take them. */
function keys(
  definition: TableDefinition,
  schema: ReadonlyArray<{ AttributeName?: string | undefined; KeyType?: string | undefined }> | undefined,
) {
  const named = (keyType: string) => schema?.find((k) => k.KeyType === keyType)?.AttributeName;
  const partition = named('HASH');
  if (!partition) throw new Error(`${definition.TableName}: a key schema has no partition key`);
  const sort = named('RANGE');
  return { partitionKey: attribute(definition, partition), ...(sort ? { sortKey: attribute(definition, sort) } : {}) };
}

/**
 * The config and audit tables, built from the same definitions local mode and the tests create
 * (functions/shared/storage/tables.ts), so that the deployed design cannot drift from the tested one.
 */
export class VigilTables extends Construct {
  readonly config: dynamodb.TableV2;
  readonly audit: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: VigilTablesProps) {
    super(scope, id);
    const definitions = tableDefinitions(props.tablePrefix);
    const table = (tableId: string, definition: TableDefinition, ttlAttribute?: string): dynamodb.TableV2 => {
      const stream = definition.StreamSpecification?.StreamEnabled ? definition.StreamSpecification.StreamViewType : undefined;
      return new dynamodb.TableV2(this, tableId, {
        tableName: definition.TableName,
        ...keys(definition, definition.KeySchema),
        globalSecondaryIndexes: (definition.GlobalSecondaryIndexes ?? []).map((index) => {
          if (index.Projection?.ProjectionType !== 'ALL')
            throw new Error(`${definition.TableName}: index ${index.IndexName} must project ALL`);
          return { indexName: index.IndexName!, ...keys(definition, index.KeySchema), projectionType: dynamodb.ProjectionType.ALL };
        }),
        // On-demand: traffic is spiky (pod rollouts, audit bursts) and an idle installation then costs nothing.
        billing: dynamodb.Billing.onDemand(),
        // The AWS-managed key (aws/dynamodb): encryption with a key of this account's KMS, usage in CloudTrail,
        // no key fee and no key grants on every role. docs/adr/0006 says when to bring a customer-managed key.
        encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: props.deletionProtection ?? true,
        removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
        ...(stream ? { dynamoStream: dynamodb.StreamViewType[stream] } : {}),
        ...(ttlAttribute ? { timeToLiveAttribute: ttlAttribute } : {}),
      });
    };
    this.config = table('Config', definitions.config);
    this.audit = table('Audit', definitions.audit, definitions.auditTtlAttribute);
  }
}
