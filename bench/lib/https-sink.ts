// A loopback HTTPS receiver answering 204, for the cold-start goals that deliver a first batch as deployed (SigV4
// over TLS). Its certificate is made once with the openssl command (self-signed for 127.0.0.1) and handed to the
// children through NODE_EXTRA_CA_CERTS, so the handler verifies it as it verifies a real receiver's chain.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { projectRoot } from './child.js';
import { listenOnLoopback } from './sink.js';

export interface HttpsSink {
  /** `https://127.0.0.1:<port>/workspaces/ws-bench/api/v1/remote_write` */
  readonly url: string;
  /** PEM file of the sink's certificate, for NODE_EXTRA_CA_CERTS. */
  readonly caFile: string;
  readonly requests: () => number;
  close(): Promise<void>;
}

function certificate(): { key: string; cert: string } {
  const dir = join(projectRoot, '.tmp', 'bench-tls');
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  if (!existsSync(cert)) {
    mkdirSync(dir, { recursive: true });
    // prettier-ignore
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '3650', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
      { stdio: 'ignore' });
  }
  return { key, cert };
}

export async function startHttpsSink(): Promise<HttpsSink> {
  const files = certificate();
  let requests = 0;
  const server = createServer(
    { key: readFileSync(files.key), cert: readFileSync(files.cert) },
    (req, res) => {
      req.resume();
      req.on('end', () => {
        requests += 1;
        res.writeHead(204).end();
      });
    },
  );
  const { port, close } = await listenOnLoopback(server);
  return {
    url: `https://127.0.0.1:${port}/workspaces/ws-bench/api/v1/remote_write`,
    caFile: files.cert,
    requests: () => requests,
    close,
  };
}
