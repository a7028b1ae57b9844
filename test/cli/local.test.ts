// `iotprom local` end to end, as README's first command runs it: the bin as a child process with the built
// handler, fauxqs, the real Prometheus from PATH and the simulator, stopped by --duration.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/iotprom.mjs', import.meta.url));

interface PromAnswer {
  data: { result: Array<{ value: [number, string] }> };
}

async function promCount(prometheusUrl: string, query: string): Promise<number> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as PromAnswer;
  return Number(body.data.result[0]?.value[1] ?? 0);
}

type LocalEvent = Record<string, unknown>;

/**
 * Runs `iotprom --json local <args>` as a child process, handing each JSON event line to `onEvent` as it
 * comes; asserts exit code 0 and never leaves the child behind.
 */
async function runLocal(
  args: readonly string[],
  onEvent: (event: LocalEvent, child: ChildProcess) => Promise<void>,
): Promise<{ events: LocalEvent[]; stderr: string }> {
  // Its own process group, like a shell's foreground job, so a test can signal the group as a terminal does.
  // Port 0: other test files (and other checkouts on this machine) may run a local bridge at the same time.
  const child = spawn(process.execPath, [BIN, '--json', 'local', '--sqs-port', '0', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const events: LocalEvent[] = [];
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      const event = JSON.parse(line) as LocalEvent;
      events.push(event);
      await onEvent(event, child);
    }
    assert.equal(await exited, 0, stderr);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  return { events, stderr };
}

test(
  'iotprom local brings samples into Prometheus within seconds and dead-letters the malformed share',
  { timeout: 180_000 },
  async () => {
    let seenDuringRun = 0;
    const { events, stderr } = await runLocal(
      ['--duration', '10', '--rate', '40', '--devices', '8', '--malformed', '0.1'],
      async (event) => {
        if (event.event !== 'ready') return;
        const url = String(event.prometheusUrl);
        assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
        // While the bridge runs: data shows up in Prometheus within seconds.
        const deadline = Date.now() + 60_000;
        while (seenDuringRun === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          seenDuringRun = await promCount(url, 'count(temperature_celsius)').catch(() => 0);
        }
      },
    );
    assert.ok(seenDuringRun > 0, `no temperature_celsius series reached Prometheus\n${stderr}`);
    const summary = events.find((e) => e.event === 'summary');
    assert.ok(summary, `no summary\n${stderr}`);
    assert.ok(Number(summary.sent) >= 100, JSON.stringify(summary));
    assert.ok(Number(summary.malformedSent) > 0, JSON.stringify(summary));
    // Every malformed message was dead-lettered, nothing else; every sample of the rest is in Prometheus.
    assert.equal(summary.deadLettered, summary.malformedSent, JSON.stringify(summary));
    assert.equal(summary.samplesInPrometheus, summary.samplesSent, JSON.stringify(summary));
    assert.equal(summary.backlog, 0);
    assert.equal(summary.drained, true);
  },
);

test(
  "Ctrl-C in the terminal (also forwarded again by npm) drains the queue for --drain-timeout, and Prometheus (out of the terminal's process group) stays up for the count, then stops",
  { timeout: 180_000 },
  async () => {
    const { events, stderr } = await runLocal(
      [
        '--rate',
        '40',
        '--devices',
        '4',
        '--malformed',
        '0',
        '--batching-window',
        '2',
        '--drain-timeout',
        '30',
      ],
      async (event, child) => {
        if (event.event !== 'ready') return;
        await new Promise((resolve) => setTimeout(resolve, 3000));
        // The terminal signals the whole foreground process group, not one process; under `npm run local`
        // npm forwards the same Ctrl-C to its child a moment later, which must not count as a second one.
        process.kill(-(child.pid as number), 'SIGINT');
        await new Promise((resolve) => setTimeout(resolve, 100));
        process.kill(child.pid as number, 'SIGINT');
      },
    );
    const ready = events.find((e) => e.event === 'ready');
    const summary = events.find((e) => e.event === 'summary');
    assert.ok(ready && summary, stderr);
    assert.equal(summary.interrupted, true);
    assert.equal(summary.drained, true, JSON.stringify(summary));
    assert.equal(summary.backlog, 0, JSON.stringify(summary));
    // Prometheus still answered after the drain: every sent sample is counted.
    assert.equal(summary.samplesInPrometheus, summary.samplesSent, `${JSON.stringify(summary)}\n${stderr}`);
    assert.doesNotMatch(stderr, /fetch failed/);
    // Prometheus was stopped with the bridge: its port no longer answers.
    await assert.rejects(
      fetch(`${String(ready.prometheusUrl)}/-/ready`, { signal: AbortSignal.timeout(5000) }),
    );
  },
);

test(
  "the readings fleet's topic labels (site, device) arrive in Prometheus through the readings route",
  { timeout: 180_000 },
  async () => {
    let series: Array<Record<string, string>> = [];
    let byQuery = 0;
    const { events, stderr } = await runLocal(
      [
        '--duration',
        '6',
        '--rate',
        '40',
        '--devices',
        '4',
        '--malformed',
        '0',
        '--formats',
        'readings,report',
      ],
      async (event) => {
        if (event.event !== 'ready') return;
        assert.equal(event.readingsQuery, 'sum by (site) (door_open)');
        const url = String(event.prometheusUrl);
        const deadline = Date.now() + 60_000;
        while (series.length < 4 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          const res = await fetch(`${url}/api/v1/series?match[]=door_open`).catch(() => undefined);
          series = res?.ok ? ((await res.json()) as { data: typeof series }).data : [];
        }
        byQuery = await promCount(url, `count(${String(event.readingsQuery)})`);
      },
    );
    // Four devices on four sites: d-001 on north, d-002 on south, ... as telemetry/<site>/<device> names them.
    const labels = series.map((set) => `${set.site}/${set.device}`).sort();
    assert.deepEqual(labels, ['east/d-003', 'north/d-001', 'south/d-002', 'west/d-004'], stderr);
    assert.equal(byQuery, 4, 'the printed query gives one series per site');
    const summary = events.find((e) => e.event === 'summary');
    assert.ok(summary, stderr);
    assert.equal(summary.deadLettered, 0, JSON.stringify(summary));
    assert.equal(summary.samplesInPrometheus, summary.samplesSent, JSON.stringify(summary));
  },
);
