// Ctrl-C handling shared by the commands: the first SIGINT/SIGTERM asks the work to stop cleanly (it
// finishes the batch in hand, so nothing is left half-moved); a second one exits at once.

/** A function, not `signal.aborted` inline, so TypeScript does not narrow it to a constant across awaits. */
export function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

export interface Interruption {
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * A second signal this soon after the first is the same Ctrl-C delivered twice: `npm run` forwards the
 * terminal's SIGINT to its child, which the terminal has already signalled.
 */
const REPEAT_WINDOW_MS = 1000;

export function interruptOnSignals(onFirst?: () => void): Interruption {
  const controller = new AbortController();
  let firstAt = 0;
  const handler = (): void => {
    if (controller.signal.aborted) {
      if (Date.now() - firstAt >= REPEAT_WINDOW_MS) process.exit(130);
      return;
    }
    firstAt = Date.now();
    onFirst?.();
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}
