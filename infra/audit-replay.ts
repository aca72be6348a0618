import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';
import { grantItemActions } from './table-access.js';
import { auditKeys } from '../functions/shared/storage/tables.js';
import { VigilFunction } from './vigil-function.js';

export interface AuditReplayProps {
  /** The audit table the queued events are written to. */
  readonly auditTable: dynamodb.TableV2;
  /** The settings the replay function reads (the table prefix). */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Deliveries of a message before it moves to the dead-letter queue. With the visibility timeout of three
   * minutes, 100 receives keep a message retried for at least five hours of storage outage.
   * @default 100
   */
  readonly maxReceiveCount?: number;
  /** @default true */
  readonly tracing?: boolean;
  /** @default logs.RetentionDays.THREE_MONTHS */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** How long the replay function may run on one batch; the queue hides a message six times as long. */
const REPLAY_TIMEOUT = Duration.seconds(30);

/**
 * The durable fallback of the webhook's audit events (docs/adr/0011): an SQS queue that does not depend on the
 * audit table, and the function that writes what it holds to the table once storage is back. Messages that
 * cannot be stored after every receive move to a dead-letter queue, whose depth raises an alarm.
 */
export class AuditReplay extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly handler: VigilFunction;

  constructor(scope: Construct, id: string, props: AuditReplayProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', {
      removalPolicy,
      deadLetterOf: 'the audit fallback queue (audit events that could not be stored after every receive)',
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: an outage of the audit table may last.
      retentionPeriod: Duration.days(14),
      // Lambda's guidance for SQS sources: at least six times the function's timeout.
      visibilityTimeout: Duration.seconds(REPLAY_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? 100 },
      removalPolicy,
    });
    this.handler = new VigilFunction(this, 'Handler', {
      function: 'auditReplay',
      description: 'Vigil: writes audit events held in the fallback queue to the audit table',
      // I/O-bound: JSON in, BatchWriteItem out.
      memorySize: 512,
      timeout: REPLAY_TIMEOUT,
      environment: props.environment,
      logRetention: props.logRetention,
      tracing: props.tracing,
      logRemovalPolicy: removalPolicy,
    });
    this.handler.function.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
        // A storage that just came back is not flooded by a backlog of hours.
        maxConcurrency: 2,
      }),
    );
    // It writes audit events and nothing else: no reads, no other table.
    grantItemActions(props.auditTable, this.handler.function, ['dynamodb:BatchWriteItem'], { keyPrefix: auditKeys.eventPrefix });
  }

  /** Lets a function put audit events in the queue: SendMessage (which also authorises SendMessageBatch) on this queue only. */
  grantHold(fn: lambda.IFunction): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
  }
}
