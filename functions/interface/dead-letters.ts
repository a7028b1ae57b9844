// What the function writes on a dead-lettered message and the CLI reads back: the kinds and the attribute names.
// Kept apart from the dead-letter sender so that naming a kind does not load the SQS client at cold start.

/** The `bridge-error-kind` values, in the order metrics and summaries list them. */
export const DEAD_LETTER_KINDS = ['invalid-message', 'rejected-by-receiver', 'failed-after-retries'] as const;

export type DeadLetterKind = (typeof DEAD_LETTER_KINDS)[number];

/** The message attributes the bridge adds to a dead-lettered copy (replay removes them). */
export const BRIDGE_ATTRIBUTES = ['bridge-error-kind', 'bridge-error', 'bridge-source-message-id'] as const;
