// Synthetic device telemetry in every message format the bridge reads (docs/formats.md), and flat readings as the
// local demo's readings route sends them (docs/connecting-devices.md), with an optional share of malformed bodies. Values drift the way real sensors do (a random walk around a per-site baseline), so a
// demo's graphs look like something.

import { localReadingsBody } from '../commands/map.js';

export const MESSAGE_FORMATS = ['sample', 'report', 'array', 'senml', 'base64', 'readings'] as const;
export type MessageFormat = (typeof MESSAGE_FORMATS)[number];
/** The formats a bridge without routes reads; `readings` needs the route LOCAL_READINGS_ROUTE (cli/commands/map.ts). */
export const ROUTELESS_FORMATS: readonly MessageFormat[] = MESSAGE_FORMATS.filter((f) => f !== 'readings');

export interface TelemetryOptions {
  readonly devices: number;
  readonly formats?: readonly MessageFormat[];
  /** Share of messages (0..1) whose body the bridge must refuse. @default 0 */
  readonly malformedShare?: number;
  /** Deterministic runs for tests. @default Math.random */
  readonly random?: () => number;
  readonly nowMs?: () => number;
}

export interface TelemetryMessage {
  readonly body: string;
  readonly device: string;
  readonly format: MessageFormat | 'malformed';
  /** Samples the bridge should write for this message (0 for malformed ones). */
  readonly samples: number;
}

const SITES = ['north', 'south', 'east', 'west'] as const;

/** Bodies that can never succeed, each for a different reason the bridge names. */
const MALFORMED: ReadonlyArray<(device: string) => string> = [
  () => `{"name":"temperature_celsius","value":`, // truncated JSON
  (device) => JSON.stringify({ name: 'temperature_celsius', value: 'warm', labels: { device } }),
  (device) => JSON.stringify({ labels: { device }, metrics: {} }),
  () => 'not json at all',
  (device) => JSON.stringify({ value: 21.5, labels: { device } }), // no name
];

interface DeviceState {
  readonly id: string;
  readonly site: string;
  temperature: number;
  humidity: number;
  battery: number;
  doorOpen: boolean;
  lastTimestampMs: number;
}

export class TelemetryGenerator {
  private readonly devices: DeviceState[];
  private readonly formats: readonly MessageFormat[];
  private readonly malformedShare: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private next = 0;

  constructor(options: TelemetryOptions) {
    if (!Number.isInteger(options.devices) || options.devices < 1)
      throw new RangeError('devices must be ≥ 1');
    this.formats = options.formats && options.formats.length > 0 ? options.formats : MESSAGE_FORMATS;
    this.malformedShare = Math.min(1, Math.max(0, options.malformedShare ?? 0));
    this.random = options.random ?? Math.random;
    this.now = options.nowMs ?? Date.now;
    const width = String(options.devices).length;
    this.devices = Array.from({ length: options.devices }, (_, i) => {
      const site = SITES[i % SITES.length] as string;
      return {
        id: `d-${String(i + 1).padStart(Math.max(3, width), '0')}`,
        site,
        temperature: 18 + 6 * this.random(),
        humidity: 35 + 20 * this.random(),
        battery: 60 + 40 * this.random(),
        doorOpen: false,
        lastTimestampMs: 0,
      };
    });
  }

  /** The next message, for the devices in turn. */
  message(): TelemetryMessage {
    const device = this.devices[this.next % this.devices.length] as DeviceState;
    const format = this.formats[
      Math.floor(this.next / this.devices.length) % this.formats.length
    ] as MessageFormat;
    this.next += 1;
    if (this.random() < this.malformedShare) {
      const make = MALFORMED[Math.floor(this.random() * MALFORMED.length)] as (device: string) => string;
      return { body: make(device.id), device: device.id, format: 'malformed', samples: 0 };
    }
    this.step(device);
    // One series must never get two values for one millisecond.
    const timestamp = Math.max(this.now(), device.lastTimestampMs + 1);
    device.lastTimestampMs = timestamp;
    const labels = { device: device.id, site: device.site };
    const metrics = {
      temperature_celsius: round(device.temperature, 2),
      humidity_percent: round(device.humidity, 1),
      battery_percent: round(device.battery, 1),
    };
    switch (format) {
      case 'sample': {
        // A single-metric message: the device reports its temperature only.
        const body = { name: 'temperature_celsius', value: metrics.temperature_celsius, timestamp, labels };
        return { body: JSON.stringify(body), device: device.id, format, samples: 1 };
      }
      case 'report':
        return {
          body: JSON.stringify({ labels, timestamp, metrics }),
          device: device.id,
          format,
          samples: 3,
        };
      case 'array': {
        const body = Object.entries(metrics).map(([name, value]) => ({ name, value, timestamp, labels }));
        return { body: JSON.stringify(body), device: device.id, format, samples: 3 };
      }
      case 'senml': {
        // bn carries the device; SenML has no labels, so the bridge puts bn into the label base_name.
        const body = [
          {
            bn: `urn:dev:${device.id}:`,
            bt: timestamp / 1000,
            n: 'temperature_celsius',
            u: 'Cel',
            v: metrics.temperature_celsius,
          },
          { n: 'humidity_percent', u: '%RH', v: metrics.humidity_percent },
          { n: 'battery_percent', u: '%EL', v: metrics.battery_percent },
        ];
        return { body: JSON.stringify(body), device: device.id, format, samples: 3 };
      }
      case 'readings': {
        // Flat readings on telemetry/<site>/<device>: the labels come from the topic, the door state via valueMap.
        const readings = { ...metrics, door_open: device.doorOpen ? 'OPEN' : 'CLOSED' };
        const body = localReadingsBody({ site: device.site, id: device.id, nowMs: timestamp, readings });
        return { body, device: device.id, format, samples: 4 };
      }
      case 'base64': {
        // What an IoT rule's SQS action with useBase64 delivers.
        const json = JSON.stringify({ labels, timestamp, metrics });
        return { body: Buffer.from(json, 'utf8').toString('base64'), device: device.id, format, samples: 3 };
      }
    }
  }

  private step(device: DeviceState): void {
    device.temperature = clamp(device.temperature + (this.random() - 0.5) * 0.4, -10, 45);
    device.humidity = clamp(device.humidity + (this.random() - 0.5) * 1.0, 5, 95);
    device.battery = clamp(device.battery - this.random() * 0.02, 0, 100);
    if (this.random() < 0.1) device.doorOpen = !device.doorOpen;
  }
}

export function parseFormats(list: string): MessageFormat[] {
  const formats = list
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
  for (const f of formats) {
    if (!(MESSAGE_FORMATS as readonly string[]).includes(f)) {
      throw new RangeError(`unknown format ${f} (expected ${MESSAGE_FORMATS.join(', ')})`);
    }
  }
  return formats as MessageFormat[];
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
