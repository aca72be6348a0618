import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { bootstrap } from '../shared/bootstrap.js';
import { TIMED_OUT, within } from '../shared/deadline.js';
import type { Runtime } from '../shared/runtime.js';

// The deployment's first start: a CloudFormation custom resource runs the same bootstrap as local mode (the
// `default` and `default-ke` enforcer groups, the enforcer settings) on every create and update of the stack,
// so that a fresh installation can register clusters at once. Bootstrap leaves what exists alone.

/** What CloudFormation expects at the pre-signed response URL. */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly Data?: Readonly<Record<string, string>>;
}

export type SendResponse = (responseUrl: string, response: CustomResourceResponse) => Promise<void>;

/** One resource per installation: its id never changes, so updates never replace (and delete) it. */
export const PHYSICAL_RESOURCE_ID = 'vigil-bootstrap';
/** Time kept back from the invocation's budget to deliver the answer: without one, CloudFormation waits an hour. */
const RESPONSE_RESERVE_MS = 5_000;

/** PUTs the answer to the pre-signed URL (S3 signs no content type: none is sent). */
export const putResponse: SendResponse = (responseUrl, response) =>
  new Promise((resolve, reject) => {
    const body = JSON.stringify(response);
    const url = new URL(responseUrl);
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    const req = send(
      url,
      { method: 'PUT', headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) }, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () =>
          (res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`the response URL answered ${String(res.statusCode)}`)),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('the response URL did not answer in time')));
    req.on('error', reject);
    req.end(body);
  });

export type BootstrapHandler = (event: CloudFormationCustomResourceEvent, context: Context) => Promise<void>;

/** The custom resource handler: bootstrap on Create and Update, nothing on Delete, and always an answer. */
export function createBootstrapHandler(runtime: Runtime, send: SendResponse = putResponse): BootstrapHandler {
  return async (event, context) => {
    const { logger } = runtime;
    let outcome: Pick<CustomResourceResponse, 'Status' | 'Reason' | 'Data'>;
    if (event.RequestType === 'Delete') {
      // The configuration lives and dies with the tables (retained, or deleted with a dev stack).
      outcome = { Status: 'SUCCESS' };
    } else {
      try {
        const result = await within(bootstrap(runtime), context.getRemainingTimeInMillis() - RESPONSE_RESERVE_MS);
        if (result === TIMED_OUT) throw new Error('bootstrap did not finish in time');
        logger.info('bootstrap done', { created: result.created });
        outcome = { Status: 'SUCCESS', Data: { created: result.created.join(',') } };
      } catch (error) {
        logger.error('bootstrap failed', { error: error as Error });
        // Shown in the stack events: where to look, not what failed inside.
        outcome = { Status: 'FAILED', Reason: `Vigil bootstrap failed; see log stream ${context.logStreamName}` };
      }
    }
    await send(event.ResponseURL, {
      ...outcome,
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    });
  };
}
