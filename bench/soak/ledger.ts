// The soak's messages and the account kept of them: every message the soak sends has an index, and every sample
// an index, so that what Prometheus holds, what the proxy saw accepted and what sits in the dead-letter queue
// can be matched back to the messages exactly.
import { METRIC_NAMES, deviceName, sampleValue } from '../lib/workload.js';

/** `poison`: refused with 400; `poison-500`: refused with a whole-request 500 ("too old sample"). */
export type MessageKind = 'good' | 'poison' | 'poison-500' | 'malformed';

export interface SoakPlan {
  readonly run: string;
  readonly devices: number;
  readonly reportsPerDevice: number;
  readonly metrics: number;
  readonly startMs: number;
  readonly intervalMs: number;
  /**
   * Poison messages: one per `poisonEvery` good messages, with their own series (label quality="poison", or
   * "poison-500" for every `poison500Every`-th of them).
   */
  readonly poisonEvery: number;
  readonly poison500Every: number;
  readonly malformedEvery: number;
}

export interface SoakMessage {
  readonly index: number;
  readonly kind: MessageKind;
  readonly body: string;
}

export class Ledger {
  readonly goodMessages: number;
  readonly poisonMessages: number;
  readonly malformedMessages: number;
  readonly messages: SoakMessage[] = [];
  private readonly byBody = new Map<string, number>();
  private readonly deviceIndex = new Map<string, number>();
  private readonly metricIndex = new Map<string, number>();

  constructor(readonly plan: SoakPlan) {
    this.goodMessages = plan.devices * plan.reportsPerDevice;
    this.poisonMessages = Math.floor(this.goodMessages / plan.poisonEvery);
    this.malformedMessages = Math.floor(this.goodMessages / plan.malformedEvery);
    for (let d = 0; d < plan.devices; d++) this.deviceIndex.set(deviceName(d), d);
    for (let m = 0; m < plan.metrics; m++) this.metricIndex.set(METRIC_NAMES[m]!, m);
    for (let i = 0; i < this.goodMessages; i++) this.add('good', this.reportBody(i, false));
    for (let i = 0; i < this.poisonMessages; i++) {
      const kind = i % plan.poison500Every === 0 ? 'poison-500' : 'poison';
      this.add(kind, this.reportBody(i * plan.poisonEvery, kind));
    }
    for (let i = 0; i < this.malformedMessages; i++)
      this.add(
        'malformed',
        `{"labels": {"device": "broken-${i}"}, "timestamp": ${plan.startMs}, "metrics": {`,
      );
  }

  /** Samples of the good messages: the ones that must end up in Prometheus. */
  get goodSamples(): number {
    return this.goodMessages * this.plan.metrics;
  }

  /** Sample slots: good samples first, then those of poison messages (which must never be written). */
  get sampleSlots(): number {
    return (this.goodMessages + this.poisonMessages) * this.plan.metrics;
  }

  private add(kind: MessageKind, body: string): void {
    const index = this.messages.length;
    this.messages.push({ index, kind, body });
    this.byBody.set(body, index);
  }

  /** Good message i is report floor(i / devices) of device i % devices. */
  private reportBody(i: number, poison: MessageKind | false): string {
    const device = i % this.plan.devices;
    const report = Math.floor(i / this.plan.devices);
    const metrics: Record<string, number> = {};
    for (let m = 0; m < this.plan.metrics; m++) metrics[METRIC_NAMES[m]!] = sampleValue(device, report, m);
    return JSON.stringify({
      labels: {
        device: deviceName(device),
        run: this.plan.run,
        ...(poison === false ? {} : { quality: poison }),
      },
      timestamp: this.plan.startMs + report * this.plan.intervalMs,
      metrics,
    });
  }

  messageOfBody(body: string): number | undefined {
    return this.byBody.get(body);
  }

  /**
   * The slot of a sample from its labels and timestamp, or undefined when the soak never sent it.
   * Slots: good message i, metric m → i * metrics + m; poison message p → (good + p) * metrics + m.
   */
  sampleSlot(
    labels: ReadonlyArray<{ name: string; value: string }>,
    timestampMs: number,
  ): number | undefined {
    let device: number | undefined;
    let metric: number | undefined;
    let poison = false;
    let run = '';
    for (const l of labels) {
      if (l.name === '__name__') metric = this.metricIndex.get(l.value);
      else if (l.name === 'device') device = this.deviceIndex.get(l.value);
      else if (l.name === 'quality') poison = l.value === 'poison' || l.value === 'poison-500';
      else if (l.name === 'run') run = l.value;
    }
    if (device === undefined || metric === undefined || run !== this.plan.run) return undefined;
    const offset = timestampMs - this.plan.startMs;
    if (offset < 0 || offset % this.plan.intervalMs !== 0) return undefined;
    const report = offset / this.plan.intervalMs;
    if (report >= this.plan.reportsPerDevice) return undefined;
    const good = report * this.plan.devices + device;
    if (!poison) return good * this.plan.metrics + metric;
    if (good % this.plan.poisonEvery !== 0) return undefined;
    return (this.goodMessages + good / this.plan.poisonEvery) * this.plan.metrics + metric;
  }

  /** The value good message `slot` carries (poison slots carry the value of the good message they copy). */
  expectedValue(slot: number): number {
    const metric = slot % this.plan.metrics;
    let message = Math.floor(slot / this.plan.metrics);
    if (message >= this.goodMessages) message = (message - this.goodMessages) * this.plan.poisonEvery;
    return sampleValue(message % this.plan.devices, Math.floor(message / this.plan.devices), metric);
  }

  /** The message that owns a sample slot. */
  messageOfSlot(slot: number): number {
    return Math.floor(slot / this.plan.metrics);
  }
}
