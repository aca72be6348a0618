import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

/** Where the layer's exec wrapper lives once the layer is attached (docs/protection-layer.md). */
export const VIGIL_EXEC_WRAPPER = '/opt/vigil/vigil-wrapper';

/**
 * Where a protected function finds its enforcer-group token. From a store, the layer reads it at start with
 * the SDK of the Lambda runtime, and the token stays out of the function's configuration.
 */
export abstract class VigilToken {
  /** A Secrets Manager secret holding the token, or a JSON object with a `token` field (`VIGIL_TOKEN_SECRET`). */
  static fromSecret(secret: secretsmanager.ISecret): VigilToken {
    return new (class extends VigilToken {
      bind(fn: lambda.Function): Record<string, string> {
        secret.grantRead(fn);
        return { VIGIL_TOKEN_SECRET: secret.secretArn };
      }
    })();
  }

  /**
   * An SSM parameter holding the token, usually a SecureString created outside CloudFormation and imported with
   * `ssm.StringParameter.fromSecureStringParameterAttributes` (`VIGIL_TOKEN_PARAMETER`).
   */
  static fromSsmParameter(parameter: ssm.IParameter): VigilToken {
    return new (class extends VigilToken {
      bind(fn: lambda.Function): Record<string, string> {
        parameter.grantRead(fn);
        return { VIGIL_TOKEN_PARAMETER: parameter.parameterName };
      }
    })();
  }

  /**
   * The token itself (`VIGIL_TOKEN`): it becomes part of the function's configuration, readable by whoever may
   * read that. Pass it from a deploy-time source, never as a literal in source code; prefer a store.
   */
  static fromValue(token: string): VigilToken {
    return new (class extends VigilToken {
      bind(): Record<string, string> {
        return { VIGIL_TOKEN: token };
      }
    })();
  }

  /** Grants the function what reading the token needs; returns the layer settings that name it. */
  abstract bind(fn: lambda.Function): Record<string, string>;
}

export interface VigilProtectionProps {
  /**
   * The Vigil protection layer, e.g. `lambda.LayerVersion.fromLayerVersionArn(this, 'VigilLayer', '<ProtectionLayerArn output>')`.
   */
  readonly layer: lambda.ILayerVersion;
  /** Base URL of the control plane: the Vigil stack's `ApiUrl` output (`VIGIL_ENDPOINT`). */
  readonly endpoint: string;
  /** Token of the `nano_enforcer` enforcer group the functions belong to. */
  readonly token: VigilToken;
  /**
   * What the layer does while it knows no policy bundle (`VIGIL_FAIL_MODE`): `closed` refuses every spawn
   * and outbound connection until the first bundle arrives.
   * @default 'open'
   */
  readonly failMode?: 'open' | 'closed';
  /**
   * Tags that `function.tag` scopes match (`VIGIL_FUNCTION_TAGS`): Lambda does not show a function its tags.
   * @default - none
   */
  readonly functionTags?: Readonly<Record<string, string>>;
}

/** Python runtimes the layer's Python package is built and documented for (ADR 0018). */
export const PROTECTED_PYTHON_RUNTIMES: readonly string[] = ['python3.11', 'python3.12', 'python3.13'];

/**
 * Protects Node.js and Python (3.11 to 3.13) Lambda functions with the Vigil layer through the exec wrapper
 * (no code change): adds the layer, `AWS_LAMBDA_EXEC_WRAPPER`, the layer's settings and read access to the
 * token's store.
 *
 * ```ts
 * const vigil = new VigilProtection(this, 'Vigil', { layer, endpoint, token: VigilToken.fromSecret(secret) });
 * vigil.protect(myFunction);
 * ```
 */
export class VigilProtection extends Construct {
  private readonly props: VigilProtectionProps;

  constructor(scope: Construct, id: string, props: VigilProtectionProps) {
    super(scope, id);
    for (const [key, value] of Object.entries(props.functionTags ?? {})) {
      // The layer reads `k=v,k2=v2`: separators inside a tag would split it.
      if (/[,=]/.test(key) || value.includes(','))
        throw new Error(`${this.node.path}: function tag "${key}" must not contain "," (nor "=" in the key)`);
    }
    this.props = props;
  }

  /** Adds the layer and its environment to each function (Node.js runtimes and python3.11 to python3.13). */
  protect(...functions: lambda.Function[]): void {
    for (const fn of functions) {
      const supported = fn.runtime.family === lambda.RuntimeFamily.NODEJS || PROTECTED_PYTHON_RUNTIMES.includes(fn.runtime.name);
      if (!supported) {
        throw new Error(
          `${fn.node.path}: the Vigil layer protects Node.js and ${PROTECTED_PYTHON_RUNTIMES.join(', ')} functions, not ${fn.runtime.name}`,
        );
      }
      fn.addLayers(this.props.layer);
      const tags = Object.entries(this.props.functionTags ?? {}).map(([key, value]) => `${key}=${value}`);
      const environment: Record<string, string> = {
        AWS_LAMBDA_EXEC_WRAPPER: VIGIL_EXEC_WRAPPER,
        VIGIL_ENDPOINT: this.props.endpoint,
        ...this.props.token.bind(fn),
        VIGIL_FAIL_MODE: this.props.failMode ?? 'open',
        // Known before the first invocation, so that `cloud.awsaccount` scopes apply from the start.
        VIGIL_AWS_ACCOUNT: Stack.of(fn).account,
        ...(tags.length > 0 ? { VIGIL_FUNCTION_TAGS: tags.join(',') } : {}),
      };
      for (const [key, value] of Object.entries(environment)) fn.addEnvironment(key, value);
    }
  }
}
