// Runs the real `iotprom` bin as an operator does: a child process whose AWS settings come only from the
// environment given here (no AWS_* variable, profile file or instance metadata of the machine leaks in).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../../bin/iotprom.mjs', import.meta.url));

export interface BinRun {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** The parent's environment without any AWS setting, and with the SDK's file and metadata sources off. */
export function cleanEnvironment(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_')) env[name] = value;
  }
  return {
    ...env,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}

export function iotprom(args: readonly string[], env: NodeJS.ProcessEnv): Promise<BinRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env, timeout: 120_000, encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr: stderr.toString('utf8') });
      },
    );
  });
}

/** An operator mistake's report: exactly one line on stderr, no stack trace. */
export function isOneLine(stderr: string): boolean {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  return lines.length === 1 && !/^\s+at /m.test(stderr);
}
