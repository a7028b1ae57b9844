// Turns a failure into what the operator reads: one line saying what went wrong and what to do, and the
// exit code from the table in exit-codes.ts. Only an error nobody anticipated (a bug) prints a stack trace.
import { CommanderError } from 'commander';
import { CliError, ExitCode, type ExitCodeValue } from './exit-codes.js';
import { escapeUnsafe } from './safe-text.js';
import { awsErrorName, isMissingQueue } from './sqs/client.js';

export interface FailureReport {
  readonly exitCode: ExitCodeValue;
  /** Undefined when the message was already printed (commander's usage errors). */
  readonly line: string | undefined;
}

const CREDENTIAL_ERRORS = new Set([
  'CredentialsProviderError',
  'InvalidClientTokenId',
  'UnrecognizedClientException',
  'SignatureDoesNotMatch',
  'InvalidSignatureException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredToken',
  'ExpiredTokenException',
  'TokenRefreshRequired',
]);

const CREDENTIAL_HINT =
  'set credentials (aws configure, aws sso login, AWS_PROFILE, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY) and retry';

function oneLine(text: string): string {
  return escapeUnsafe(text.replace(/\s*\n\s*/g, ' ').trim());
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A network failure's code (`ECONNREFUSED`, ...), looking through `cause`. */
function networkCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code)) return code;
    const match = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EADDRINUSE|EACCES)\b/.exec(
      errorMessage(e),
    );
    if (match !== null) return match[1];
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeAwsError(error: unknown, name: string): FailureReport {
  const message = oneLine(errorMessage(error));
  if (CREDENTIAL_ERRORS.has(name) || /could not load credentials/i.test(message)) {
    return {
      exitCode: ExitCode.awsConfig,
      line: `AWS credentials missing or not valid (${name}): ${CREDENTIAL_HINT}`,
    };
  }
  if (isMissingQueue(error)) {
    return {
      exitCode: ExitCode.aws,
      line: 'the queue does not exist: check the queue URL (and --region / --endpoint-url)',
    };
  }
  if (/AccessDenied/.test(name)) {
    return {
      exitCode: ExitCode.aws,
      line: `access denied: ${message} (the identity in use needs the SQS permissions listed in docs/operations.md)`,
    };
  }
  return { exitCode: ExitCode.aws, line: `SQS refused the request: ${name}: ${message}` };
}

/** What to print and which code to exit with, for any failure of a command. */
export function describeFailure(error: unknown): FailureReport {
  if (error instanceof CommanderError) {
    // Help and version exit through here too, with code 0; commander already printed the message.
    return { exitCode: error.exitCode === 0 ? ExitCode.ok : ExitCode.usage, line: undefined };
  }
  if (error instanceof CliError) return { exitCode: error.exitCode, line: error.message };
  // Network failures first: the SDK dresses them as service errors (with $metadata) too.
  const code = networkCode(error);
  if (code === 'EADDRINUSE') {
    return {
      exitCode: ExitCode.portInUse,
      line: `a port is already in use: ${oneLine(errorMessage(error))}`,
    };
  }
  if (code !== undefined && /^E(CONNREFUSED|NOTFOUND|AI_AGAIN|TIMEDOUT|CONNRESET)$/.test(code)) {
    return {
      exitCode: ExitCode.aws,
      line:
        `cannot reach the SQS endpoint (${code}): check --endpoint-url / AWS_ENDPOINT_URL_SQS and the ` +
        'network; for `iotprom local`, is it still running?',
    };
  }
  const name = error instanceof Error ? error.name : undefined;
  const awsName = awsErrorName(error) ?? (name === 'CredentialsProviderError' ? name : undefined);
  if (awsName !== undefined) return describeAwsError(error, awsName);
  if (/Region is missing/.test(errorMessage(error))) {
    return { exitCode: ExitCode.awsConfig, line: 'no AWS region: pass --region <region> or set AWS_REGION' };
  }
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { exitCode: ExitCode.unexpected, line: `unexpected error (a bug; please report it): ${text}` };
}
