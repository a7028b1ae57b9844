// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time by function and by source file, so a profile can be
// read in a terminal. Minified bundle frames are mapped back to their source with the bundle's source map when
// the caller provides a resolver.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FrameName {
  readonly name: string;
  readonly file: string;
}

export type FrameResolver = (frame: ProfileNode['callFrame']) => FrameName;

export interface ProfileSummary {
  readonly totalMs: number;
  readonly byFunction: Array<{ name: string; file: string; ms: number; share: number }>;
  readonly byFile: Array<{ file: string; ms: number; share: number }>;
}

export function summariseProfile(path: string, resolve: FrameResolver): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  let total = 0;
  const functions = new Map<string, { name: string; file: string; us: number }>();
  const files = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    total += us;
    const frame = resolve(node.callFrame);
    const key = `${frame.name}\u0000${frame.file}`;
    const entry = functions.get(key) ?? { name: frame.name, file: frame.file, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    files.set(frame.file, (files.get(frame.file) ?? 0) + us);
  }
  const share = (us: number): number => (total === 0 ? 0 : us / total);
  return {
    totalMs: total / 1000,
    byFunction: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .map((f) => ({ name: f.name, file: f.file, ms: f.us / 1000, share: share(f.us) })),
    byFile: [...files.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([file, us]) => ({ file, ms: us / 1000, share: share(us) })),
  };
}
