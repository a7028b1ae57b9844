// Exit codes of `iotprom`, documented in docs/operations.md (Exit codes) and in `iotprom --help`. Scripts
// branch on them, so a code's meaning never changes; new codes are added at the end.
export const ExitCode = {
  ok: 0,
  /** A bug or an error nobody anticipated: the only case that prints a stack trace. */
  unexpected: 1,
  /** The command line was wrong (unknown option, bad value, missing argument, --from equal to --to). */
  usage: 2,
  /** SQS refused a call or could not be reached: queue missing, access denied, operation unsupported. */
  aws: 3,
  /** The work ran but not all of it succeeded, e.g. replay left some messages in the dead-letter queue. */
  partial: 4,
  /** Something this machine must provide is missing (Prometheus binary, the built handler bundle). */
  prerequisite: 5,
  /** Refused because it could lose or loop messages (replay to a queue that does not use --from); --force overrides. */
  unsafe: 6,
  /** No AWS region, or no valid credentials. */
  awsConfig: 7,
  /** A local port the command must listen on is already in use. */
  portInUse: 8,
  /** Stopped by Ctrl-C / SIGINT / SIGTERM before the work was done. */
  interrupted: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** One line per code, for `--help` and the docs' table. */
export const EXIT_CODE_HELP: ReadonlyArray<readonly [ExitCodeValue, string]> = [
  [ExitCode.ok, 'done'],
  [ExitCode.unexpected, 'unexpected error (a bug: the only case with a stack trace)'],
  [ExitCode.usage, 'usage error (bad option or value, --from equal to --to, unknown --kind)'],
  [ExitCode.aws, 'SQS refused the call or is unreachable (queue missing, access denied)'],
  [ExitCode.partial, 'partly done (see the summary)'],
  [ExitCode.prerequisite, 'missing prerequisite (Prometheus, built handler)'],
  [
    ExitCode.unsafe,
    'refused as unsafe (--to does not use --from as its dead-letter queue): check, or --force',
  ],
  [ExitCode.awsConfig, 'no AWS region or no valid credentials'],
  [ExitCode.portInUse, 'a local port is already in use'],
  [ExitCode.interrupted, 'interrupted (Ctrl-C)'],
];

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
