import { join } from 'node:path';
import { RemovalPolicy, Validations, type Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import {
  esmRequireBanner,
  externalModules,
  functionEntries,
  lambdaNodeOptions,
  lambdaTarget,
  mainFields,
  moduleAliases,
  repoRoot,
  type VigilFunctionName,
} from './lambda-bundling.js';

/** The CloudWatch namespace of Vigil's own metrics (Powertools reads it from the environment). */
export const METRICS_NAMESPACE = 'Vigil';

export interface VigilFunctionProps {
  /** Which function of `functions/` to bundle (see `functionEntries`). */
  readonly function: VigilFunctionName;
  readonly description: string;
  /** Memory in MiB; Lambda allots CPU in proportion, so it also sets cold-start and compile speed. */
  readonly memorySize: number;
  readonly timeout: Duration;
  /**
   * Concurrency reserved for (and capping) the function.
   * @default - none: the function shares the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Settings the handler reads (see functions/shared/runtime.ts).
   * @default - none beyond the common ones
   */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Lambda active tracing (X-Ray). Every sampled invocation is a recorded trace: see the README's costs.
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the log group when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * One control-plane Lambda function: nodejs24.x on arm64, an ESM bundle made by local esbuild, its own role
 * (which starts with nothing but writing its own log group) and its own log group.
 */
export class VigilFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: VigilFunctionProps) {
    super(scope, id);
    const tracing = props.tracing ?? true;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.THREE_MONTHS,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // An own role instead of the default one: the default attaches AWSLambdaBasicExecutionRole, which may
    // write to every log group of the account.
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Vigil ${props.function} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new NodejsFunction(this, 'Function', {
      entry: join(repoRoot, functionEntries[props.function]),
      handler: 'handler',
      projectRoot: repoRoot,
      depsLockFilePath: join(repoRoot, 'package-lock.json'),
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      // Graviton: about 20 % cheaper per GB-second than x86_64, and nothing here is architecture-specific.
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      // Active tracing records each invocation's segment without the X-Ray SDK in the bundle (the Powertools
      // tracer would add it to the webhook's cold start and size budget).
      tracing: tracing ? lambda.Tracing.ACTIVE : lambda.Tracing.DISABLED,
      environment: {
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        NODE_OPTIONS: lambdaNodeOptions,
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: lambdaTarget,
        mainFields: [...mainFields],
        banner: esmRequireBanner,
        externalModules: [...externalModules],
        esbuildArgs: { '--alias': Object.entries(moduleAliases).map(([from, to]) => `${from}=${to}`) },
        minify: true,
        sourceMap: true,
        // The map only needs to point at lines; the sources themselves would double the upload.
        sourcesContent: false,
        forceDockerBundling: false,
        // esbuild's per-file size summary says nothing a failure would not.
        logLevel: LogLevel.WARNING,
      },
    });

    // Lambda writes trace segments with xray:PutTraceSegments/PutTelemetryRecords, which support no
    // resource-level permissions: CDK adds them with Resource "*" to this role when tracing is active.
    const defaultPolicy = this.role.node.tryFindChild('DefaultPolicy');
    if (tracing && defaultPolicy) {
      Validations.of(defaultPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Only the X-Ray actions of active tracing use Resource "*": xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions.',
      });
    }
  }
}
