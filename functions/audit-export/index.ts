// Lambda entry point of the audit export (audit table stream → event bus): wiring only; the behaviour lives in app.ts.
// It reads nothing from DynamoDB, so it takes the bus name alone rather than the whole runtime configuration.
import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { EventBridgePublisher } from '../shared/events/EventBridgePublisher.js';
import { createAuditExportHandler } from './app.js';

const eventBusName = process.env.VIGIL_EVENT_BUS_NAME;
if (!eventBusName) throw new Error('VIGIL_EVENT_BUS_NAME is not set');

export const handler = createAuditExportHandler({
  publisher: new EventBridgePublisher(new EventBridgeClient({}), eventBusName),
  logger: new Logger({ serviceName: 'vigil' }),
});
