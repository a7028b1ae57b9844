// `iotprom simulate`: its options and summary; the telemetry and pacing are cli/simulate/.
import { Command, Option } from 'commander';
import { interruptOnSignals } from '../abort.js';
import { globalOptions, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { formats, positiveInteger, rate, seconds, share } from '../options.js';
import { printJson, printLine, progressBar } from '../output.js';
import { simulate } from '../simulate/simulate.js';
import { MESSAGE_FORMATS, ROUTELESS_FORMATS, type MessageFormat } from '../simulate/telemetry.js';
import { createSqsClient } from '../sqs/client.js';

interface SimulateFlags {
  queue: string;
  devices: number;
  rate: number;
  duration?: number;
  count?: number;
  formats: MessageFormat[];
  malformed: number;
  concurrency: number;
}

export function simulateCommand(context: CommandContext): Command {
  return new Command('simulate')
    .summary('send synthetic device telemetry to a queue')
    .description(
      'Sends temperature, humidity and battery readings of N devices (labels device and site) in the ' +
        'message formats the bridge accepts, for demos and load tests. Stops after --duration or --count. ' +
        'The format readings sends flat readings of telemetry/<site>/<device> as the rule of a route named ' +
        'readings wraps them (iotprom local has that route); it is left out unless --formats names it.',
    )
    .requiredOption('--queue <url>', "queue to send to (the bridge's source queue)")
    .addOption(new Option('--devices <n>', 'number of devices').argParser(positiveInteger).default(10))
    .addOption(new Option('--rate <n/s>', 'messages per second').argParser(rate).default(10))
    .option('--duration <seconds>', 'stop after this long (e.g. 60, 5m)', seconds)
    .option('--count <n>', 'stop after this many messages', positiveInteger)
    .addOption(
      new Option('--formats <list>', `message formats to rotate through (${MESSAGE_FORMATS.join(',')})`)
        .argParser(formats)
        .default([...ROUTELESS_FORMATS], ROUTELESS_FORMATS.join(',')),
    )
    .addOption(
      new Option('--malformed <share>', 'share of malformed messages, e.g. 0.05 or 5%')
        .argParser(share)
        .default(0),
    )
    .addOption(
      new Option('--concurrency <n>', 'SendMessageBatch calls in flight')
        .argParser(positiveInteger)
        .default(4),
    )
    .action(async (flags: SimulateFlags, command: Command) => {
      if (flags.duration === undefined && flags.count === undefined) {
        throw new CliError('give --duration or --count (or both) so the simulation ends', ExitCode.usage);
      }
      const global = globalOptions(command);
      const interruption = interruptOnSignals();
      try {
        const expected = Math.min(
          flags.count ?? Number.POSITIVE_INFINITY,
          flags.rate * (flags.duration ?? Number.POSITIVE_INFINITY),
        );
        const bar = progressBar(global, 'simulate |{bar}| {value}/{total} messages', expected);
        const summary = await simulate({
          sqs: createSqsClient(global, flags.queue),
          queueUrl: flags.queue,
          devices: flags.devices,
          ratePerSecond: flags.rate,
          durationSeconds: flags.duration,
          count: flags.count,
          formats: flags.formats,
          malformedShare: flags.malformed,
          concurrency: flags.concurrency,
          signal: interruption.signal,
          onProgress: (p) => bar.update(p.sent + p.failed),
        });
        bar.stop();
        if (global.json) printJson(summary);
        else {
          printLine(
            `sent ${summary.sent} messages (${summary.samples} samples, ${summary.malformed} malformed) to ${summary.queueUrl} ` +
              `at ${summary.messagesPerSecond} msg/s` +
              (summary.failed > 0 ? `; ${summary.failed} refused by SQS` : ''),
          );
          printLine(
            `  by format: ${Object.entries(summary.byFormat)
              .map(([f, n]) => `${f} ${n}`)
              .join(', ')}`,
          );
        }
        context.exitCode = summary.interrupted
          ? ExitCode.interrupted
          : summary.failed > 0
            ? ExitCode.partial
            : ExitCode.ok;
      } finally {
        interruption.dispose();
      }
    });
}
