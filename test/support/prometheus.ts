// Tests start the real Prometheus through the same harness `iotprom local` uses.
export { startPrometheus } from '../../cli/local/prometheus-server.js';
export type {
  PrometheusOptions,
  PrometheusServer,
  PromSample,
  PromSeries,
} from '../../cli/local/prometheus-server.js';
