// `iotprom map`: what the bridge would write for one MQTT message of a route, or the error it would dead-letter
// the message with. It builds the SQS body the route's rule builds (docs/connecting-devices.md, "The envelope")
// and runs the function's own decoding (RouteDecoder) and normalisation (SampleNormaliser) on it.
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseRfc3339 } from '../../functions/pipeline/decode/timestamp.js';
import { decodeMessage } from '../../functions/pipeline/decode/index.js';
import { DEFAULT_PIPELINE_CONFIG } from '../../functions/pipeline/config.js';
import { InvalidMessageError } from '../../functions/pipeline/errors.js';
import type { DecodedMessage, SourceMessage } from '../../functions/pipeline/model.js';
import { SampleNormaliser } from '../../functions/pipeline/normalise.js';
import { RouteDecoder } from '../../functions/routes/decoder.js';
import { buildEnvelope } from '../../functions/routes/envelope.js';
import type { Route, RouteConfig } from '../../functions/routes/model.js';
import { matchTopic, parseTopicPattern } from '../../functions/routes/topic.js';
import { validateRoutes } from '../../functions/routes/validate.js';
import { globalOptions, type CommandContext } from '../context.js';
import { CliError, ExitCode } from '../exit-codes.js';
import { printLine } from '../output.js';

/** The default route: the bridge's rule before routes (`SELECT * FROM 'telemetry/#'`), bodies decoded as they are. */
const DEFAULT_ROUTE = 'default';
const DEFAULT_FILTER = parseTopicPattern('telemetry/#');
const MESSAGE_ID = 'map';

export interface MapInput {
  /** Undefined: no routes configured, only the default route exists. */
  readonly routes?: readonly RouteConfig[];
  readonly route: string;
  readonly topic: string;
  readonly payload: Buffer;
  readonly clientId?: string;
  readonly receivedAtMs: number;
  /** EXTRA_LABELS of the deployment. */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

export interface MappedSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly samples: ReadonlyArray<{ readonly timestampMs: number; readonly value: number }>;
}

export interface MapResult {
  readonly route: string;
  readonly format: string;
  /** The SQS message body the route's rule sends. */
  readonly body: string;
  readonly series: MappedSeries[];
  readonly ignored: readonly string[];
  readonly deadLetter?: { readonly kind: 'invalid-message'; readonly reason: string };
  /** Why the rule would not even receive the message (the topic is outside its filter). */
  readonly notRouted?: string;
}

function findRoute(routes: readonly Route[] | undefined, name: string): Route | undefined {
  if (routes === undefined) {
    if (name !== DEFAULT_ROUTE)
      throw new CliError(`no routes are configured; the only route is ${DEFAULT_ROUTE}`, ExitCode.usage);
    return undefined;
  }
  const route = routes.find((r) => r.name === name);
  if (route === undefined) {
    throw new CliError(
      `no route ${name}; the routes are ${routes.map((r) => r.name).join(', ')}`,
      ExitCode.usage,
    );
  }
  return route;
}

/** The series of the decoded samples, normalised as the function does, sorted and without exact duplicates. */
function normalised(decoded: DecodedMessage, extraLabels: Readonly<Record<string, string>>): MappedSeries[] {
  const normaliser = new SampleNormaliser({ ...DEFAULT_PIPELINE_CONFIG, extraLabels });
  normaliser.startBatch();
  const bySeries = new Map<
    number,
    { labels: Record<string, string>; samples: Array<{ timestampMs: number; value: number }> }
  >();
  for (const sample of decoded.samples) {
    const identity = normaliser.seriesOf(sample, MESSAGE_ID);
    let entry = bySeries.get(identity.id);
    if (entry === undefined) {
      entry = { labels: Object.fromEntries(identity.labels.map((l) => [l.name, l.value])), samples: [] };
      bySeries.set(identity.id, entry);
    }
    const duplicate = entry.samples.some(
      (s) => s.timestampMs === sample.timestampMs && Object.is(s.value, sample.value),
    );
    if (!duplicate) entry.samples.push({ timestampMs: sample.timestampMs, value: sample.value });
  }
  return [...bySeries.values()].map((s) => ({
    ...s,
    samples: s.samples.sort((a, b) => a.timestampMs - b.timestampMs),
  }));
}

