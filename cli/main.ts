// The `iotprom` program: commander wiring, global options, and the mapping of failures to exit codes.
import { Command, CommanderError, Option } from 'commander';
import { inspectCommand } from './commands/inspect.js';
import { localCommand } from './commands/local.js';
import { replayCommand } from './commands/replay.js';
import { simulateCommand } from './commands/simulate.js';
import type { CommandContext } from './context.js';
import { CliError, ExitCode } from './exit-codes.js';
import { awsErrorName } from './sqs/client.js';

export function buildProgram(context: CommandContext): Command {
  const program = new Command('iotprom')
    .description(
      'Operator tool of iot-prometheus-bridge: replay and inspect dead-letter queues, simulate devices, and run ' +
        "the whole bridge on this machine. AWS region and credentials come from the SDK's usual chain " +
        '(AWS_REGION, AWS_PROFILE, ...); AWS_ENDPOINT_URL_SQS or --endpoint-url points it at another SQS endpoint.',
    )
    .version(VERSION)
    .addOption(new Option('--region <region>', 'AWS region (default: the SDK chain, e.g. AWS_REGION)'))
    .addOption(new Option('--endpoint-url <url>', 'SQS endpoint (default: AWS_ENDPOINT_URL_SQS or AWS)'))
    .option('--json', 'print the result as one JSON document on stdout (no progress bars)')
    .option('--no-progress', 'no progress bars (they are off anyway when stderr is not a terminal)')
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 unexpected error, 2 usage error, 3 SQS/AWS error, 4 partly done (see the summary),\n' +
        '5 missing prerequisite (Prometheus, built handler), 130 interrupted.\n',
    );
  for (const command of [
    replayCommand(context),
    inspectCommand(context),
    simulateCommand(context),
    localCommand(context),
  ]) {
    program.addCommand(command);
  }
  // Every command (and the program) throws instead of calling process.exit, so main() chooses the code.
  const exitOverride = (cmd: Command): void => {
    cmd.exitOverride();
    for (const sub of cmd.commands) exitOverride(sub);
  };
  exitOverride(program);
  return program;
}

const VERSION = '0.1.0';

/** Runs the program on argv (without node and script) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const context: CommandContext = { exitCode: ExitCode.ok };
  const program = buildProgram(context);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return context.exitCode;
  } catch (error) {
    return reportFailure(error);
  }
}

function reportFailure(error: unknown): number {
  if (error instanceof CommanderError) {
    // Help and version exit through here too, with code 0; commander already printed the message.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (error instanceof CliError) {
    process.stderr.write(`iotprom: ${error.message}\n`);
    return error.exitCode;
  }
  const awsName = awsErrorName(error);
  if (awsName !== undefined) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`iotprom: SQS refused the request: ${awsName}: ${message}\n`);
    return ExitCode.aws;
  }
  if (
    error instanceof Error &&
    /ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(`${error.message} ${String(error.cause)}`)
  ) {
    process.stderr.write(`iotprom: cannot reach the SQS endpoint: ${error.message}\n`);
    return ExitCode.aws;
  }
  process.stderr.write(
    `iotprom: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return ExitCode.unexpected;
}
