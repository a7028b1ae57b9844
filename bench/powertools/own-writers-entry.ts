// The function's own logger and EMF writer, used as the handler uses them at cold start and per invocation;
// bundled like the function (bench/goals/powertools.ts) to set their import cost beside Powertools'.
import { createObservability } from '../../functions/ingest/observability.js';
import { MetricUnit } from '../../functions/ingest/emf-metrics.js';

const { logger, metrics } = createObservability();
logger.info('ingest function configured', { auth: 'sigv4' });
metrics.addMetric('MessagesReceived', MetricUnit.Count, 1000);
metrics.publishStoredMetrics();
