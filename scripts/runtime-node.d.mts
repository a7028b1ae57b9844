/** Version of the Lambda runtime's Node that tests and benchmarks run on. */
export const RUNTIME_NODE_VERSION: string;
/** Path of the runtime's `node` binary for a CPU (this machine's by default), fetched on first use. */
export function runtimeNode(cpu?: string): string;
