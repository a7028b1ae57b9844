import { Command, Option } from 'commander';
import { interruptOnSignals } from '../abort.js';
import { globalOptions, type CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { startLocalBridge, type LocalBridgeStatus } from '../local/local-bridge.js';
import { formats, positiveInteger, rate, seconds, share } from '../options.js';
import { formatAge, printLine } from '../output.js';
import { sleep } from '../rate-limiter.js';
import { MESSAGE_FORMATS, type MessageFormat } from '../simulate/telemetry.js';

interface LocalFlags {
  duration?: number;
  remoteWriteUrl?: string;
  prometheus: string;
  sqsPort?: number;
  devices: number;
  rate: number;
  formats: MessageFormat[];
  malformed: number;
  batchSize: number;
  batchingWindow: number;
  functionTimeout: number;
  maxReceiveCount: number;
  concurrency: number;
  drainTimeout: number;
  logLevel: string;
  rebuild?: boolean;
}

export function localCommand(context: CommandContext): Command {
  return new Command('local')
    .summary('run the whole bridge on this machine')
    .description(
      'Starts an in-process SQS (fauxqs) with a source and a dead-letter queue, a real Prometheus from PATH, ' +
        "the built handler (dist/ingest/index.mjs, built first when missing) invoked the way Lambda's SQS event " +
        'source does, and simulated devices feeding the queue. Shows a live status line; Ctrl-C stops everything.',
    )
    .option(
      '--duration <seconds>',
      'stop after this long (for scripts and CI); default: until Ctrl-C',
      seconds,
    )
    .option('--remote-write-url <url>', 'send to this receiver instead of starting Prometheus')
    .addOption(
      new Option('--prometheus <binary>', 'Prometheus binary (name on PATH or path)').default('prometheus'),
    )
    .option(
      '--sqs-port <port>',
      'fixed loopback port for the SQS server, to reach it from another terminal',
      positiveInteger,
    )
    .addOption(new Option('--devices <n>', 'simulated devices').argParser(positiveInteger).default(20))
    .addOption(new Option('--rate <n/s>', 'simulated messages per second').argParser(rate).default(50))
    .addOption(
      new Option('--formats <list>', `message formats (${MESSAGE_FORMATS.join(',')})`)
        .argParser(formats)
        .default([...MESSAGE_FORMATS], MESSAGE_FORMATS.join(',')),
    )
    .addOption(
      new Option('--malformed <share>', 'share of malformed messages').argParser(share).default(0.05),
    )
    .addOption(
      new Option('--batch-size <n>', 'records per invocation').argParser(positiveInteger).default(50),
    )
    .addOption(
      new Option('--batching-window <seconds>', 'MaximumBatchingWindowInSeconds')
        .argParser(seconds)
        .default(1),
    )
    .addOption(new Option('--function-timeout <seconds>', 'function timeout').argParser(seconds).default(10))
    .addOption(
      new Option('--max-receive-count <n>', 'receives before SQS dead-letters')
        .argParser(positiveInteger)
        .default(3),
    )
    .addOption(new Option('--concurrency <n>', 'invocations at once').argParser(positiveInteger).default(1))
    .addOption(
      new Option('--drain-timeout <seconds>', 'at the end, wait this long for the queue to empty')
        .argParser(seconds)
        .default(15),
    )
    .addOption(
      new Option(
        '--log-level <level>',
        'handler log level (to stderr); WARN shows why each message is dead-lettered',
      ).default('ERROR'),
    )
    .option('--rebuild', 'rebuild the handler bundle first')
    .action(async (flags: LocalFlags, command: Command) => {
      const global = globalOptions(command);
      const say = (line: string): void => {
        if (!global.json) process.stderr.write(`${line}\n`);
      };
      const interruption = interruptOnSignals(() => say('\nstopping (Ctrl-C again to quit at once)…'));
      try {
        const bridge = await startLocalBridge(
          {
            rebuild: flags.rebuild,
            remoteWriteUrl: flags.remoteWriteUrl,
            prometheusBinary: flags.prometheus,
            sqsPort: flags.sqsPort,
            region: global.region,
            devices: flags.devices,
            ratePerSecond: flags.rate,
            formats: flags.formats,
            malformedShare: flags.malformed,
            batchSize: flags.batchSize,
            maximumBatchingWindowSeconds: flags.batchingWindow,
            functionTimeoutSeconds: flags.functionTimeout,
            maxReceiveCount: flags.maxReceiveCount,
            concurrency: flags.concurrency,
            handlerLogLevel: flags.logLevel,
            onInvocationError: (error) =>
              say(`handler invocation failed: ${(error as Error).message ?? String(error)}`),
          },
          say,
        );
        try {
          const ready = {
            event: 'ready',
            prometheusUrl: bridge.prometheusUrl ?? null,
            remoteWriteUrl: bridge.remoteWriteUrl,
            query: bridge.exampleQuery,
            sqsEndpoint: bridge.sqsEndpoint,
            region: bridge.region,
            queueUrl: bridge.queues.queueUrl,
            deadLetterQueueUrl: bridge.queues.deadLetterQueueUrl,
          };
          if (global.json) printLine(JSON.stringify(ready));
          else {
            printLine('iotprom local: the bridge is running on this machine');
            if (bridge.prometheusUrl !== undefined) {
              printLine(
                `  Prometheus:   ${bridge.prometheusUrl}/graph?g0.expr=${encodeURIComponent(bridge.exampleQuery)}`,
              );
              printLine(`  try PromQL:   ${bridge.exampleQuery}`);
            } else printLine(`  receiver:     ${bridge.remoteWriteUrl}`);
            printLine(`  SQS endpoint: ${bridge.sqsEndpoint} (region ${bridge.region})`);
            printLine(`  queue:        ${bridge.queues.queueUrl}`);
            printLine(`  dead letters: ${bridge.queues.deadLetterQueueUrl}`);
            printLine(
              `  inspect them: AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local iotprom --region ${bridge.region} ` +
                `--endpoint-url ${bridge.sqsEndpoint} inspect --queue ${bridge.queues.deadLetterQueueUrl}`,
            );
            printLine(
              flags.duration === undefined ? 'Ctrl-C stops it.' : `stopping after ${flags.duration} s.`,
            );
          }

          const live = !global.json && process.stderr.isTTY === true;
          const deadline =
            flags.duration === undefined ? Number.POSITIVE_INFINITY : Date.now() + flags.duration * 1000;
          let lastPlain = 0;
          while (!interruption.signal.aborted && Date.now() < deadline) {
            await sleep(Math.min(1000, Math.max(0, deadline - Date.now())), interruption.signal);
            const status = await bridge.status();
            if (live) process.stderr.write(`\r\u001b[2K${statusLine(status)}`);
            else if (!global.json && Date.now() - lastPlain >= 5000) {
              lastPlain = Date.now();
              say(statusLine(status));
            }
          }
          if (live) process.stderr.write('\n');

          const simulation = await bridge.stopSimulator();
          say(`simulator stopped after ${simulation.sent} messages; letting the queue drain…`);
          const drained = interruption.signal.aborted ? false : await bridge.drain(flags.drainTimeout * 1000);
          const status = await bridge.status();
          const samples = await bridge.samplesInPrometheus().catch((error: unknown) => {
            say(`cannot count the samples in Prometheus: ${(error as Error).message}`);
            return undefined;
          });
          const summary = {
            event: 'summary',
            durationMs: status.elapsedMs,
            sent: simulation.sent,
            malformedSent: simulation.malformed,
            samplesSent: simulation.samples,
            processed: status.processed,
            invocations: status.invocations,
            deadLettered: status.deadLettered,
            backlog: status.backlog,
            drained,
            samplesInPrometheus: samples ?? null,
            interrupted: interruption.signal.aborted,
          };
          if (global.json) printLine(JSON.stringify(summary));
          else {
            printLine(
              `sent ${summary.sent} messages (${summary.malformedSent} malformed, ${summary.samplesSent} samples); ` +
                `processed ${summary.processed} in ${summary.invocations} invocations; ` +
                `dead-lettered ${summary.deadLettered}; left in the queue ${summary.backlog}` +
                (samples !== undefined ? `; Prometheus holds ${samples} samples` : ''),
            );
          }
          context.exitCode = ExitCode.ok;
        } finally {
          await bridge.stop();
        }
      } finally {
        interruption.dispose();
      }
    });
}

function statusLine(s: LocalBridgeStatus): string {
  return (
    `${formatAge(s.elapsedMs)}: sent ${s.sent} | processed ${s.processed} (${s.throughput} msg/s) | ` +
    `lag ${s.lagMs === undefined ? '-' : formatAge(s.lagMs)} | backlog ${s.backlog} | dead-lettered ${s.deadLettered}`
  );
}
