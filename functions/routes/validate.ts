// Checks route configurations: at synth (infra/routes.ts), at the function's cold start (load.ts) and in
// `iotprom map`, with the same code, so a route the stack accepted is one the function accepts. Every error names
// the route and the option.
import { isValidLabelName, isValidMetricName, sanitiseLabelName } from '../pipeline/names.js';
import {
  ROUTE_FORMATS,
  TIMESTAMP_UNITS,
  type PathPattern,
  type Route,
  type RouteConfig,
  type RouteFormat,
  type TimestampUnit,
} from './model.js';
import { parseTopicPattern } from './topic.js';

/** A route configuration that cannot work; the message names the route and the option. */
export class RouteConfigError extends Error {
  override readonly name = 'RouteConfigError';

  constructor(
    /** `route "plugs"`, or `routes[2]` before the name is known. */
    readonly route: string,
    /** The option, e.g. `valueMap.ON`; '' for the route itself. */
    readonly option: string,
    readonly reason: string,
  ) {
    super(`${route}: ${option === '' ? '' : `option ${option}: `}${reason}`);
  }
}

export const ROUTE_NAME = /^[A-Za-z0-9_]{1,64}$/;

const COMMON_OPTIONS = [
  'name',
  'topic',
  'format',
  'clientIdLabel',
  'labels',
  'metricPrefix',
  'ruleName',
  'sql',
];
const MAPPING_OPTIONS = ['labelFields', 'valueMap', 'include', 'exclude'];
const OPTIONS_BY_FORMAT: Record<RouteFormat, readonly string[]> = {
  auto: COMMON_OPTIONS,
  senml: COMMON_OPTIONS,
  shadow: [...COMMON_OPTIONS, ...MAPPING_OPTIONS],
  readings: [...COMMON_OPTIONS, ...MAPPING_OPTIONS, 'timestampField', 'timestampUnit'],
};

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `a.b.0.c` → levels; empty levels are refused. */
export function parsePath(text: string): string[] {
  const levels = text.split('.');
  if (text.length === 0 || levels.some((level) => level.length === 0)) {
    throw new Error(`path ${JSON.stringify(text)} has an empty level (write levels joined by ".")`);
  }
  return levels;
}

function parsePattern(text: string): PathPattern {
  const levels = parsePath(text);
  for (const level of levels) {
    if (level !== '*' && level !== '**' && level.includes('*')) {
      throw new Error(`pattern ${JSON.stringify(text)}: "*" and "**" must be whole levels`);
    }
  }
  return levels;
}

/** Reads one option, turning a thrown Error into a RouteConfigError that names it. */
class OptionReader {
  constructor(
    private readonly route: string,
    private readonly raw: Record<string, unknown>,
  ) {}

  fail(option: string, reason: string): never {
    throw new RouteConfigError(this.route, option, reason);
  }

  check<T>(option: string, read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (error instanceof RouteConfigError) throw error;
      return this.fail(option, error instanceof Error ? error.message : String(error));
    }
  }

  string(option: string): string | undefined {
    const value = this.raw[option];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.fail(option, `expected a string, got ${JSON.stringify(value)}`);
    return value;
  }

  stringList(option: string): string[] {
    const value = this.raw[option];
    if (value === undefined) return [];
    if (!Array.isArray(value))
      this.fail(option, `expected an array of strings, got ${JSON.stringify(value)}`);
    return value.map((item, i) =>
      typeof item === 'string'
        ? item
        : this.fail(`${option}[${i}]`, `expected a string, got ${JSON.stringify(item)}`),
    );
  }

  object(option: string): Record<string, unknown> {
    const value = this.raw[option];
    if (value === undefined) return {};
    if (!isObject(value)) this.fail(option, `expected an object, got ${JSON.stringify(value)}`);
    return value;
  }
}

function labelName(read: OptionReader, option: string, name: string): string {
  if (!isValidLabelName(name)) read.fail(option, `${JSON.stringify(name)} is not a valid label name`);
  if (name.startsWith('__')) read.fail(option, `label names starting with __ are reserved`);
  return name;
}

function readLabels(read: OptionReader): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [name, value] of Object.entries(read.object('labels'))) {
    labelName(read, `labels.${name}`, name);
    if (typeof value !== 'string' || value === '') {
      read.fail(`labels.${name}`, `expected a non-empty string, got ${JSON.stringify(value)}`);
    }
    labels[name] = value;
  }
  return labels;
}

function readLabelFields(read: OptionReader, raw: unknown): Array<{ label: string; path: string[] }> {
  if (raw === undefined) return [];
  const entries: Array<[string, string]> = Array.isArray(raw)
    ? read.stringList('labelFields').map((path) => [path.split('.').join('_'), path])
    : Object.entries(read.object('labelFields')).map(([label, path]) =>
        typeof path === 'string'
          ? [label, path]
          : read.fail(`labelFields.${label}`, `expected a payload path string, got ${JSON.stringify(path)}`),
      );
  return entries.map(([label, path]) => ({
    label: labelName(read, `labelFields (${path})`, sanitiseLabelName(label)),
    path: read.check(`labelFields (${path})`, () => parsePath(path)),
  }));
}

function readValueMap(read: OptionReader): Map<string, number> {
  const map = new Map<string, number>();
  for (const [state, value] of Object.entries(read.object('valueMap'))) {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      read.fail(`valueMap.${state}`, `expected a finite number, got ${JSON.stringify(value)}`);
    }
    map.set(state, value);
  }
  return map;
}

function readFormat(read: OptionReader): RouteFormat {
  const format = read.string('format') ?? 'auto';
  if (!(ROUTE_FORMATS as readonly string[]).includes(format)) {
    read.fail('format', `expected one of ${ROUTE_FORMATS.join(', ')}, got ${JSON.stringify(format)}`);
  }
  return format as RouteFormat;
}

