// Powertools Logger and Metrics doing what powertools/own-writers-entry.ts does with the function's own writers.
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

const logger = new Logger({ serviceName: process.env['POWERTOOLS_SERVICE_NAME'] ?? 'iot-prometheus-bridge' });
const metrics = new Metrics({ namespace: 'IotPrometheusBridge' });
logger.info('ingest function configured', { auth: 'sigv4' });
metrics.addMetric('MessagesReceived', MetricUnit.Count, 1000);
metrics.publishStoredMetrics();
