// The public face of the pure pipeline: everything the Lambda handler, the CLI and the benchmarks need.
export { DEFAULT_PIPELINE_CONFIG, DEFAULT_PIPELINE_LIMITS, DEFAULT_REQUEST_LIMITS } from './config.js';
export type { PipelineConfig, PipelineLimits, RequestLimits, SampleWindow } from './config.js';
export { InvalidMessageError } from './errors.js';
export type {
  DecodedMessage,
  DecodedSample,
  Label,
  SampleColumns,
  Series,
  SeriesIdentity,
  SeriesRange,
  SeriesSample,
  SourceMessage,
  WriteBatch,
} from './model.js';
export { decodeMessage } from './decode/index.js';
export {
  SampleNormaliser,
  compareLabelNames,
  prepareExtraLabels,
  seriesCacheLimitsFor,
  type SeriesCacheLimits,
} from './normalise.js';
export { groupSeries } from './series.js';
export type { GroupedSeries, SeriesStats } from './series.js';
export { SampleTable } from './sample-table.js';
export { batchOf, plainSeriesOf, samplesOf, writeBatchOf } from './write-batch.js';
export type { PlainSeries } from './write-batch.js';
export { bisectBatch, splitIntoBatches } from './split.js';
export { planBatch } from './plan.js';
export type { BatchPlan, BatchStats, MessageFailure, PlanOptions } from './plan.js';
export { encodeWriteRequest, encodeWriteRequestView, RequestEncoder } from './encode.js';
export { compressBlock } from './compress.js';
export { REMOTE_WRITE_HEADERS, RESERVED_HEADERS } from './headers.js';