function checkOptionsKnown(read: OptionReader, raw: Record<string, unknown>, format: RouteFormat): void {
  const allowed = OPTIONS_BY_FORMAT[format];
  for (const key of Object.keys(raw)) {
    if (allowed.includes(key)) continue;
    const owner = ROUTE_FORMATS.filter((f) => OPTIONS_BY_FORMAT[f].includes(key));
    read.fail(
      key,
      owner.length > 0
        ? `does not apply to format ${format} (only to ${owner.join(', ')})`
        : `unknown option (known: ${OPTIONS_BY_FORMAT.readings.join(', ')})`,
    );
  }
}

/** The envelope's and the route's own labels must not collide: neither could win. */
function checkLabelClashes(read: OptionReader, route: Omit<Route, 'reservedLabels' | 'config'>): Set<string> {
  const owners = new Map<string, string>();
  const claim = (label: string, owner: string) => {
    const previous = owners.get(label);
    if (previous !== undefined) read.fail(owner, `label ${label} is also set by ${previous}`);
    owners.set(label, owner);
  };
  for (const label of route.topic.labels) claim(label, `topic {${label}}`);
  if (route.clientIdLabel !== undefined) claim(route.clientIdLabel, 'clientIdLabel');
  if (route.format === 'shadow') {
    claim('thing', 'the shadow topic (label thing)');
    claim('shadow', 'the shadow topic (label shadow)');
  }
  for (const label of Object.keys(route.labels)) claim(label, `labels.${label}`);
  return new Set(owners.keys());
}

function validateRoute(raw: unknown, index: number): Route {
  if (!isObject(raw))
    throw new RouteConfigError(`routes[${index}]`, '', `expected an object, got ${JSON.stringify(raw)}`);
  const name = raw.name;
  if (typeof name !== 'string' || !ROUTE_NAME.test(name)) {
    throw new RouteConfigError(
      `routes[${index}]`,
      'name',
      `expected 1 to 64 letters, digits or _, got ${JSON.stringify(name)}`,
    );
  }
  const read = new OptionReader(`route "${name}"`, raw);
  const format = readFormat(read);
  checkOptionsKnown(read, raw, format);
  const topicText =
    read.string('topic') ?? read.fail('topic', 'required: the MQTT topic filter of the route');
  const topic = read.check('topic', () => parseTopicPattern(topicText));
  if (format === 'shadow' && !topicText.startsWith('$aws/things/')) {
    read.fail(
      'topic',
      `a shadow route reads $aws/things/<thing>/shadow/…/update/documents, got ${JSON.stringify(topicText)}`,
    );
  }
  const clientIdLabel = read.string('clientIdLabel');
  if (clientIdLabel !== undefined) labelName(read, 'clientIdLabel', clientIdLabel);
  const metricPrefix = read.string('metricPrefix') ?? '';
  if (metricPrefix !== '' && !isValidMetricName(metricPrefix)) {
    read.fail('metricPrefix', `${JSON.stringify(metricPrefix)} is not a valid start of a metric name`);
  }
  const timestampUnit = (read.string('timestampUnit') ?? 'ms') as TimestampUnit;
  if (!(TIMESTAMP_UNITS as readonly string[]).includes(timestampUnit)) {
    read.fail(
      'timestampUnit',
      `expected one of ${TIMESTAMP_UNITS.join(', ')}, got ${JSON.stringify(timestampUnit)}`,
    );
  }
  const timestampText = read.string('timestampField');
  if (raw.timestampUnit !== undefined && timestampText === undefined) {
    read.fail('timestampUnit', 'needs timestampField');
  }
  for (const option of ['ruleName', 'sql']) read.string(option);
  const route = {
    name,
    format,
    topic,
    ...(clientIdLabel === undefined ? {} : { clientIdLabel }),
    labels: readLabels(read),
    metricPrefix,
    labelFields: readLabelFields(read, raw.labelFields),
    valueMap: readValueMap(read),
    ...(timestampText === undefined
      ? {}
      : { timestampField: read.check('timestampField', () => parsePath(timestampText)) }),
    timestampUnit,
    include: read.stringList('include').map((p, i) => read.check(`include[${i}]`, () => parsePattern(p))),
    exclude: read.stringList('exclude').map((p, i) => read.check(`exclude[${i}]`, () => parsePattern(p))),
  };
  const reservedLabels = checkLabelClashes(read, route);
  for (const field of route.labelFields) {
    if (reservedLabels.has(field.label)) {
      read.fail(
        `labelFields (${field.path.join('.')})`,
        `label ${field.label} is set by the topic or the route`,
      );
    }
  }
  return { ...route, reservedLabels, config: raw as unknown as RouteConfig };
}

/**
 * Validates a list of route configurations (JSON values). Throws RouteConfigError naming the route and option.
 * Route names must be unique; an empty list is refused (leave routes unset for the default route).
 */
export function validateRoutes(raw: unknown): Route[] {
  if (!Array.isArray(raw)) {
    throw new RouteConfigError('routes', '', `expected an array of routes, got ${JSON.stringify(raw)}`);
  }
  if (raw.length === 0) {
    throw new RouteConfigError(
      'routes',
      '',
      'is empty; give at least one route, or leave routes unset for the default route',
    );
  }
  const routes = raw.map((item, i) => validateRoute(item, i));
  const names = new Set<string>();
  for (const route of routes) {
    if (names.has(route.name))
      throw new RouteConfigError(`route "${route.name}"`, 'name', 'is used by two routes');
    names.add(route.name);
  }
  return routes;
}
