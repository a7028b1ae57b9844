// Issue 13's Powertools question, by measurement: the CPU time of importing and first using Powertools Logger and
// Metrics, against the function's own writers (structured-logger.ts, emf-metrics.ts, log-output.ts) doing the
// same, each bundled as the function is (esbuild, minified, ESM) and started in a fresh process on the runtime's
// Node, alternating with a bare start. Reported beside goal 4a, whose budget the difference would come out of.
import { build } from 'esbuild';
import { spawn } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { INGEST_NODE_OPTIONS } from '../../infra/ingest-node-options.js';
import { ingestEsbuildOptions } from '../../scripts/ingest-bundle.js';
import { benchNode, projectRoot } from '../lib/child.js';
import { kb, type GoalResult } from '../lib/goal.js';
import { formatSpread, spread } from '../lib/stats.js';

type Candidate = 'bare' | 'own' | 'powertools' | 'cryptoOwn' | 'cryptoPowertools';

async function bundle(entry: string, name: string): Promise<string> {
  const outDir = join(projectRoot, '.tmp', 'bench-run', 'powertools');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `${name}.mjs`);
  const options = ingestEsbuildOptions(outDir);
  await build({
    ...options,
    entryPoints: [join(projectRoot, entry)],
    outdir: undefined,
    outfile,
    splitting: false,
    entryNames: undefined,
    chunkNames: undefined,
    sourcemap: false,
  });
  return outfile;
}

function cpuOf(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const report = 'const u = process.cpuUsage(); process.stderr.write(String((u.user + u.system) / 1000));';
    const child = spawn(
      benchNode,
      [INGEST_NODE_OPTIONS, '--input-type=module', '-e', `${args.join('')}${report}`],
      {
        env: {
          PATH: process.env['PATH'] ?? '',
          AWS_REGION: 'us-east-1',
          POWERTOOLS_SERVICE_NAME: 'iot-prometheus-bridge',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = Number(stderr.trim().split(/\s+/).at(-1));
      if (code !== 0 || Number.isNaN(ms)) reject(new Error(`exited with ${code}: ${stderr}`));
      else resolve(ms);
    });
  });
}

export async function powertoolsImport(rounds = 20): Promise<GoalResult> {
  const files: Record<'own' | 'powertools', string> = {
    own: await bundle('bench/powertools/own-writers-entry.ts', 'own-writers'),
    powertools: await bundle('bench/powertools/powertools-entry.ts', 'powertools'),
  };
  const importOwn = `await import(${JSON.stringify(`file://${files.own}`)});`;
  const importPowertools = `await import(${JSON.stringify(`file://${files.powertools}`)});`;
  // As in the AMP configuration, where node:crypto is loaded anyway (TLS, SigV4) by the first batch.
  const crypto = "(await import('node:module')).createRequire(import.meta.url)('node:crypto');";
  const scripts: Record<Candidate, string[]> = {
    bare: [],
    own: [importOwn],
    powertools: [importPowertools],
    cryptoOwn: [crypto, importOwn],
    cryptoPowertools: [crypto, importPowertools],
  };
  const times: Record<Candidate, number[]> = {
    bare: [],
    own: [],
    powertools: [],
    cryptoOwn: [],
    cryptoPowertools: [],
  };
  const names = Object.keys(times) as Candidate[];
  for (let round = -1; round < rounds; round++) {
    for (const name of round % 2 === 0 ? names : [...names].reverse()) {
      const ms = await cpuOf(scripts[name]);
      if (round >= 0) times[name].push(ms);
    }
  }
  const over = (list: readonly number[]) => spread(list.map((ms, i) => ms - times.bare[i]!));
  const own = over(times.own);
  const powertools = over(times.powertools);
  const difference = spread(times.powertools.map((ms, i) => ms - times.own[i]!));
  const withCrypto = spread(times.cryptoPowertools.map((ms, i) => ms - times.cryptoOwn[i]!));
  return {
    id: 'P',
    title: 'Powertools Logger + Metrics vs the own writers: import and first use',
    figure: `Powertools +${difference.median.toFixed(1)} ms CPU over the own writers`,
    goal: 'reported (decides issue 13)',
    pass: undefined,
    details: [
      `own writers (structured-logger.ts, emf-metrics.ts, log-output.ts): ${formatSpread(own, 1, ' ms')} CPU over a bare start, bundle ${kb(statSync(files.own).size)}`,
      `@aws-lambda-powertools/logger + metrics: ${formatSpread(powertools, 1, ' ms')} CPU over a bare start, bundle ${kb(statSync(files.powertools).size)}`,
      `difference per round (Powertools − own): ${formatSpread(difference, 1, ' ms')}; Powertools loads node:crypto (and node:console), the own writers neither`,
      `with node:crypto already loaded in both (the AMP configuration loads it for TLS and SigV4 by the first batch): Powertools − own ${formatSpread(withCrypto, 1, ' ms')}`,
      `bare start ${formatSpread(spread(times.bare), 1, ' ms')} CPU; each imports, logs one INFO line and publishes one EMF document, bundled with the function's esbuild options, NODE_OPTIONS \`${INGEST_NODE_OPTIONS}\``,
    ],
  };
}
