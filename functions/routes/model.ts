// Routes: how one fleet's MQTT messages become samples. A route names a topic pattern, a payload format and the
// format's mapping options; the stack makes one IoT rule per route, and the function reads the routes from
// routes.json (validate.ts checks both places with the same code).
import type { DecodedMessage } from '../pipeline/model.js';
import type { TopicPattern } from './topic.js';

export const ROUTE_FORMATS = ['auto', 'readings', 'shadow', 'senml'] as const;
export type RouteFormat = (typeof ROUTE_FORMATS)[number];

export const TIMESTAMP_UNITS = ['ms', 's', 'us', 'ns', 'rfc3339'] as const;
export type TimestampUnit = (typeof TIMESTAMP_UNITS)[number];

/** A route as configured (construct prop, `routes` context key, routes.json): plain JSON. */
export interface RouteConfig {
  /** Letters, digits and `_` (1 to 64): it names the route in the envelope and in the rule's name. */
  readonly name: string;
  /** MQTT topic filter (`+`, `#`) whose whole levels may be named labels: `telemetry/{site}/{device}/#`. */
  readonly topic: string;
  /** @default 'auto' */
  readonly format?: RouteFormat;
  /** Label that carries the MQTT client id (the thing name, when devices connect as their thing). @default none */
  readonly clientIdLabel?: string;
  /** Constant labels of every series of the route; the payload cannot override them. @default none */
  readonly labels?: Readonly<Record<string, string>>;
  /** Prepended to every metric name of the route, e.g. `plug_`. @default '' */
  readonly metricPrefix?: string;
  /** readings, shadow: payload paths whose values become labels; an object maps label name to path. @default none */
  readonly labelFields?: readonly string[] | Readonly<Record<string, string>>;
  /** readings, shadow: string states to numbers, e.g. `{"ON": 1, "OFF": 0}`. @default none */
  readonly valueMap?: Readonly<Record<string, number>>;
  /** readings: payload path of the sample time. @default none: the envelope's `received_at` */
  readonly timestampField?: string;
  /** readings: unit of `timestampField`. @default 'ms' */
  readonly timestampUnit?: TimestampUnit;
  /** readings, shadow: only leaves matching one of these path patterns become metrics. @default all leaves */
  readonly include?: readonly string[];
  /** readings, shadow: leaves matching one of these path patterns never become metrics. @default none */
  readonly exclude?: readonly string[];
  /** Stack only: the IoT rule's name. @default `<bridge rule name>_<route name>` */
  readonly ruleName?: string;
  /** Stack only: custom rule SQL instead of the generated envelope SQL. @default the envelope SQL */
  readonly sql?: string;
}

/** A path pattern split into levels; `*` is one level, `**` any number of levels. */
export type PathPattern = readonly string[];

/** A validated route, ready for decoding. */
export interface Route {
  readonly name: string;
  readonly format: RouteFormat;
  readonly topic: TopicPattern;
  readonly clientIdLabel?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly metricPrefix: string;
  /** Label name → payload path (levels). */
  readonly labelFields: ReadonlyArray<{ readonly label: string; readonly path: readonly string[] }>;
  readonly valueMap: ReadonlyMap<string, number>;
  readonly timestampField?: readonly string[];
  readonly timestampUnit: TimestampUnit;
  readonly include: readonly PathPattern[];
  readonly exclude: readonly PathPattern[];
  /** Sanitised names of every label the envelope or the route sets: payload labels with these names are dropped. */
  readonly reservedLabels: ReadonlySet<string>;
  /** The configuration it came from (for routes.json and the CLI). */
  readonly config: RouteConfig;
}

/** The context a route's rule wraps around the MQTT payload (see docs/connecting-devices.md). */
export interface Envelope {
  /** The MQTT payload's bytes, decoded from the envelope's base64 `payload`. */
  readonly payload: Buffer;
  readonly topic?: string;
  readonly clientId?: string;
  /** `timestamp()` of the rules engine, ms since the epoch. */
  readonly receivedAtMs?: number;
  readonly route: string;
}

/** What decoding one envelope gave. */
export interface RoutedMessage extends DecodedMessage {
  readonly route: Route;
  readonly envelope: Envelope;
  /** Payload fields that were skipped by design (strings outside valueMap, nulls), as field paths. */
  readonly ignored: readonly string[];
}
