// What each benchmark hands to the runner, which prints the table and writes bench/RESULTS.md.

export interface GoalResult {
  /** As the issues number them: '1', '1b', '4a'… */
  readonly id: string;
  readonly title: string;
  /** The headline figure, e.g. `0.61x JSON.parse speed`. */
  readonly figure: string;
  /** The goal as the issue states it. */
  readonly goal: string;
  /** undefined: reported, no pass/fail threshold. */
  readonly pass: boolean | undefined;
  /** Markdown lines with the measured detail (spread, sizes, timings). */
  readonly details: readonly string[];
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}
