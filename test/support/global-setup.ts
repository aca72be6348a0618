import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from './dynamodb-local.js';

/**
 * Starts one DynamoDB Local (in memory, shared by all test files, each with its own table prefix) and
 * stops it after the run. It is only spawned here; tests that use it wait until it answers, so runs of
 * unit tests alone do not wait for a JVM to boot.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const local = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', local.endpoint);
  project.provide('dynamodbStartError', local.startError);
  // An interrupted run (Ctrl-C, a crash) skips teardown: never leave a JVM behind.
  const killOnExit = () => local.kill();
  process.once('exit', killOnExit);
  return async () => {
    process.off('exit', killOnExit);
    await local.stop();
  };
}
