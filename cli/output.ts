// How commands talk to the operator: results on stdout (human text, or one JSON document with --json),
// progress bars and warnings on stderr, so `--json | jq` always gets clean JSON.
import { SingleBar } from 'cli-progress';

export interface OutputOptions {
  readonly json: boolean;
  /** False with --no-progress. */
  readonly progress: boolean;
}

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  setTotal(total: number): void;
  stop(): void;
}

const NO_PROGRESS: Progress = { update() {}, setTotal() {}, stop() {} };

/** A progress bar on stderr; a no-op when stderr is not a terminal, with --json or --no-progress. */
export function progressBar(
  options: OutputOptions,
  format: string,
  total: number,
  /** Every `{name}` of the format other than cli-progress' own, so the first frame shows no raw placeholder. */
  initialPayload: Record<string, string | number> = {},
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (options.json || !options.progress || stream.isTTY !== true) return NO_PROGRESS;
  const bar = new SingleBar({
    format,
    stream,
    hideCursor: true,
    clearOnComplete: false,
    etaBuffer: 50,
  });
  bar.start(Math.max(1, total), 0, initialPayload);
  let currentTotal = Math.max(1, total);
  return {
    update(value, payload) {
      // An approximate queue depth can be exceeded; grow the bar rather than overflow it.
      if (value > currentTotal) {
        currentTotal = value;
        bar.setTotal(value);
      }
      bar.update(value, payload);
    },
    setTotal(next) {
      currentTotal = Math.max(1, next);
      bar.setTotal(currentTotal);
    },
    stop: () => bar.stop(),
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function warn(line: string): void {
  process.stderr.write(`warning: ${line}\n`);
}

export function formatAge(ms: number | undefined): string {
  if (ms === undefined) return 'unknown';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}
