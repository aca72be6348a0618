import { Duration, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export interface DeadLetterQueueProps {
  readonly removalPolicy: RemovalPolicy;
  /** What fails into the queue, for the cdk-nag acknowledgement ("the mode-change schedules"). */
  readonly deadLetterOf: string;
}

/**
 * Where failed deliveries wait for a person: encrypted, TLS only, kept the longest SQS allows (a lost
 * delivery is investigated, not replayed automatically). Its depth raises an alarm (vigil-alarms.ts).
 */
export function deadLetterQueue(scope: Construct, id: string, props: DeadLetterQueueProps): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    removalPolicy: props.removalPolicy,
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself the dead-letter queue of ${props.deadLetterOf}; its depth raises an alarm.`,
  });
  return queue;
}
