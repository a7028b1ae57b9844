// What code writes to stdout and stderr while it runs. Lambda sends both streams to CloudWatch Logs, so tests of
// log lines and EMF documents read both.

/** Runs `body` with stdout and stderr captured (not printed); the streams are restored whatever happens. */
export async function capturedOutput<T>(body: () => T | Promise<T>): Promise<{ result: T; text: string }> {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write.bind(stream));
  let text = '';
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      return true;
    }) as typeof stream.write;
  }
  try {
    const result = await body();
    return { result, text };
  } finally {
    streams.forEach((stream, i) => (stream.write = originals[i]!));
  }
}
