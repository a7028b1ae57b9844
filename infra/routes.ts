// Routes in the stack: one IoT topic rule per route into the bridge's source queue, and a Lambda layer holding
// routes.json for the function (the function reads /opt/iot-prometheus-bridge/routes.json at cold start, so the
// code asset stays the same bytes and the routes never touch the 4 KB environment).
//
// Each route's rule wraps the MQTT payload in an envelope made only of forms the AWS IoT SQL reference documents
// (SQL version 2016-03-23):
// - encode(*, 'base64'): "Working with binary payloads", https://docs.aws.amazon.com/iot/latest/developerguide/binary-payloads.html
//   (`SELECT encode(*, 'base64') AS data, timestamp() AS ts FROM 'topic/subtopic'`), and encode(value,
//   encodingScheme) in https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html
// - topic(), clientid(), timestamp(): the same functions page, https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-functions.html
//   (topic() the whole topic; clientid() the MQTT client id; timestamp() the rules engine's receive time in ms)
// - a string literal AS a field: "Literals", https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-literals.html
// - FROM '<topic filter>': "FROM clause", https://docs.aws.amazon.com/iot/latest/developerguide/iot-sql-from.html
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IRole } from 'aws-cdk-lib/aws-iam';
import { CfnTopicRule } from 'aws-cdk-lib/aws-iot';
import { Code, LayerVersion } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { routesFileText } from '../functions/routes/load.js';
import type { RouteConfig } from '../functions/routes/model.js';
import { RouteConfigError, validateRoutes } from '../functions/routes/validate.js';

export type { RouteConfig, RouteFormat, TimestampUnit } from '../functions/routes/model.js';

/** A route of the construct (prop `routes`) or of the `routes` context key. */
export type RouteProps = RouteConfig;

/** The rule SQL of the default route: the bridge's rule before routes existed. */
export const DEFAULT_ROUTE_SQL = "SELECT * FROM 'telemetry/#'";
export const DEFAULT_ROUTE_NAME = 'default';

const RULE_NAME = /^[a-zA-Z0-9_]{1,128}$/;

/** One IoT rule the stack creates. */
export interface RouteRuleSpec {
  readonly route: string;
  readonly ruleName: string;
  readonly sql: string;
  /** The filter of the rule's FROM clause (the stack output lists it). */
  readonly topicFilter: string;
  /** True when the rule sends the envelope (generated SQL); false for the default route and custom SQL. */
  readonly envelope: boolean;
}

/** The generated SQL of a route: the MQTT payload as base64 plus its context, never mixed with payload fields. */
export function envelopeSql(routeName: string, topicFilter: string): string {
  return (
    "SELECT encode(*, 'base64') AS payload, topic() AS topic, clientid() AS client_id, " +
    `timestamp() AS received_at, '${routeName}' AS route FROM '${topicFilter}'`
  );
}

/**
 * Validates routes at synth with the function's own validation plus the stack's options (ruleName, sql).
 * Errors name the route and the option. Returns the configurations as given.
 */
export function validateRouteProps(routes: unknown): RouteProps[] {
  const validated = validateRoutes(routes);
  for (const route of validated) {
    const { ruleName, sql } = route.config;
    if (ruleName !== undefined && !RULE_NAME.test(ruleName)) {
      throw new RouteConfigError(
        `route "${route.name}"`,
        'ruleName',
        `allows only letters, digits and underscores (1 to 128), got ${JSON.stringify(ruleName)}`,
      );
    }
    if (sql !== undefined && !/^\s*SELECT\b/i.test(sql)) {
      throw new RouteConfigError(
        `route "${route.name}"`,
        'sql',
        `expected an IoT SQL SELECT statement, got ${JSON.stringify(sql)}`,
      );
    }
  }
  return validated.map((route) => route.config);
}

/**
 * The rules for `routes` (validated here). No routes: the one default route, `defaultSql` under `baseRuleName`
 * exactly as the bridge's rule was before routes, so an existing deployment synthesises unchanged.
 */
