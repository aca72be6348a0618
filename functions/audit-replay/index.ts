// Lambda entry point of the audit replay (SQS fallback queue → audit table): wiring only; the behaviour lives in app.ts.
import { Logger } from '@aws-lambda-powertools/logger';
import { runtimeConfigFromEnv } from '../shared/runtime-config.js';
import { writeGeneratedAuditEvents } from '../shared/storage/audit-items.js';
import { createDynamoClients } from '../shared/storage/client.js';
import { createAuditReplayHandler } from './app.js';

const config = runtimeConfigFromEnv();
const { document } = createDynamoClients({ endpoint: config.dynamodbEndpoint, region: config.region });
const auditTable = `${config.tablePrefix}audit`;

export const handler = createAuditReplayHandler({
  write: (events) => writeGeneratedAuditEvents(document, auditTable, events),
  logger: new Logger({ serviceName: 'vigil' }),
});
