// Routes: bring an existing fleet in without changing its firmware (docs/connecting-devices.md).
export type {
  Envelope,
  PathPattern,
  Route,
  RouteConfig,
  RouteFormat,
  RoutedMessage,
  TimestampUnit,
} from './model.js';
export { ROUTE_FORMATS, TIMESTAMP_UNITS } from './model.js';
export { parsePath, ROUTE_NAME, RouteConfigError, validateRoutes } from './validate.js';
export { matchTopic, parseTopicPattern, shadowTopicParts, type TopicPattern } from './topic.js';
export { buildEnvelope, ENVELOPE_FIELDS, isEnvelope, readEnvelope } from './envelope.js';
export { RouteDecoder } from './decoder.js';
export { MAX_PAYLOAD_DEPTH, matchesPath } from './flatten.js';
export { timestampInUnit } from './readings.js';
export {
  DEFAULT_ROUTES_FILE,
  loadRoutes,
  parseRoutesFile,
  ROUTES_FILE_VARIABLE,
  ROUTES_FILE_VERSION,
  routesFileText,
} from './load.js';