/** Maps one message; never throws for a bad message (that is `deadLetter`), only for a bad command line. */
export function mapMessage(input: MapInput): MapResult {
  const routes = input.routes === undefined ? undefined : validateRoutes(input.routes);
  const route = findRoute(routes, input.route);
  const pattern = route?.topic ?? DEFAULT_FILTER;
  const body =
    route === undefined
      ? input.payload.toString('utf8')
      : buildEnvelope({ ...input, route: input.route, payload: input.payload });
  const base = { route: input.route, format: route?.format ?? 'auto', body };
  if (matchTopic(pattern, input.topic) === undefined) {
    const notRouted = `the rule of route ${input.route} does not receive topic ${input.topic} (its filter is ${pattern.filter})`;
    return { ...base, series: [], ignored: [], notRouted };
  }
  const message: SourceMessage = { messageId: MESSAGE_ID, body, sentTimestampMs: input.receivedAtMs };
  try {
    const decoded = routes === undefined ? decodeMessage(message) : new RouteDecoder(routes).decode(message);
    const ignored = 'ignored' in decoded ? (decoded.ignored as readonly string[]) : [];
    return { ...base, series: normalised(decoded, input.extraLabels ?? {}), ignored };
  } catch (error) {
    if (!(error instanceof InvalidMessageError)) throw error;
    return {
      ...base,
      series: [],
      ignored: [],
      deadLetter: { kind: 'invalid-message', reason: error.message },
    };
  }
}

// C0, DEL, C1 and bidi controls: device text must not drive the operator's terminal.
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Device-supplied text made safe for a terminal: control characters as \u escapes. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** JSON text with C1 and bidi controls escaped too (JSON.stringify escapes only C0 controls). */
export function printableJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(UNPRINTABLE, (c) =>
    c === '\n' ? c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function seriesText(series: MappedSeries): string {
  const { __name__: name, ...labels } = series.labels;
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return printable(`${name ?? ''}{${inner}}`);
}

function printResult(result: MapResult, showBody: boolean): void {
  printLine(`route ${result.route} (${result.format})`);
  if (showBody) printLine(`SQS body: ${printable(result.body)}`);
  if (result.notRouted) return printLine(`not routed: ${printable(result.notRouted)}`);
  if (result.deadLetter) {
    return printLine(
      `would dead-letter as ${result.deadLetter.kind}: ${printable(result.deadLetter.reason)}`,
    );
  }
  const samples = result.series.reduce((n, s) => n + s.samples.length, 0);
  printLine(`would write ${samples} sample${samples === 1 ? '' : 's'} in ${result.series.length} series:`);
  for (const series of result.series) {
    for (const sample of series.samples) {
      printLine(`  ${seriesText(series)} ${sample.value} ${new Date(sample.timestampMs).toISOString()}`);
    }
  }
  if (result.ignored.length > 0) printLine(`ignored (not numeric): ${printable(result.ignored.join(', '))}`);
}

/** Routes from a file: a JSON array of routes, routes.json (`{"routes": […]}`) or a cdk.json (`context.routes`). */
export function readRoutesFile(path: string, required: boolean): RouteConfig[] | undefined {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    throw new CliError(`cannot read routes from ${path}: ${(error as Error).message}`, ExitCode.usage);
  }
  const document = json as { routes?: unknown; context?: { routes?: unknown } };
  const raw = Array.isArray(json) ? json : (document.context?.routes ?? document.routes);
  if (raw === undefined || raw === null || raw === '') {
    if (required) throw new CliError(`${path} holds no routes`, ExitCode.usage);
    return undefined;
  }
  const routes = typeof raw === 'string' ? (JSON.parse(raw) as unknown) : raw;
  try {
    return validateRoutes(routes).map((route) => route.config);
  } catch (error) {
    throw new CliError(`${path}: ${(error as Error).message}`, ExitCode.usage);
  }
}

