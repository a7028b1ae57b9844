import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

// Placeholder until the ingest handler lands (issue 3).
export async function handler(_event: SQSEvent, _context: Context): Promise<SQSBatchResponse> {
  return { batchItemFailures: [] };
}
