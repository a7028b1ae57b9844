// Typed errors of the pipeline. Every error about input names the message and the field, so an operator
// reading a dead-lettered message's `bridge-error` attribute knows what to fix at the device.

/** A message that can never succeed: it is dead-lettered with kind `invalid-message`. */
export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';

  constructor(
    /** SQS message id of the offending message ('' when unknown, e.g. in unit tests of a decoder). */
    readonly messageId: string,
    /** JSON path of the offending field inside the body, e.g. `metrics.temperature` or `[3].bt`; '' for the whole body. */
    readonly field: string,
    /** What was wrong and what was expected. */
    readonly reason: string,
  ) {
    super(InvalidMessageError.format(messageId, field, reason));
  }

  static format(messageId: string, field: string, reason: string): string {
    const where = field === '' ? 'body' : `field ${field}`;
    const who = messageId === '' ? 'message' : `message ${messageId}`;
    return `${who}: ${where}: ${reason}`;
  }

  /** The same error, attributed to a message once its id is known. */
  withMessageId(messageId: string): InvalidMessageError {
    return new InvalidMessageError(messageId, this.field, this.reason);
  }
}
