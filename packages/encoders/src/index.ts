// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
export { EncodersError } from './errors.js';
export type { EncodersErrorCode } from './errors.js';
export {
  AttributeEncoder,
  createEncoder,
  encoderFromWeights,
  encoderArchitectureSchema,
  encoderInputSchema,
  encoderMetadataSchema,
  inputWidth,
  layerNames,
} from './encoder.js';
export type { EncoderArchitecture, EncoderArchitectureInput, EncoderInput, EncoderMetadata, EncoderSpec } from './encoder.js';
export { resolveGroups, circularPeriod, circularDiff } from './model.js';
export type { AttributeBinding, GeneratorLike, GroupSlice, LayoutLike } from './model.js';
export {
  readEncoderDataset,
  samplerOptionsSchema,
  datasetManifestSchema,
  shardFileName,
  SAMPLER_PRESETS,
  DATASET_MANIFEST,
} from './sampler.js';
export type { AttributeRows, DatasetManifest, SampleEncoderDatasetArgs, SamplerOptions, SamplerProgress } from './sampler.js';
export { trainEncoder, trainEncoders, trainOptionsSchema } from './train.js';
export type { TrainEncoderArgs, TrainEncodersArgs, TrainMetrics, TrainOptions, TrainProgress } from './train.js';
export { loadEncoder, loadEncoders } from './io.js';
export type { LoadEncodersOptions } from './io.js';
export { Controller, generateOptionsSchema, wrapEncoder } from './controller.js';
export type {
  ControlInfo,
  ControllerInit,
  OutOfRangeDetails,
  OutOfRangeValue,
  ControllerLoadOptions,
  EncoderLike,
  GenerateOptions,
  GenerateResult,
  WrapEncoderInfo,
} from './controller.js';
export { loadGanControlEncoder, replaceGanControlSlice } from './gan-control-encoder.js';
export type { GanControlEncoder, LoadGanControlEncoderOptions } from './gan-control-encoder.js';
export { controllerMethod, evaluateControl, evaluateMethod, formatControlReport, evaluateOptionsSchema } from './evaluate.js';
export type {
  AttributeControlReport,
  ControlMethod,
  ControlReport,
  EvaluateMeasurements,
  EvaluateOptions,
  EvaluateProgress,
  ValueControlReport,
} from './evaluate.js';
export { calibrateEncoders, calibrateOptionsSchema } from './calibrate.js';
export type { CalibrateOptions, CalibrationReport } from './calibrate.js';
export { refineEncoders, refineOptionsSchema } from './refine.js';
export type { RefineOptions, RefineReport } from './refine.js';
export { calibrationSchema, calibrationOffset, applyCalibration } from './calibration.js';
export type { Calibration } from './calibration.js';
export { importGanControlEncoder } from './import-gan-control.js';
export type { ImportGanControlEncoderOptions } from './import-gan-control.js';
export { projectImage, projectOptionsSchema, learningRateRamp, encoderStart, encoderStarts } from './project.js';
export type { ProjectOptions, ProjectProgress, ProjectionResult } from './project.js';
export { GREYSCALE_REFUSAL, prepareImage } from './project-image.js';
export type { PrepareImageOptions } from './project-image.js';
export { latentCodeSchema } from './latent-code.js';
export type { LatentCode, LatentCodeInput, ProjectionMode } from './latent-code.js';
export { REGRESSION_FOLDER, regressionEdit, regressionMethod, regressionRows } from './regression.js';
export type { RegressionMode } from './regression.js';
