import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { signRequest } from '../../cli/sigv4.js';

// Reads a table's stream on DynamoDB Local. The project has no DynamoDB Streams client, and the streams API
// is plain JSON over HTTP on the same endpoint, so a signed fetch is all it takes (DynamoDB Local wants a
// signature, whatever the key).

/** Calls one action of the DynamoDB Streams API. */
async function streamsCall<T>(endpoint: string, action: string, body: unknown): Promise<T> {
  const payload = JSON.stringify(body);
  const headers = await signRequest(
    {
      method: 'POST',
      url: new URL(endpoint),
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDBStreams_20120810.${action}` },
      body: payload,
    },
    { region: 'local', service: 'dynamodb', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } },
  );
  const response = await fetch(endpoint, { method: 'POST', headers, body: payload });
  const answer = (await response.json()) as T;
  if (!response.ok) throw new Error(`DynamoDB Streams ${action} failed: ${JSON.stringify(answer)}`);
  return answer;
}

interface DescribeStreamAnswer {
  readonly StreamDescription: { readonly Shards: ReadonlyArray<{ readonly ShardId: string }> };
}

/**
 * Everything on the table's stream so far, as the Lambda event source mapping would deliver it in one
 * batch (records in stream order, each with the stream's ARN).
 */
export async function readStream(client: DynamoDBClient, endpoint: string, tableName: string): Promise<DynamoDBStreamEvent> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`${tableName} has no stream`);
  const { StreamDescription } = await streamsCall<DescribeStreamAnswer>(endpoint, 'DescribeStream', { StreamArn: streamArn });
  const records: DynamoDBRecord[] = [];
  for (const { ShardId } of StreamDescription.Shards) {
    let { ShardIterator: iterator } = await streamsCall<{ ShardIterator?: string }>(endpoint, 'GetShardIterator', {
      StreamArn: streamArn,
      ShardId,
      ShardIteratorType: 'TRIM_HORIZON',
    });
    // An open shard always hands out a next iterator: stop at the first empty page.
    for (let page = 0; iterator && page < 100; page++) {
      const answer = await streamsCall<{ Records: DynamoDBRecord[]; NextShardIterator?: string }>(endpoint, 'GetRecords', {
        ShardIterator: iterator,
      });
      if (answer.Records.length === 0) break;
      records.push(...answer.Records.map((record) => ({ ...record, eventSourceARN: streamArn })));
      iterator = answer.NextShardIterator;
    }
  }
  return { Records: records };
}
