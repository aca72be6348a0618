import { startLocalMode } from '../../infra/local/start.js';

// Local mode as `npm start` runs it, in a process of its own, so that a test can SIGKILL it in the middle
// of an operation. Unlike `npm start`, the tables get the prefix the test chooses, so that a restarted
// process finds the data the killed one left behind and other tests' tables stay out of the way.
// VIGIL_TEST_PORT (optional) lets a restarted process serve where the killed one did.
// Prints one JSON line `{ "url": … }` once it serves; the test kills it, there is no clean stop.

const { VIGIL_TEST_DATA_DIR, VIGIL_TEST_ADMIN_TOKEN, VIGIL_TEST_DYNAMODB_ENDPOINT, VIGIL_TEST_TABLE_PREFIX } = process.env;
if (!VIGIL_TEST_DATA_DIR || !VIGIL_TEST_ADMIN_TOKEN || !VIGIL_TEST_DYNAMODB_ENDPOINT || !VIGIL_TEST_TABLE_PREFIX) {
  process.stderr.write('local-mode-process: VIGIL_TEST_* settings missing\n');
  process.exit(2);
}
const local = await startLocalMode({
  host: '127.0.0.1',
  port: Number(process.env.VIGIL_TEST_PORT ?? 0),
  dataDir: VIGIL_TEST_DATA_DIR,
  adminToken: VIGIL_TEST_ADMIN_TOKEN,
  dynamodbEndpoint: VIGIL_TEST_DYNAMODB_ENDPOINT,
  tablePrefix: VIGIL_TEST_TABLE_PREFIX,
  logger: { info: () => undefined, error: (message: string) => process.stderr.write(`${message}\n`) },
});
process.stdout.write(`${JSON.stringify({ url: local.url })}\n`);
