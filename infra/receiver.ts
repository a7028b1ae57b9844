// Where the bridge writes: a workspace it creates, an existing AMP workspace, or any remote-write URL. The
// receiver rules (https, no credentials in the URL, SigV4 only to AMP) are the function's own, from
// functions/interface, so a synth refuses what the function's cold start would refuse.
import { Arn, ArnFormat, Aws, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { CfnWorkspace } from 'aws-cdk-lib/aws-aps';
import type { Construct } from 'constructs';
import {
  AUTH_MODES,
  SECRET_AUTH_MODES,
  defaultAuthFor as defaultAuthForUrl,
  parseAmpUrl as parseAmp,
  receiverProblem,
  type AuthMode,
} from '../functions/interface/index.js';
import { BridgePropError, checkInteger } from './validation.js';

/** How the function authenticates to the receiver (`REMOTE_WRITE_AUTH`). */
export type RemoteWriteAuth = AuthMode;

export const REMOTE_WRITE_AUTHS: readonly RemoteWriteAuth[] = AUTH_MODES;

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
  /** Allow SigV4 to a host that is not AMP (`REMOTE_WRITE_SIGV4_ANY_HOST`). */
  readonly sigv4AnyHost?: boolean;
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

/** Region and workspace id of an AMP remote-write URL, or undefined for any other receiver. */
export function parseAmpUrl(url: string): { region: string; workspaceId: string } | undefined {
  return parseAmp(url);
}

/** The function's default: SigV4 for AMP hosts, none for everything else. */
export function defaultAuthFor(url: string): RemoteWriteAuth {
  return defaultAuthForUrl(new URL(url));
}

function createWorkspace(scope: Construct, options: NewWorkspaceOptions): Receiver {
  const retention = checkInteger(
    'workspace.retentionPeriodInDays',
    'workspaceRetentionDays',
    options.retentionPeriodInDays ?? 150,
  );
  const outOfOrder = checkInteger(
    'workspace.outOfOrderTimeWindowInSeconds',
    'outOfOrderWindowSeconds',
    options.outOfOrderTimeWindowInSeconds ?? 600,
  );
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

function existingWorkspace(scope: Construct, arn: string, url: string | undefined, auth?: RemoteWriteAuth) {
  const parts = Arn.split(arn, ArnFormat.SLASH_RESOURCE_NAME);
  if (
    !Token.isUnresolved(arn) &&
    (parts.service !== 'aps' || parts.resource !== 'workspace' || !parts.resourceName)
  ) {
    throw new BridgePropError(
      'existingWorkspaceArn',
      `must be arn:<partition>:aps:<region>:<account>:workspace/<id>, got ${arn}`,
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

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    // The value is not echoed: it may hold credentials.
    throw new BridgePropError('remoteWriteUrl', 'must be an http(s) URL');
  }
}

/** The URL and auth checks of the function's cold start, naming the props instead of the variables. */
function checkUrl(url: string, auth: RemoteWriteAuth, options: ReceiverOptions): void {
  const problem = receiverProblem({ url: parseUrl(url), auth, sigv4AnyHost: options.sigv4AnyHost === true });
  if (problem === undefined) return;
  const hint = problem.sigv4AnyHost
    ? '; use an AMP URL or existingWorkspaceArn, or set sigv4AnyHost to sign for this host'
    : '';
  throw new BridgePropError(
    problem.setting === 'url' ? 'remoteWriteUrl' : 'remoteWriteAuth',
    problem.reason + hint,
  );
}

function givenUrl(scope: Construct, url: string, auth: RemoteWriteAuth | undefined): Receiver {
  const amp = Token.isUnresolved(url) ? undefined : parseAmp(url);
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
    throw new BridgePropError(
      'remoteWriteAuth',
      'sigv4 needs an AMP workspace the function may write to: give existingWorkspaceArn as well',
    );
  }
  return { remoteWriteUrl: url, auth: resolvedAuth };
}

export function resolveReceiver(scope: Construct, options: ReceiverOptions): Receiver {
  const { existingWorkspaceArn: arn, remoteWriteUrl: url, remoteWriteAuth: auth } = options;
  if (auth !== undefined && !REMOTE_WRITE_AUTHS.includes(auth)) {
    throw new BridgePropError(
      'remoteWriteAuth',
      `must be one of ${REMOTE_WRITE_AUTHS.join(', ')}, got ${String(auth)}`,
    );
  }
  if (options.workspace && (arn || url)) {
    throw new BridgePropError(
      'workspace',
      'options apply to a new workspace; leave them out with existingWorkspaceArn or remoteWriteUrl',
    );
  }
  if (url !== undefined && !Token.isUnresolved(url)) parseUrl(url);
  let receiver: Receiver;
  if (arn) receiver = existingWorkspace(scope, arn, url, auth);
  else if (url) receiver = givenUrl(scope, url, auth);
  else if (auth !== undefined && auth !== 'sigv4') {
    throw new BridgePropError(
      'remoteWriteAuth',
      `a workspace the bridge creates is written with sigv4, not ${auth}`,
    );
  } else receiver = createWorkspace(scope, options.workspace ?? {});
  if (!Token.isUnresolved(receiver.remoteWriteUrl)) checkUrl(receiver.remoteWriteUrl, receiver.auth, options);
  return receiver;
}

/** Whether the auth mode reads its credentials from a secret. */
export function needsSecret(auth: RemoteWriteAuth): boolean {
  return SECRET_AUTH_MODES.includes(auth);
}
