// The package's entry point (`import { IotPrometheusBridge } from 'iot-prometheus-bridge'`): the construct, its
// props and the values a CDK app needs beside them. Everything else under infra/ is internal.
export { IotPrometheusBridge, DEFAULT_TOPIC_SQL, topicFilterOf } from './iot-prometheus-bridge.js';
export type { IotPrometheusBridgeProps } from './iot-prometheus-bridge.js';
export { REMOTE_WRITE_AUTHS } from './receiver.js';
export type { NewWorkspaceOptions, Receiver, RemoteWriteAuth } from './receiver.js';
/** The CloudWatch namespace of the function's metrics (for the app's own alarms and dashboards). */
export { METRICS_NAMESPACE } from './alarms.js';
// Routes (infra/routes.ts): export the route types and the layer construct here once that module exists.
