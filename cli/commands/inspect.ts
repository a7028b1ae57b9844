// `iotprom inspect`: its options and output; the summary itself is built in cli/inspect/.
import { Command, Option } from 'commander';
import { interruptOnSignals } from '../abort.js';
import { globalOptions, type CommandContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { inspectQueue, type InspectSummary } from '../inspect/inspect.js';
import { nonNegativeInteger, positiveInteger, scanWaitOption, seconds } from '../options.js';
import { formatAge, printJson, printLine, progressBar } from '../output.js';
import { BODY_CHARS } from '../safe-text.js';
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
        'reason, the age of the oldest message, an age histogram (from SentTimestamp) and one example message ' +
        'per reason, its body base64-decoded when the IoT rule encoded it. Text taken from messages is printed ' +
        'with control and bidi characters escaped (\\x1b, \\u202e) and cut: bodies to --body-chars, reasons to ' +
        '200, attribute values to 100 characters. Nothing is deleted. ' +
        "Each receive counts towards a message's ApproximateReceiveCount: on a queue with a redrive policy " +
        '(a source queue, not a dead-letter queue) repeated inspections bring its messages closer to the DLQ.',
    )
    .requiredOption('--queue <url>', 'queue to inspect (usually a dead-letter queue)')
    .addOption(new Option('--max <n>', 'look at most at n messages').argParser(positiveInteger).default(1000))
    .addOption(
      new Option('--examples <n>', 'reasons to print an example message for (one per reason)')
        .argParser(nonNegativeInteger)
        .default(5),
    )
    .addOption(
      new Option('--body-chars <n>', 'characters of each example body')
        .argParser(positiveInteger)
        .default(BODY_CHARS),
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
          sqs: createSqsClient(global, flags.queue),
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
  printLine(`oldest message: ${formatAge(s.oldestAgeMs)} old (newest ${formatAge(s.newestAgeMs)})`);
  printLine();
  printLine('by bridge-error-kind:');
  for (const k of s.byKind) printLine(`  ${String(k.count).padStart(7)}  ${k.kind}`);
  printLine();
  printLine('by reason (count, oldest, kind, reason):');
  for (const r of s.byReason.slice(0, 15)) {
    printLine(
      `  ${String(r.count).padStart(7)}  ${formatAge(r.oldestAgeMs).padStart(7)}  [${r.kind}] ` +
        (r.reason === '' ? '(no reason given)' : r.reason),
    );
  }
  if (s.byReason.length > 15) printLine(`  … ${s.byReason.length - 15} more reasons (--json lists them all)`);
  printAges(s);
  printExamples(s);
}

function printAges(s: InspectSummary): void {
  printLine();
  printLine('age (since sent):');
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
}

function printExamples(s: InspectSummary): void {
  if (s.examples.length === 0) return;
  printLine();
  printLine('one example per reason:');
  for (const e of s.examples) {
    printLine(`  ${e.messageId} (${e.kind}, ${formatAge(e.ageMs)} old)`);
    printLine(`    reason: ${e.reason === '' ? '(no reason given)' : e.reason}`);
    printLine(`    body${e.bodyEncoding === 'base64' ? ' (base64-decoded)' : ''}: ${e.body}`);
    const own = Object.entries(e.attributes).filter(([name]) => !name.startsWith('bridge-'));
    if (own.length > 0) printLine(`    attributes: ${own.map(([n, v]) => `${n}=${v}`).join(', ')}`);
  }
}