export function routeRuleSpecs(
  routes: readonly RouteProps[] | undefined,
  baseRuleName: string,
  defaultSql: string = DEFAULT_ROUTE_SQL,
): RouteRuleSpec[] {
  if (routes === undefined) {
    const topicFilter = /\bFROM\s+'([^']*)'/i.exec(defaultSql)?.[1] ?? defaultSql;
    return [
      { route: DEFAULT_ROUTE_NAME, ruleName: baseRuleName, sql: defaultSql, topicFilter, envelope: false },
    ];
  }
  const validated = validateRoutes(validateRouteProps(routes));
  const specs = validated.map((route): RouteRuleSpec => {
    const { ruleName, sql } = route.config;
    const suffix = `_${route.name}`;
    return {
      route: route.name,
      ruleName: ruleName ?? `${baseRuleName.slice(0, 128 - suffix.length)}${suffix}`,
      sql: sql ?? envelopeSql(route.name, route.topic.filter),
      topicFilter: route.topic.filter,
      envelope: sql === undefined,
    };
  });
  const names = new Map<string, string>();
  for (const spec of specs) {
    const other = names.get(spec.ruleName);
    if (other !== undefined) {
      throw new RouteConfigError(
        `route "${spec.route}"`,
        'ruleName',
        `rule name ${spec.ruleName} is also route "${other}"'s`,
      );
    }
    names.set(spec.ruleName, spec.route);
  }
  return specs;
}

/**
 * Routes from the `routes` context key: a JSON array in cdk.json, or its JSON text from `-c routes='[…]'`.
 * Undefined when the key is unset.
 */
export function routesFromContext(value: unknown): RouteProps[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let json = value;
  if (typeof value === 'string') {
    try {
      json = JSON.parse(value);
    } catch (error) {
      throw new Error(`context routes must be a JSON array of routes: ${(error as Error).message}`);
    }
  }
  try {
    return validateRouteProps(json);
  } catch (error) {
    throw new Error(`context ${(error as Error).message}`, { cause: error });
  }
}

export interface RoutesLayerProps {
  readonly routes: readonly RouteProps[];
}

/** A Lambda layer holding iot-prometheus-bridge/routes.json (at /opt/iot-prometheus-bridge/routes.json in the function). */
export class RoutesLayer extends Construct {
  readonly layer: LayerVersion;
  /** The routes.json text the layer holds. */
  readonly fileText: string;

  constructor(scope: Construct, id: string, props: RoutesLayerProps) {
    super(scope, id);
    this.fileText = routesFileText(validateRouteProps(props.routes));
    // A directory per content: the asset hash follows the routes, and the same routes give the same layer.
    const digest = createHash('sha256').update(this.fileText).digest('hex').slice(0, 16);
    const dir = join(tmpdir(), `iot-prometheus-bridge-routes-${digest}`);
    const file = join(dir, 'iot-prometheus-bridge', 'routes.json');
    if (!existsSync(file)) {
      mkdirSync(join(dir, 'iot-prometheus-bridge'), { recursive: true });
      writeFileSync(file, this.fileText);
    }
    this.layer = new LayerVersion(this, 'Layer', {
      code: Code.fromAsset(dir),
      description: 'iot-prometheus-bridge routes.json',
    });
  }
}

export interface RouteRulesProps {
  /** @default the default route (DEFAULT_ROUTE_SQL) */
  readonly routes?: readonly RouteProps[];
  /** The bridge's rule name: the default route's rule name, and the prefix of the others (`<base>_<route>`). */
  readonly baseRuleName: string;
  /** The bridge's source queue. */
  readonly queue: IQueue;
  /** A role IoT assumes that may send to `queue` (and `errorQueue`). */
  readonly role: IRole;
  /** The rules' error action sends failed deliveries here. @default no error action */
  readonly errorQueue?: IQueue;
  /** @default false */
  readonly useBase64?: boolean;
  /** SQL of the default route. @default DEFAULT_ROUTE_SQL */
  readonly defaultSql?: string;
}

/** One IoT topic rule per route, each sending to the same queue. */
export class RouteRules extends Construct {
  readonly specs: readonly RouteRuleSpec[];
  readonly rules: readonly CfnTopicRule[];

  constructor(scope: Construct, id: string, props: RouteRulesProps) {
    super(scope, id);
    this.specs = routeRuleSpecs(props.routes, props.baseRuleName, props.defaultSql);
    this.rules = this.specs.map((spec) => {
      const rule = new CfnTopicRule(this, `Rule_${spec.route}`, {
        ruleName: spec.ruleName,
        topicRulePayload: {
          description: `IoT route ${spec.route} to the Prometheus bridge source queue`,
          sql: spec.sql,
          awsIotSqlVersion: '2016-03-23',
          ruleDisabled: false,
          actions: [
            {
              sqs: {
                queueUrl: props.queue.queueUrl,
                roleArn: props.role.roleArn,
                useBase64: props.useBase64 ?? false,
              },
            },
          ],
          ...(props.errorQueue
            ? {
                errorAction: {
                  sqs: { queueUrl: props.errorQueue.queueUrl, roleArn: props.role.roleArn, useBase64: false },
                },
              }
            : {}),
        },
      });
      // The rule must not be created before its role may send, or its first deliveries fail.
      rule.node.addDependency(props.role);
      return rule;
    });
  }
}
