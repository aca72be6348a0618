import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { deadLetterQueue } from './dead-letter-queue.js';
import { acknowledgeWildcardResource } from './nag.js';

export interface ModeChangeSchedulingProps {
  /** The function every schedule and the sweep invoke (functions/mode-change). */
  readonly modeChange: lambda.IFunction;
  /** Name of the schedule group the API creates one-time schedules in (`[0-9A-Za-z-_.]`, up to 64). */
  readonly scheduleGroupName: string;
  /**
   * How often the sweep applies changes whose schedule never fired (docs/adr/0004).
   * @default Duration.minutes(5)
   */
  readonly sweepInterval?: Duration;
  /**
   * What happens to the schedule group and the dead-letter queue when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * What scheduled enforcement-mode changes need in AWS (docs/adr/0004): the schedule group, the role
 * EventBridge Scheduler assumes (it may invoke the mode-change function and nothing else), the dead-letter
 * queue of deliveries that failed every retry, and the sweep rule. The schedules themselves are made at run
 * time by the API function, which `grantManageSchedules` allows.
 */
export class ModeChangeScheduling extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly schedulerRole: iam.Role;
  readonly deadLetterQueue: sqs.Queue;
  readonly sweepRule: events.Rule;
  private readonly scheduleArnPattern: string;
  private readonly groupName: string;

  constructor(scope: Construct, id: string, props: ModeChangeSchedulingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.groupName = props.scheduleGroupName;
    this.group = new scheduler.ScheduleGroup(this, 'Group', { scheduleGroupName: props.scheduleGroupName, removalPolicy });
    this.scheduleArnPattern = stack.formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${props.scheduleGroupName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });

    this.deadLetterQueue = deadLetterQueue(this, 'DeadLetterQueue', { removalPolicy, deadLetterOf: 'the mode-change schedules' });

    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'Assumed by EventBridge Scheduler to deliver Vigil mode changes',
      // Only schedules of this account's Vigil group may use the role (confused-deputy protection).
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnEquals: { 'aws:SourceArn': this.group.scheduleGroupArn },
        },
      }),
    });
    // The unqualified ARN only (no `:*` for versions and aliases): schedules target exactly that.
    this.schedulerRole.addToPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.modeChange.functionArn] }),
    );
    this.deadLetterQueue.grantSendMessages(this.schedulerRole);

    this.sweepRule = new events.Rule(this, 'SweepRule', {
      description: 'Applies Vigil mode changes whose one-time schedule did not fire',
      schedule: events.Schedule.rate(props.sweepInterval ?? Duration.minutes(5)),
      // A sweep that fails is replaced by the next one: retry briefly, never pile up.
      targets: [new targets.LambdaFunction(props.modeChange, { retryAttempts: 2, maxEventAge: Duration.minutes(4) })],
    });
  }

  /** The settings the API function reads to create schedules (functions/shared/runtime.ts). */
  environment(modeChange: lambda.IFunction): Record<string, string> {
    return {
      VIGIL_SCHEDULE_GROUP: this.group.scheduleGroupName,
      VIGIL_MODE_CHANGE_FUNCTION_ARN: modeChange.functionArn,
      VIGIL_SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
      VIGIL_SCHEDULER_DLQ_ARN: this.deadLetterQueue.queueArn,
    };
  }

  /**
   * Lets a principal create, replace, read and delete schedules in this group only, and pass the Scheduler
   * role only to EventBridge Scheduler.
   */
  grantManageSchedules(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
        resources: [this.scheduleArnPattern],
      }),
    );
    acknowledgeWildcardResource(
      grantee.grantPrincipal instanceof Construct ? grantee.grantPrincipal : this,
      `arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${this.groupName}/*`,
      'Schedules are created at run time, one per policy with a name derived from it: the grant is every schedule of the Vigil group and no other group.',
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.schedulerRole.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
  }
}
