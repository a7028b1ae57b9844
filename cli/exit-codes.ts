// Exit codes of `iotprom`, documented in README.md (Exit codes). Scripts branch on them, so their meaning never changes.
export const ExitCode = {
  ok: 0,
  /** A bug or an error nobody anticipated. */
  unexpected: 1,
  /** The command line was wrong (unknown option, bad value, missing argument). */
  usage: 2,
  /** SQS (or the endpoint standing in for it) refused a call: queue missing, access denied, operation unsupported. */
  aws: 3,
  /** The work ran but not all of it succeeded, e.g. replay left some messages in the dead-letter queue. */
  partial: 4,
  /** Something this machine must provide is missing (Prometheus binary, the built handler bundle). */
  prerequisite: 5,
  /** Stopped by Ctrl-C / SIGINT / SIGTERM before the work was done. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error whose message is meant for the operator as it is, and which selects the exit code. */
export class CliError extends Error {
  override readonly name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
