import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { auditKeys } from '../functions/shared/storage/tables.js';
import { deadLetterQueue } from './dead-letter-queue.js';
import { VigilFunction } from './vigil-function.js';

export interface AuditExportProps {
  /** The audit table; its stream (NEW_IMAGE) feeds the export. */
  readonly auditTable: dynamodb.ITableV2;
  /** Where audit events are published. */
  readonly bus: events.IEventBus;
  /**
   * Stream records per invocation; each becomes one PutEvents entry, sent 10 per request.
   * @default 100
   */
  readonly batchSize?: number;
  /**
   * Retries of a failing batch (halved on every error) before its records go to the failure queue.
   * @default 5
   */
  readonly retryAttempts?: number;
  /**
   * Lambda active tracing (X-Ray).
   * @default true
   */
  readonly tracing?: boolean;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group and the failure queue when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Audit export: new audit events flow from the audit table's stream to the Vigil event bus
 * (functions/audit-export), where rules route them to a SIEM, chat or Security Hub.
 */
export class AuditExport extends Construct {
  readonly handler: VigilFunction;
  /** Receives the stream positions of records that failed every retry (the events stay in the audit table). */
  readonly failureQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: AuditExportProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.handler = new VigilFunction(this, 'Handler', {
      function: 'auditExport',
      description: 'Vigil: publishes new audit events from the audit table stream to the event bus',
      // I/O-bound: JSON in, PutEvents out.
      memorySize: 512,
      // A batch of 100 is 10 PutEvents requests; a minute leaves room for EventBridge retries.
      timeout: Duration.minutes(1),
      environment: { VIGIL_EVENT_BUS_NAME: props.bus.eventBusName },
      logRetention: props.logRetention,
      tracing: props.tracing,
      logRemovalPolicy: removalPolicy,
    });
    props.bus.grantPutEventsTo(this.handler.function);

    this.failureQueue = deadLetterQueue(this, 'FailureQueue', {
      removalPolicy,
      deadLetterOf: 'the audit stream mapping (its on-failure destination)',
    });

    this.handler.function.addEventSource(
      new DynamoEventSource(props.auditTable, {
        // Every event since the mapping exists, including those written before its first poll.
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: props.batchSize ?? 100,
        maxBatchingWindow: Duration.seconds(1),
        bisectBatchOnError: true,
        reportBatchItemFailures: true,
        retryAttempts: props.retryAttempts ?? 5,
        // Older than a day is past the stream's retention anyway.
        maxRecordAge: Duration.days(1),
        onFailure: new SqsDlq(this.failureQueue),
        // Only new audit events: pod records share the table (and are rewritten often), and TTL deletions
        // of expired events are not news.
        filters: [
          lambda.FilterCriteria.filter({
            eventName: ['INSERT'],
            dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(auditKeys.eventPrefix) } } },
          }),
        ],
      }),
    );
  }
}
