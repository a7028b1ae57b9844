import { Command, Option } from 'commander';
import { interruptOnSignals } from '../abort.js';
import { globalOptions, type CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { inspectQueue, type InspectSummary } from '../inspect/inspect.js';
import { nonNegativeInteger, positiveInteger, scanWaitOption, seconds } from '../options.js';
import { formatAge, printJson, printLine, progressBar } from '../output.js';
import { createSqsClient } from '../sqs/client.js';

interface InspectFlags {
  queue: string;
  max: number;
  examples: number;
  bodyChars: number;
  visibilityTimeout: number;
  wait: number;
}

export function inspectCommand(context: CommandContext): Command {
  return new Command('inspect')
    .summary('summarise the messages waiting in a queue without consuming them')
    .description(
      'Receives messages and makes each visible again at once, then prints counts by bridge-error-kind and by ' +
        'reason, an age histogram (from SentTimestamp) and a few example bodies. Nothing is deleted. ' +
        "Each receive counts towards a message's ApproximateReceiveCount: on a queue with a redrive policy " +
        '(a source queue, not a dead-letter queue) repeated inspections bring its messages closer to the DLQ.',
    )
    .requiredOption('--queue <url>', 'queue to inspect (usually a dead-letter queue)')
    .addOption(new Option('--max <n>', 'look at most at n messages').argParser(positiveInteger).default(1000))
    .addOption(
      new Option('--examples <n>', 'example bodies to print').argParser(nonNegativeInteger).default(3),
    )
    .addOption(
      new Option('--body-chars <n>', 'characters of each example body')
        .argParser(positiveInteger)
        .default(300),
    )
    .addOption(
      new Option(
        '--visibility-timeout <seconds>',
        'longest a message stays hidden if inspect is killed mid-receive',
      )
        .argParser(seconds)
        .default(20),
    )
    .addOption(scanWaitOption())
    .action(async (flags: InspectFlags, command: Command) => {
      const global = globalOptions(command);
      const interruption = interruptOnSignals();
      try {
        const bar = progressBar(global, 'inspect |{bar}| {value}/{total} messages', flags.max);
        const summary = await inspectQueue({
          sqs: createSqsClient(global),
          queueUrl: flags.queue,
          max: flags.max,
          examples: flags.examples,
          exampleChars: flags.bodyChars,
          visibilityTimeoutSeconds: flags.visibilityTimeout,
          waitTimeSeconds: Math.min(20, Math.round(flags.wait)),
          signal: interruption.signal,
          onProgress: (n) => bar.update(n),
        });
        bar.stop();
        if (global.json) printJson(summary);
        else printSummary(summary);
        context.exitCode = interruption.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
      } finally {
        interruption.dispose();
      }
    });
}

function printSummary(s: InspectSummary): void {
  printLine(
    `${s.queueUrl}: ${s.scanned} messages inspected${s.truncated ? ' (stopped at --max)' : ''}` +
      (s.approximateVisible !== undefined
        ? `; SQS reports ${s.approximateVisible} visible, ${s.approximateInFlight ?? 0} in flight`
        : ''),
  );
  if (s.scanned === 0) return;
  printLine();
  printLine('by bridge-error-kind:');
  for (const k of s.byKind) printLine(`  ${String(k.count).padStart(7)}  ${k.kind}`);
  printLine();
  printLine('by reason:');
  for (const r of s.byReason.slice(0, 15)) {
    printLine(
      `  ${String(r.count).padStart(7)}  [${r.kind}] ${r.reason === '' ? '(no reason given)' : r.reason}`,
    );
  }
  if (s.byReason.length > 15) printLine(`  … ${s.byReason.length - 15} more reasons (--json lists them all)`);
  printLine();
  printLine(`age (since sent): oldest ${formatAge(s.oldestAgeMs)}, newest ${formatAge(s.newestAgeMs)}`);
  const widest = Math.max(1, ...s.ages.map((a) => a.count));
  for (const a of s.ages) {
    if (a.count === 0) continue;
    const bar = '#'.repeat(Math.max(1, Math.round((a.count / widest) * 40)));
    printLine(`  ${a.label.padEnd(10)} ${String(a.count).padStart(7)}  ${bar}`);
  }
  if (s.olderThanOneHour > 0) {
    printLine(
      `  ${s.olderThanOneHour} messages are older than 1 h: AMP would discard their samples if replayed`,
    );
  }
  if (s.examples.length > 0) {
    printLine();
    printLine('examples:');
    for (const e of s.examples) {
      printLine(`  ${e.messageId} (${e.kind}, ${formatAge(e.ageMs)} old)`);
      if (e.reason !== '') printLine(`    reason: ${e.reason}`);
      printLine(`    body:   ${e.body}`);
      const own = Object.entries(e.attributes).filter(([name]) => !name.startsWith('bridge-'));
      if (own.length > 0) printLine(`    attributes: ${own.map(([n, v]) => `${n}=${v}`).join(', ')}`);
    }
  }
}
