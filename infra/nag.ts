// Acknowledging cdk-nag findings precisely: cdk-nag 3 names each wildcard finding by the resource string as it
// renders it (`<LogicalId.Attribute>` for a GetAtt, `<AWS::AccountId>` for a pseudo parameter), and an
// acknowledgement covers exactly one such string on one construct and its children.
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { IConstruct } from 'constructs';

/** How cdk-nag renders `Fn::GetAtt <resource>.<attribute>` in a finding id. */
export function nagGetAtt(resource: IConstruct, attribute: string): string {
  const element = resource.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${resource.node.path} has no CloudFormation resource`);
  return `<${Stack.of(element).getLogicalId(element)}.${attribute}>`;
}

/** How cdk-nag renders `Ref <resource>` in a finding id. */
export function nagRef(resource: IConstruct): string {
  const element = resource.node.defaultChild;
  if (!(element instanceof CfnElement)) throw new Error(`${resource.node.path} has no CloudFormation resource`);
  return `<${Stack.of(element).getLogicalId(element)}>`;
}

/** The index wildcard that TableV2's read and write grants add (`<table ARN>/index/*`). */
export function nagTableIndexes(table: dynamodb.TableV2): string {
  return `${nagGetAtt(table, 'Arn')}/index/*`;
}

/** Acknowledges one wildcard resource of AwsSolutions-IAM5 on the construct that owns the policy. */
export function acknowledgeWildcardResource(policyOwner: IConstruct, resource: string, reason: string): void {
  Validations.of(policyOwner).acknowledge({ id: `AwsSolutions-IAM5[Resource::${resource}]`, reason });
}
