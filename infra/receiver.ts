// Where the bridge writes: a workspace it creates, an existing AMP workspace, or any remote-write URL.
import { Arn, ArnFormat, Aws, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { CfnWorkspace } from 'aws-cdk-lib/aws-aps';
import type { Construct } from 'constructs';

/** How the function authenticates to the receiver (CONTRACT.md section 2, `REMOTE_WRITE_AUTH`). */
export type RemoteWriteAuth = 'sigv4' | 'none' | 'bearer' | 'basic';

export const REMOTE_WRITE_AUTHS: readonly RemoteWriteAuth[] = ['sigv4', 'none', 'bearer', 'basic'];

/** Settings of the Amazon Managed Service for Prometheus workspace the bridge creates. */
export interface NewWorkspaceOptions {
  /**
   * The workspace's alias (its display name).
   * @default the stack name
   */
  readonly alias?: string;
  /**
   * How long AMP keeps the samples, in days (1 to 1,095).
   * @default 150
   */
  readonly retentionPeriodInDays?: number;
  /**
   * How far behind a series' newest sample AMP still accepts a sample, in seconds (0 to 600). IoT rules and SQS
   * deliver out of order, so the default is AMP's maximum.
   * @default 600
   */
  readonly outOfOrderTimeWindowInSeconds?: number;
  /**
   * What `cdk destroy` does with the workspace and its data.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

export interface ReceiverOptions {
  readonly workspace?: NewWorkspaceOptions;
  readonly existingWorkspaceArn?: string;
  readonly remoteWriteUrl?: string;
  readonly remoteWriteAuth?: RemoteWriteAuth;
}

/** The receiver as the rest of the stack needs it. */
export interface Receiver {
  readonly remoteWriteUrl: string;
  readonly auth: RemoteWriteAuth;
  /** ARN of the AMP workspace the function may `aps:RemoteWrite` to; absent for other receivers. */
  readonly workspaceArn?: string;
  /** Workspace id (`ws-…`) for outputs and the dashboard; absent for other receivers. */
  readonly workspaceId?: string;
  /** The workspace this stack created, if it created one. */
  readonly createdWorkspace?: CfnWorkspace;
}

// Data-plane hosts of AMP (commercial, China and dual-stack): https://aps-workspaces.<region>.<suffix>/workspaces/<id>/…
const AMP_URL =
  /^https:\/\/aps-workspaces\.([a-z0-9-]+)\.(?:amazonaws\.com(?:\.cn)?|api\.aws)\/workspaces\/([^/]+)\//;

/** Region and workspace id of an AMP remote-write URL, or undefined for any other receiver. */
export function parseAmpUrl(url: string): { region: string; workspaceId: string } | undefined {
  const match = AMP_URL.exec(url);
  if (!match) return undefined;
  return { region: match[1]!, workspaceId: match[2]! };
}

/** The contract's default: SigV4 for AMP hosts, none for everything else. */
export function defaultAuthFor(url: string): RemoteWriteAuth {
  return new URL(url).hostname.startsWith('aps-workspaces.') ? 'sigv4' : 'none';
}

function checkRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function createWorkspace(scope: Construct, options: NewWorkspaceOptions): Receiver {
  const retention = options.retentionPeriodInDays ?? 150;
  const outOfOrder = options.outOfOrderTimeWindowInSeconds ?? 600;
  checkRange('retentionPeriodInDays', retention, 1, 1095);
  checkRange('outOfOrderTimeWindowInSeconds', outOfOrder, 0, 600);
  const workspace = new CfnWorkspace(scope, 'Workspace', {
    alias: options.alias ?? Stack.of(scope).stackName,
    workspaceConfiguration: { retentionPeriodInDays: retention, outOfOrderTimeWindowInSeconds: outOfOrder },
  });
  workspace.applyRemovalPolicy(options.removalPolicy ?? RemovalPolicy.RETAIN);
  return {
    // prometheusEndpoint already ends in `/api/v1/`.
    remoteWriteUrl: `${workspace.attrPrometheusEndpoint}remote_write`,
    auth: 'sigv4',
    workspaceArn: workspace.attrArn,
    workspaceId: workspace.attrWorkspaceId,
    createdWorkspace: workspace,
  };
}

function existingWorkspace(
  scope: Construct,
  arn: string,
  url: string | undefined,
  auth: RemoteWriteAuth | undefined,
) {
  const parts = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
  if (
    !Token.isUnresolved(arn) &&
    (parts.service !== 'aps' || parts.resource !== 'workspace' || !parts.resourceName)
  ) {
    throw new Error(
      `existingWorkspaceArn must be arn:<partition>:aps:<region>:<account>:workspace/<id>, got ${arn}`,
    );
  }
  const workspaceId = parts.resourceName!;
  const region = parts.region ?? Stack.of(scope).region;
  const receiver: Receiver = {
    remoteWriteUrl:
      url ??
      `https://aps-workspaces.${region}.${Aws.URL_SUFFIX}/workspaces/${workspaceId}/api/v1/remote_write`,
    auth: auth ?? 'sigv4',
    workspaceArn: arn,
    workspaceId,
  };
  return receiver;
}

export function resolveReceiver(scope: Construct, options: ReceiverOptions): Receiver {
  const { existingWorkspaceArn: arn, remoteWriteUrl: url, remoteWriteAuth: auth } = options;
  if (auth !== undefined && !REMOTE_WRITE_AUTHS.includes(auth)) {
    throw new Error(`remoteWriteAuth must be one of ${REMOTE_WRITE_AUTHS.join(', ')}, got ${String(auth)}`);
  }
  if (options.workspace && (arn || url)) {
    throw new Error(
      'workspace options apply to a new workspace; leave them out with existingWorkspaceArn or remoteWriteUrl',
    );
  }
  if (url !== undefined && !Token.isUnresolved(url) && !/^https?:\/\//.test(url)) {
    throw new Error(`remoteWriteUrl must be an http(s) URL, got ${url}`);
  }
  if (arn) return existingWorkspace(scope, arn, url, auth);
  if (url) {
    const amp = Token.isUnresolved(url) ? undefined : parseAmpUrl(url);
    const resolvedAuth = auth ?? (Token.isUnresolved(url) ? 'none' : defaultAuthFor(url));
    if (amp) {
      // An AMP URL names its region and workspace; the account is assumed to be the stack's own.
      const workspaceArn = Stack.of(scope).formatArn({
        service: 'aps',
        region: amp.region,
        resource: 'workspace',
        resourceName: amp.workspaceId,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
      return { remoteWriteUrl: url, auth: resolvedAuth, workspaceArn, workspaceId: amp.workspaceId };
    }
    if (resolvedAuth === 'sigv4') {
      throw new Error('remoteWriteAuth sigv4 needs an AMP workspace: give existingWorkspaceArn as well');
    }
    return { remoteWriteUrl: url, auth: resolvedAuth };
  }
  if (auth !== undefined && auth !== 'sigv4') {
    throw new Error(`a workspace the bridge creates is written with sigv4, not ${auth}`);
  }
  return createWorkspace(scope, options.workspace ?? {});
}
