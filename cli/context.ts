// What every command needs from the program: the global options and a place to put its exit code.
import type { Command } from 'commander';
import type { ExitCodeValue } from './exit-codes.js';
import type { OutputOptions } from './output.js';
import type { SqsConnectionOptions } from './sqs/client.js';

export interface GlobalOptions extends OutputOptions, SqsConnectionOptions {}

export interface CommandContext {
  exitCode: ExitCodeValue;
}

export function globalOptions(command: Command): GlobalOptions {
  const all = command.optsWithGlobals<{
    region?: string;
    endpointUrl?: string;
    json?: boolean;
    progress?: boolean;
  }>();
  return {
    region: all.region,
    endpointUrl: all.endpointUrl,
    json: all.json === true,
    progress: all.progress !== false,
  };
}
