// The `iotprom` program: commander wiring, global options, and the mapping of failures to exit codes.
import { Command, Option } from 'commander';
import { inspectCommand } from './commands/inspect.js';
import { localCommand } from './commands/local.js';
import { mapCommand } from './commands/map.js';
import { replayCommand } from './commands/replay.js';
import { simulateCommand } from './commands/simulate.js';
import type { CommandContext } from './context.js';
import { describeFailure } from './errors.js';
import { EXIT_CODE_HELP, ExitCode } from './exit-codes.js';

export function buildProgram(context: CommandContext): Command {
  const program = new Command('iotprom')
    .description(
      'Operator tool of iot-prometheus-bridge: replay and inspect dead-letter queues, simulate devices, run ' +
        "the whole bridge on this machine, and preview what a route makes of a message. AWS region and credentials come from the SDK's usual chain " +
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
      `\nExit codes:\n${EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padStart(3)}  ${text}`).join('\n')}\n`,
    );
  for (const command of [
    replayCommand(context),
    inspectCommand(context),
    simulateCommand(context),
    localCommand(context),
    mapCommand(context),
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
  // The SDK's multi-line notice about future Node versions says nothing an operator can act on here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
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
  const report = describeFailure(error);
  if (report.line !== undefined) process.stderr.write(`iotprom: ${report.line}\n`);
  return report.exitCode;
}
