// The child's side of bench/lib/child.ts, kept apart so that a child does not load esbuild with it.

/** Hands the result to the parent over IPC and exits once it has been sent (prints it when run by hand). */
export function sendToParent(value: unknown): void {
  if (process.send === undefined) {
    console.error(JSON.stringify(value, null, 2));
    process.exit(0);
  }
  process.send(value, () => process.exit(0));
}
