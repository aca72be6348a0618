import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBootstrapHandler, PHYSICAL_RESOURCE_ID, putResponse, type CustomResourceResponse } from '../../functions/bootstrap/app.js';
import { createRuntime } from '../../functions/shared/runtime.js';
import { defaultEnforcerGroups } from '../../layers/core/index.js';
import { lambdaContext } from '../support/events.js';
import { useTables } from '../support/use-tables.js';

// functions/bootstrap on DynamoDB Local, answering CloudFormation over real HTTP at a local "pre-signed URL".

interface Received {
  readonly method: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly body: CustomResourceResponse;
}

const tables = useTables();
const received: Received[] = [];
let responseUrl = '';
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    received.push({ method: req.method, headers: req.headers, body: JSON.parse(body) as CustomResourceResponse });
    res.end();
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cfn-response?X-Amz-Signature=abc`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function cfnEvent(requestType: 'Create' | 'Update' | 'Delete'): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:vigil-bootstrap',
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Vigil/1a2b3c',
    RequestId: `request-${requestType}`,
    LogicalResourceId: 'Bootstrap',
    ResourceType: 'Custom::VigilBootstrap',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:vigil-bootstrap' },
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  if (requestType === 'Update')
    return { ...base, RequestType: 'Update', PhysicalResourceId: PHYSICAL_RESOURCE_ID, OldResourceProperties: base.ResourceProperties };
  return { ...base, RequestType: 'Delete', PhysicalResourceId: PHYSICAL_RESOURCE_ID };
}

function handler(prefix = tables.prefix) {
  // The failures below are expected: keep their error logs out of the test output.
  return createBootstrapHandler(
    createRuntime({ mode: 'aws', tablePrefix: prefix, dynamodbEndpoint: tables.endpoint }, { logger: new Logger({ logLevel: 'SILENT' }) }),
  );
}

async function lastAnswerTo(
  requestType: 'Create' | 'Update' | 'Delete',
  options: { prefix?: string; remainingMs?: number } = {},
): Promise<Received> {
  const context = {
    ...lambdaContext('vigil-bootstrap'),
    logStreamName: '2026/11/28/[$LATEST]abc',
    getRemainingTimeInMillis: () => options.remainingMs ?? 60_000,
  };
  const before = received.length;
  await handler(options.prefix)(cfnEvent(requestType), context);
  expect(received).toHaveLength(before + 1);
  return received.at(-1)!;
}

describe('the bootstrap custom resource', () => {
  it('creates the default enforcer groups and settings on Create and answers SUCCESS with a PUT to the response URL', async () => {
    const answer = await lastAnswerTo('Create');
    expect(answer.method).toBe('PUT');
    // The pre-signed URL signs no content type.
    expect(answer.headers['content-type']).toBe('');
    expect(answer.body).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Vigil/1a2b3c',
      RequestId: 'request-Create',
      LogicalResourceId: 'Bootstrap',
      Data: { created: 'enforcerGroup/default,enforcerGroup/default-ke,settings/enforcer' },
    });
    for (const group of defaultEnforcerGroups)
      expect(await tables.configStore.get('enforcerGroup', group.name)).toMatchObject({ name: group.name, type: group.type });
    expect(await tables.configStore.get('settings', 'enforcer')).toBeDefined();
  });

  it('leaves what exists alone on Update (an operator may have changed it) and keeps the same physical id', async () => {
    const before = await tables.configStore.get('enforcerGroup', 'default-ke');
    const answer = await lastAnswerTo('Update');
    expect(answer.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { created: '' } });
    expect(await tables.configStore.get('enforcerGroup', 'default-ke')).toEqual(before);
  });

  it('deletes nothing on Delete', async () => {
    const answer = await lastAnswerTo('Delete');
    expect(answer.body).toEqual(
      expect.objectContaining({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_RESOURCE_ID, RequestId: 'request-Delete' }),
    );
    expect(answer.body.Data).toBeUndefined();
    expect(await tables.configStore.get('enforcerGroup', 'default')).toBeDefined();
  });

  it('answers FAILED, naming only the log stream, when the tables cannot be reached', async () => {
    const answer = await lastAnswerTo('Create', { prefix: 'no-such-installation-' });
    expect(answer.body).toMatchObject({
      Status: 'FAILED',
      Reason: 'Vigil bootstrap failed; see log stream 2026/11/28/[$LATEST]abc',
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
    });
  });

  it('answers FAILED rather than let CloudFormation wait when the invocation has no time left for the bootstrap', async () => {
    const answer = await lastAnswerTo('Update', { remainingMs: 5_000 });
    expect(answer.body.Status).toBe('FAILED');
  });
});

describe('putResponse', () => {
  it('rejects when the response URL refuses the answer', async () => {
    const refusing = createServer((_req, res) => {
      res.statusCode = 403;
      res.end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(refusing.address() as AddressInfo).port}/`;
      await expect(
        putResponse(url, { Status: 'SUCCESS', PhysicalResourceId: 'x', StackId: 's', RequestId: 'r', LogicalResourceId: 'l' }),
      ).rejects.toThrow('the response URL answered 403');
    } finally {
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
    }
  });
});
