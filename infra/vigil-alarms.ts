import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { RouteMetrics } from './vigil-http-api.js';

export interface VigilAlarmsProps {
  /** The admission webhook function. */
  readonly webhook: lambda.IFunction;
  /** The metrics of the webhook's HTTP route. */
  readonly webhookRoute: RouteMetrics;
  /**
   * 4xx answers of the webhook route per 5 minutes that raise an alarm: wrong secrets (401: a probe, or a cluster
   * whose manifest is out of date) and throttling (429). A healthy cluster causes none.
   * @default 10
   */
  readonly webhookClientErrorThreshold?: number;
  /** Every function of the stack, by name: each gets a throttle alarm. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Dead-letter and failure queues, by name: anything in them needs a person. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /**
   * Where alarms notify.
   * @default - a new topic, encrypted with a new customer-managed KMS key
   */
  readonly topic?: sns.ITopic;
  /**
   * An address subscribed to the new topic (it must confirm the subscription). Ignored with `topic`.
   * @default - no subscription
   */
  readonly email?: string;
  /**
   * Webhook p99 duration that raises an alarm when exceeded for three 5-minute periods in a row. The API
   * server waits for the enforcer group's `timeoutSeconds` (default 5 s) and then applies the fail mode.
   * @default Duration.seconds(2)
   */
  readonly webhookLatencyP99Threshold?: Duration;
  /**
   * What happens to the topic's key when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const FIVE_MINUTES = Duration.minutes(5);

/** CloudWatch alarms on the webhook (errors, p99 latency, 4xx answers of its route), throttles of every function and dead-letter queue depth. */
export class VigilAlarms extends Construct {
  readonly topic: sns.ITopic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: VigilAlarmsProps) {
    super(scope, id);
    this.topic = props.topic ?? this.createTopic(props.email, props.removalPolicy ?? RemovalPolicy.RETAIN);
    const action = new SnsAction(this.topic);
    const alarm = (alarmId: string, options: cloudwatch.AlarmProps): void => {
      const created = new cloudwatch.Alarm(this, alarmId, { treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING, ...options });
      created.addAlarmAction(action);
      created.addOkAction(action);
      this.alarms.push(created);
    };

    alarm('WebhookErrors', {
      alarmDescription:
        'Vigil admission webhook: invocations failed (crash or timeout); the API server applied the fail mode to those requests.',
      metric: props.webhook.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    const clientErrors = props.webhookClientErrorThreshold ?? 10;
    alarm('WebhookClientErrors', {
      alarmDescription: `Vigil admission webhook route: ${clientErrors} or more 4xx answers in 5 minutes. 401: someone calls with a wrong secret (probing, or a cluster still on a replaced secret); 429: the route is throttled. Either way the API servers' failurePolicy decides for the refused calls.`,
      metric: props.webhookRoute.clientErrors({ period: FIVE_MINUTES }),
      threshold: clientErrors,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
    const latency = props.webhookLatencyP99Threshold ?? Duration.seconds(2);
    alarm('WebhookLatencyP99', {
      alarmDescription: `Vigil admission webhook: p99 duration above ${latency.toMilliseconds()} ms for 15 minutes; verdicts are getting close to the API server's timeout.`,
      metric: props.webhook.metricDuration({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.p(99) }),
      threshold: latency.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      // One cold start in a quiet period should not page anyone.
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
    });
    for (const [name, fn] of Object.entries(props.functions)) {
      alarm(`Throttles-${name}`, {
        alarmDescription: `Vigil ${name} function: invocations were throttled (reserved or account concurrency exhausted).`,
        metric: fn.metricThrottles({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      alarm(`DeadLetters-${name}`, {
        alarmDescription: `Vigil ${name}: messages are waiting in the dead-letter queue.`,
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
      });
    }
  }

  /**
   * A topic with a customer-managed key: the AWS-managed SNS key's policy cannot let CloudWatch use it,
   * so alarms could not publish to a topic encrypted with it.
   */
  private createTopic(email: string | undefined, removalPolicy: RemovalPolicy): sns.Topic {
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'TopicKey', { description: 'Vigil alarm topic', enableKeyRotation: true, removalPolicy });
    const fromThisAccountsAlarms = {
      StringEquals: { 'aws:SourceAccount': stack.account },
      ArnLike: {
        'aws:SourceArn': stack.formatArn({
          service: 'cloudwatch',
          resource: 'alarm',
          resourceName: '*',
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      },
    };
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: fromThisAccountsAlarms,
      }),
    );
    const topic = new sns.Topic(this, 'Topic', { displayName: 'Vigil alarms', masterKey: key, enforceSSL: true });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: fromThisAccountsAlarms,
      }),
    );
    if (email) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }
}