function receivedAt(value: string): number {
  const ms = /^\d+$/.test(value) ? Number(value) : parseRfc3339(value);
  if (ms === undefined || !Number.isSafeInteger(ms)) {
    throw new InvalidArgumentError(
      'expected ms since the epoch or an RFC 3339 date-time, e.g. 2026-11-30T12:00:00Z',
    );
  }
  return ms;
}

function labelsJson(value: string): Record<string, string> {
  try {
    const json = JSON.parse(value) as unknown;
    if (typeof json === 'object' && json !== null && !Array.isArray(json))
      return json as Record<string, string>;
  } catch {
    // Reported below.
  }
  throw new InvalidArgumentError('expected a JSON object of label names to values');
}

interface MapFlags {
  route: string;
  topic: string;
  payload: string;
  routes?: string;
  cdkJson: string;
  clientId?: string;
  receivedAt?: number;
  extraLabels?: Record<string, string>;
  showBody?: boolean;
}

export function mapCommand(context: CommandContext): Command {
  return new Command('map')
    .summary('show the series and samples the bridge would write for one MQTT message of a route')
    .description(
      "Builds the SQS body the route's IoT rule makes of an MQTT message and decodes it with the function's own " +
        'code. Prints the series and samples the bridge would write, or the error it would dead-letter the message ' +
        'with (exit code 4). Routes come from the context key routes of ./cdk.json, or from --routes.',
    )
    .requiredOption('--route <name>', 'route name (default: the route when no routes are configured)')
    .requiredOption('--topic <topic>', 'MQTT topic the message is published on')
    .requiredOption('--payload <file|->', 'file holding the MQTT payload, or - for standard input')
    .option('--routes <file>', 'routes from this file: a JSON array of routes, routes.json or a cdk.json')
    .addOption(new Option('--cdk-json <file>', "the app's cdk.json").default('cdk.json'))
    .option('--client-id <id>', 'MQTT client id of the publisher (clientid())')
    .option('--received-at <time>', 'arrival time (timestamp()): ms or RFC 3339 (default: now)', receivedAt)
    .option('--extra-labels <json>', 'EXTRA_LABELS of the deployment', labelsJson)
    .option('--show-body', 'also print the SQS message body the rule sends')
    .action((flags: MapFlags, command: Command) => {
      const routes = flags.routes ? readRoutesFile(flags.routes, true) : readRoutesFile(flags.cdkJson, false);
      let payload: Buffer;
      try {
        payload = readFileSync(flags.payload === '-' ? 0 : flags.payload);
      } catch (error) {
        throw new CliError(
          `cannot read --payload ${flags.payload}: ${(error as Error).message}`,
          ExitCode.usage,
        );
      }
      const result = mapMessage({
        routes,
        route: flags.route,
        topic: flags.topic,
        payload,
        clientId: flags.clientId,
        receivedAtMs: flags.receivedAt ?? Date.now(),
        extraLabels: flags.extraLabels,
      });
      // JSON.stringify escapes C0 controls but not C1 or bidi controls.
      if (globalOptions(command).json) printLine(printableJson(result));
      else printResult(result, flags.showBody === true);
      context.exitCode = result.deadLetter || result.notRouted ? ExitCode.partial : ExitCode.ok;
    });
}

/**
 * The readings route of the local demo (`iotprom local`, `iotprom simulate`): flat readings published on
 * `telemetry/<site>/<device>`, so the topic's labels show in Prometheus.
 */
export const LOCAL_READINGS_ROUTE: RouteConfig = {
  name: 'readings',
  topic: 'telemetry/{site}/{device}',
  format: 'readings',
  timestampField: 'ts',
  timestampUnit: 'ms',
  valueMap: { OPEN: 1, CLOSED: 0 },
};

/** The SQS body the local readings route's rule would send for one device's flat readings. */
export function localReadingsBody(device: {
  readonly site: string;
  readonly id: string;
  readonly nowMs: number;
  readonly readings: Readonly<Record<string, number | string | boolean>>;
}): string {
  return buildEnvelope({
    payload: JSON.stringify({ ts: device.nowMs, ...device.readings }),
    topic: `telemetry/${device.site}/${device.id}`,
    clientId: device.id,
    receivedAtMs: device.nowMs,
    route: LOCAL_READINGS_ROUTE.name,
  });
}
