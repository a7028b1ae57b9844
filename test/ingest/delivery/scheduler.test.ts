// The scheduler alone: prerequisites, the concurrency limit, unsettled prerequisites and stopping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runInPrerequisiteOrder, type RequestEnd } from '../../../functions/ingest/delivery/index.js';

function gatedRun(ends: Record<number, RequestEnd> = {}) {
  const started: number[] = [];
  let running = 0;
  let mostRunning = 0;
  const run = async (index: number): Promise<RequestEnd> => {
    started.push(index);
    running += 1;
    mostRunning = Math.max(mostRunning, running);
    await new Promise((resolve) => setImmediate(resolve));
    running -= 1;
    return ends[index] ?? 'settled';
  };
  return { run, started, mostRunning: () => mostRunning };
}

const base = { stopped: () => false, onUnexpectedError: () => undefined };

test('a request starts only after its prerequisites settled, and at most `concurrency` run at once', async () => {
  const gate = gatedRun();
  const ends = await runInPrerequisiteOrder(5, {
    ...base,
    concurrency: 2,
    prerequisites: [[], [0], [1], [], [2, 3]],
    run: gate.run,
  });
  assert.deepEqual(ends, ['settled', 'settled', 'settled', 'settled', 'settled']);
  assert.ok(gate.started.indexOf(1) > gate.started.indexOf(0));
  assert.ok(gate.started.indexOf(2) > gate.started.indexOf(1));
  assert.equal(gate.started.at(-1), 4);
  assert.equal(gate.mostRunning(), 2);
});

test('a request whose prerequisite ends unsettled is never run and ends unsettled', async () => {
  const gate = gatedRun({ 0: 'unsettled' });
  const ends = await runInPrerequisiteOrder(3, {
    ...base,
    concurrency: 4,
    prerequisites: [[], [0], []],
    run: gate.run,
  });
  assert.deepEqual(ends, ['unsettled', 'unsettled', 'settled']);
  assert.deepEqual([...gate.started].sort(), [0, 2]);
});

test('once stopped, waiting requests end unsettled without running', async () => {
  let stop = false;
  const started: number[] = [];
  const ends = await runInPrerequisiteOrder(3, {
    ...base,
    stopped: () => stop,
    concurrency: 1,
    prerequisites: [[], [], []],
    run: async (index) => {
      started.push(index);
      stop = true;
      return 'unsettled';
    },
  });
  assert.deepEqual(started, [0]);
  assert.deepEqual(ends, ['unsettled', 'unsettled', 'unsettled']);
});

test('a throwing request stops the others, which settle before the error is rethrown', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let slowFinished = false;
  let told = 0;
  const outcome = runInPrerequisiteOrder(2, {
    stopped: () => told > 0,
    onUnexpectedError: () => (told += 1),
    concurrency: 2,
    prerequisites: [[], []],
    run: async (index) => {
      if (index === 1) throw new Error('bug');
      await gate;
      slowFinished = true;
      return 'settled';
    },
  });
  await new Promise((resolve) => setImmediate(resolve));
  release();
  await assert.rejects(outcome, /bug/);
  assert.equal(slowFinished, true);
  assert.equal(told, 1);
});
