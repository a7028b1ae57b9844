// `iotprom local`: its options, the ready and summary output, and Ctrl-C; the bridge itself is cli/local/.
import { Command, Option } from 'commander';
import { interruptOnSignals } from '../abort.js';
import { globalOptions, type CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { startLocalBridge, type LocalBridge, type LocalBridgeStatus } from '../local/local-bridge.js';
import { formats, nonNegativeInteger, positiveInteger, rate, seconds, share } from '../options.js';
import { formatAge, printLine } from '../output.js';
import { sleep } from '../rate-limiter.js';
import { MESSAGE_FORMATS, type MessageFormat } from '../simulate/telemetry.js';

interface LocalFlags {
  duration?: number;
  remoteWriteUrl?: string;
  prometheus: string;
  sqsPort: number;
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

/**
 * The local SQS port: fixed, so the queue URLs in the docs work as printed, and one no well-known tool
 * claims (LocalStack has 4566, ElasticMQ 9324, Prometheus' exporters 9100-9999).
 */
export const DEFAULT_LOCAL_SQS_PORT = 7324;

type Say = (line: string) => void;

export function localCommand(context: CommandContext): Command {
  return addLocalOptions(
    new Command('local')
      .summary('run the whole bridge on this machine')
      .description(
        'Starts an in-process SQS (fauxqs) with a source and a dead-letter queue, a real Prometheus from PATH, ' +
          "the built handler (dist/ingest/index.mjs, built first when missing) invoked the way Lambda's SQS event " +
          'source does, and simulated devices feeding the queue; the readings fleet publishes flat readings on ' +
          'telemetry/<site>/<device> through a readings route, whose labels site and device come from the topic. Shows a live status line. Ctrl-C stops the ' +
          'simulator, lets the queue drain for up to --drain-timeout, prints a summary and stops everything; ' +
          'a second Ctrl-C quits at once.',
      ),
  ).action(async (flags: LocalFlags, command: Command) => {
    const global = globalOptions(command);
    const say: Say = (line) => {
      if (!global.json) process.stderr.write(`${line}\n`);
    };
    const interruption = interruptOnSignals(() =>
      say(`\nstopping: draining the queue for up to ${flags.drainTimeout} s (Ctrl-C again to quit at once)…`),
    );
    try {
      const bridge = await startLocalBridge(bridgeOptions(flags, global.region, say), say);
      try {
        printReady(bridge, flags, global.json);
        await runUntilStopped(bridge, flags, global.json, interruption.signal, say);
        await finish(bridge, flags, global.json, interruption.signal, say);
        context.exitCode = ExitCode.ok;
      } finally {
        await bridge.stop();
      }
    } finally {
      interruption.dispose();
    }
  });
}

function addLocalOptions(command: Command): Command {
  return command
    .option(
      '--duration <seconds>',
      'stop after this long (for scripts and CI); default: until Ctrl-C',
      seconds,
    )
    .option('--remote-write-url <url>', 'send to this receiver instead of starting Prometheus')
    .addOption(
      new Option('--prometheus <binary>', 'Prometheus binary (name on PATH or path)').default('prometheus'),
    )
    .addOption(
      new Option('--sqs-port <port>', 'loopback port of the SQS server (0 = any free port)')
        .argParser(nonNegativeInteger)
        .default(DEFAULT_LOCAL_SQS_PORT),
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
      new Option(
        '--drain-timeout <seconds>',
        'when stopping (Ctrl-C or --duration), wait this long for the queue to empty',
      )
        .argParser(seconds)
        .default(15),
    )
    .addOption(
      new Option(
        '--log-level <level>',
        'handler log level (to stderr); WARN shows why each message is dead-lettered',
      ).default('ERROR'),
    )
    .option('--rebuild', 'rebuild the handler bundle first');
}

function bridgeOptions(
  flags: LocalFlags,
  region: string | undefined,
  say: Say,
): Parameters<typeof startLocalBridge>[0] {
  return {
    rebuild: flags.rebuild,
    remoteWriteUrl: flags.remoteWriteUrl,
    prometheusBinary: flags.prometheus,
    sqsPort: flags.sqsPort,
    region,
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
  };
}

function printReady(bridge: LocalBridge, flags: LocalFlags, json: boolean): void {
  const ready = {
    event: 'ready',
    prometheusUrl: bridge.prometheusUrl ?? null,
    remoteWriteUrl: bridge.remoteWriteUrl,
    query: bridge.exampleQuery,
    readingsQuery: bridge.readingsQuery ?? null,
    sqsEndpoint: bridge.sqsEndpoint,
    region: bridge.region,
    queueUrl: bridge.queues.queueUrl,
    deadLetterQueueUrl: bridge.queues.deadLetterQueueUrl,
  };
  if (json) {
    printLine(JSON.stringify(ready));
    return;
  }
  printLine('iotprom local: the bridge is running on this machine');
  if (bridge.prometheusUrl !== undefined) {
    printLine(
      `  Prometheus:   ${bridge.prometheusUrl}/graph?g0.expr=${encodeURIComponent(bridge.exampleQuery)}`,
    );
    printLine(`  try PromQL:   ${bridge.exampleQuery}`);
    if (bridge.readingsQuery !== undefined) {
      // The readings route's labels site and device come from the topic telemetry/<site>/<device>.
      printLine(`  topic labels: ${bridge.readingsQuery}`);
    }
  } else printLine(`  receiver:     ${bridge.remoteWriteUrl}`);
  printLine(`  SQS endpoint: ${bridge.sqsEndpoint} (region ${bridge.region})`);
  printLine(`  queue:        ${bridge.queues.queueUrl}`);
  printLine(`  dead letters: ${bridge.queues.deadLetterQueueUrl}`);
  // Printed as commands that work pasted into another terminal of this project (no AWS account needed).
  const endpoint = `--endpoint-url ${bridge.sqsEndpoint}`;
  printLine(`  inspect them: npx iotprom ${endpoint} inspect --queue ${bridge.queues.deadLetterQueueUrl}`);
  printLine(
    `  replay them:  npx iotprom ${endpoint} replay --from ${bridge.queues.deadLetterQueueUrl} ` +
      `--to ${bridge.queues.queueUrl} --dry-run`,
  );
  printLine(flags.duration === undefined ? 'Ctrl-C stops it.' : `stopping after ${flags.duration} s.`);
}

async function runUntilStopped(
  bridge: LocalBridge,
  flags: LocalFlags,
  json: boolean,
  signal: AbortSignal,
  say: Say,
): Promise<void> {
  const live = !json && process.stderr.isTTY === true;
  const deadline =
    flags.duration === undefined ? Number.POSITIVE_INFINITY : Date.now() + flags.duration * 1000;
  let lastPlain = 0;
  while (!signal.aborted && Date.now() < deadline) {
    await sleep(Math.min(1000, Math.max(0, deadline - Date.now())), signal);
    const status = await bridge.status();
    if (live) process.stderr.write(`\r\u001b[2K${statusLine(status)}`);
    else if (!json && Date.now() - lastPlain >= 5000) {
      lastPlain = Date.now();
      say(statusLine(status));
    }
  }
  if (live) process.stderr.write('\n');
}

/** Stops the simulator, lets the queue drain (also after Ctrl-C), and prints the summary. */
async function finish(
  bridge: LocalBridge,
  flags: LocalFlags,
  json: boolean,
  signal: AbortSignal,
  say: Say,
): Promise<void> {
  const simulation = await bridge.stopSimulator();
  say(
    `simulator stopped after ${simulation.sent} messages; letting the queue drain (up to ${flags.drainTimeout} s)…`,
  );
  const drained = await bridge.drain(flags.drainTimeout * 1000);
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
    interrupted: signal.aborted,
  };
  if (json) {
    printLine(JSON.stringify(summary));
    return;
  }
  printLine(
    `sent ${summary.sent} messages (${summary.malformedSent} malformed, ${summary.samplesSent} samples); ` +
      `processed ${summary.processed} in ${summary.invocations} invocations; ` +
      `dead-lettered ${summary.deadLettered}; left in the queue ${summary.backlog}` +
      (samples !== undefined ? `; Prometheus holds ${samples} samples` : ''),
  );
}

function statusLine(s: LocalBridgeStatus): string {
  return (
    `${formatAge(s.elapsedMs)}: sent ${s.sent} | processed ${s.processed} (${s.throughput} msg/s) | ` +
    `lag ${s.lagMs === undefined ? '-' : formatAge(s.lagMs)} | backlog ${s.backlog} | dead-lettered ${s.deadLettered}`
  );
}
