import { relative, sep } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startDynamoDbLocal } from './dynamodb-local.js';

/** Test files under these folders talk to DynamoDB Local. */
const NEEDS_DYNAMODB = ['test/integration/', 'test/e2e/'];

/**
 * Whether this run may include a test that needs DynamoDB Local. Only a run narrowed by CLI file filters
 * to other folders (`vitest run test/unit`) says no; watch mode, `related` and anything unclear say yes.
 * The filters are read from a field vitest does not type (`filenamePattern`, set before global setup);
 * if a later version drops it, DynamoDB Local simply always starts.
 */
async function runNeedsDynamoDb(project: TestProject): Promise<boolean> {
  if (project.config.watch || (project.config.related?.length ?? 0) > 0) return true;
  const filters = (project.vitest as unknown as { filenamePattern?: unknown }).filenamePattern;
  if (!Array.isArray(filters) || filters.length === 0 || !filters.every((filter) => typeof filter === 'string')) return true;
  const { testFiles } = await project.globTestFiles(filters);
  return testFiles.some((file) => {
    const path = relative(project.config.root, file).split(sep).join('/');
    return NEEDS_DYNAMODB.some((folder) => path.startsWith(folder));
  });
}

/**
 * Starts one DynamoDB Local (in memory, shared by all test files, each with its own table prefix) and
 * stops it after the run. It is only spawned here; tests that use it wait until it answers (see
 * `useTables`), and a run of unit tests alone does not start it at all: on a small machine the JVM's
 * boot would slow the unit tests down.
 */
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (!(await runNeedsDynamoDb(project))) {
    project.provide('dynamodbEndpoint', '');
    project.provide(
      'dynamodbStartError',
      'DynamoDB Local was not started: the file filters of this run name no test under test/integration or test/e2e',
    );
    return undefined;
  }
  const local = await startDynamoDbLocal();
  project.provide('dynamodbEndpoint', local.endpoint);
  project.provide('dynamodbStartError', local.startError);
  // An interrupted run can skip teardown: never leave a JVM behind.
  const killOnExit = () => local.kill();
  process.once('exit', killOnExit);
  return async () => {
    process.off('exit', killOnExit);
    await local.stop();
  };
}
