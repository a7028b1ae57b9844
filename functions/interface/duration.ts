// Prometheus-style durations (`90s`, `10m`, `1h30m`), as MAX_SAMPLE_AGE and MAX_SAMPLE_FUTURE take them.

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3_600_000],
  ['w', 7 * 24 * 3_600_000],
  ['d', 24 * 3_600_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
  ['ms', 1],
];

// Units in descending order, each at most once, as Prometheus' model.ParseDuration requires.
const DURATION = new RegExp(`^${UNITS.map(([unit]) => `(?:(\\d+)${unit})?`).join('')}$`);

/** Milliseconds of a duration such as `1h30m`, or undefined when the text is not one. `0` is zero. */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  const match = text === '' ? null : DURATION.exec(text);
  if (!match) return undefined;
  let total = 0;
  UNITS.forEach(([, ms], i) => {
    const count = match[i + 1];
    if (count !== undefined) total += Number(count) * ms;
  });
  return Number.isSafeInteger(total) ? total : undefined;
}

/** The shortest duration text for a number of milliseconds (`3600000` gives `1h`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  let rest = ms;
  let text = '';
  for (const [unit, size] of UNITS) {
    // Years and weeks are left out: `1y` would read as calendar years to a person.
    if (unit === 'y' || unit === 'w') continue;
    const count = Math.floor(rest / size);
    if (count > 0) text += `${count}${unit}`;
    rest -= count * size;
  }
  return text;
}
