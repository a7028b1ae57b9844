// The progress bars render every placeholder of their format from the first frame on.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { progressBar } from '../../cli/output.js';

/** A stand-in for a terminal's stderr that keeps what is written. */
function fakeTerminal(): { stream: NodeJS.WriteStream; text: () => string } {
  const chunks: string[] = [];
  const writable = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  Object.assign(writable, {
    isTTY: true,
    columns: 200,
    rows: 40,
    cursorTo: () => true,
    clearLine: () => true,
  });
  return { stream: writable as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

test("replay's progress bar shows numbers, not {scanned} placeholders, before and after the first batch", () => {
  const terminal = fakeTerminal();
  const bar = progressBar(
    { json: false, progress: true },
    'replay |{bar}| {value}/{total} scanned: {scanned} moved: {moved} failed: {failed}',
    0,
    { scanned: 0, matched: 0, moved: 0, failed: 0 },
    terminal.stream,
  );
  bar.update(3, { scanned: 5, matched: 3, moved: 3, failed: 0 });
  bar.stop();
  const text = terminal.text();
  assert.doesNotMatch(text, /\{(scanned|moved|failed|matched)\}/, text);
  assert.match(text, /scanned: 0 moved: 0 failed: 0/);
  assert.match(text, /3\/3 scanned: 5 moved: 3 failed: 0/);
});
