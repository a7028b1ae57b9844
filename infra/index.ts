// The package's entry point (`import { IotPrometheusBridge } from 'iot-prometheus-bridge'`): the construct, its
// props and the values a CDK app needs beside them. Everything else under infra/ is internal.
export {
  IotPrometheusBridge,
  DEFAULT_MAX_CONCURRENCY,
  DEFAULT_TOPIC_SQL,
  topicFilterOf,
} from './iot-prometheus-bridge.js';
export type { IotPrometheusBridgeProps } from './iot-prometheus-bridge.js';
export { REMOTE_WRITE_AUTHS } from './receiver.js';
export type { NewWorkspaceOptions, Receiver, RemoteWriteAuth } from './receiver.js';
/** The CloudWatch namespace of the function's metrics (for the app's own alarms and dashboards). */
export { METRICS_NAMESPACE } from './alarms.js';
// Routes: one IoT rule per route, and the layer that carries routes.json to the function.
export { DEFAULT_ROUTE_NAME, DEFAULT_ROUTE_SQL, RouteRules, RoutesLayer, envelopeSql } from './routes.js';
export type {
  RouteConfig,
  RouteFormat,
  RouteProps,
  RouteRulesProps,
  RoutesLayerProps,
  TimestampUnit,
} from './routes.js';
