// One synth per configuration, shared by the tests of a file: synthesis (and bundling above all) is the slow part.
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BridgeStack } from '../../../infra/bridge-stack.js';
import { projectRoot } from '../../../scripts/ingest-bundle.js';

export const STACK_NAME = 'TestBridge';

/** The context of cdk.json (feature flags and CLI settings), so tests synthesise what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

export interface Synthesised {
  readonly stack: Stack;
  readonly template: Template;
  /** The cloud assembly folder (holds the staged assets when bundled). */
  readonly outdir: string;
  /** cdk-nag AwsSolutions findings that are not acknowledged, as `ruleName at path` strings. */
  readonly nagFindings: string[];
}

export interface SynthOptions {
  /** Run the asset bundling (slow); otherwise CDK skips it and the asset hash is still computed. */
  readonly bundle?: boolean;
}

/** Synthesises a BridgeStack with these context keys on top of cdk.json's context. */
export function synthBridge(context: Record<string, unknown> = {}, options: SynthOptions = {}): Synthesised {
  const outdir = mkdtempSync(join(tmpdir(), 'iotprom-synth-'));
  try {
    const app = new App({
      outdir,
      context: {
        ...cdkJsonContext(),
        ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
        ...context,
      },
    });
    const stack = new BridgeStack(app, STACK_NAME);
    const report = new AwsSolutionsChecks().validateScope(app);
    const nagFindings = report.violations.flatMap((violation) =>
      violation.violatingResources.map(
        (resource) => `${violation.ruleName} (${violation.severity}) at ${resource.constructPath}`,
      ),
    );
    const template = Template.fromStack(stack);
    return { stack, template, outdir, nagFindings };
  } catch (error) {
    rmSync(outdir, { recursive: true, force: true });
    throw error;
  }
}

/** The logical id of the only resource of this type. */
export function onlyResourceId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0]!;
}

/** The staged folder of the ingest function's code asset. */
export function ingestAssetDir(synth: Synthesised): string {
  const fn = Object.values(synth.template.findResources('AWS::Lambda::Function'))[0] as {
    Properties: { Code: { S3Key: string } };
  };
  const hash = fn.Properties.Code.S3Key.replace(/\.zip$/, '');
  const dir = readdirSync(synth.outdir).find((entry) => entry === `asset.${hash}`);
  if (!dir) throw new Error(`asset.${hash} is not in ${synth.outdir}`);
  return join(synth.outdir, dir);
}

/** The asset hash of the ingest function's code (its S3 key without `.zip`). */
export function ingestAssetHash(template: Template): string {
  const fn = Object.values(template.findResources('AWS::Lambda::Function'))[0] as {
    Properties: { Code: { S3Key: string } };
  };
  return fn.Properties.Code.S3Key.replace(/\.zip$/, '');
}

/** ELF `e_machine` of a shared object: 0xB7 aarch64, 0x3E x86-64. */
export function elfMachine(path: string): number {
  const header = Buffer.alloc(20);
  const fd = openSync(path, 'r');
  try {
    readSync(fd, header, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (header.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF file`);
  // EI_DATA 1 = little endian, which both Lambda architectures are.
  if (header[5] !== 1) throw new Error(`${path} is not little-endian`);
  return header.readUInt16LE(18);
}

export const ELF_AARCH64 = 0xb7;
export const ELF_X86_64 = 0x3e;

/** Every `.node` file under the asset's node_modules, relative to the asset. */
export function nativeBinaries(assetDir: string): string[] {
  return (readdirSync(join(assetDir, 'node_modules'), { recursive: true }) as string[])
    .filter((path) => path.endsWith('.node'))
    .sort();
}

/** The ARN CloudFormation builds for an IoT rule of this stack, as the rule role's trust policy names it. */
export function ruleArn(ruleName: string) {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':iot:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:rule/${ruleName}`,
      ],
    ],
  };
}
