// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
export { EncodersError } from './errors';
export type { EncodersErrorCode } from './errors';
export {
  AttributeEncoder,
  createEncoder,
  encoderFromWeights,
  encoderArchitectureSchema,
  encoderInputSchema,
  encoderMetadataSchema,
  inputWidth,
  layerNames,
} from './encoder';
export type { EncoderArchitecture, EncoderArchitectureInput, EncoderInput, EncoderMetadata, EncoderSpec } from './encoder';
export { resolveGroups, circularPeriod, circularDiff } from './model';
export type { AttributeBinding, GeneratorLike, GroupSlice, LayoutLike } from './model';
export {
  readEncoderDataset,
  samplerOptionsSchema,
  datasetManifestSchema,
  shardFileName,
  SAMPLER_PRESETS,
  DATASET_MANIFEST,
} from './sampler';
export type { AttributeRows, DatasetManifest, SampleEncoderDatasetArgs, SamplerOptions, SamplerProgress } from './sampler';
export { trainEncoder, trainEncoders, trainOptionsSchema } from './train';
export type { TrainEncoderArgs, TrainEncodersArgs, TrainMetrics, TrainOptions, TrainProgress } from './train';
export { loadEncoder, loadEncoders } from './io';
export type { LoadEncodersOptions } from './io';
export { Controller, generateOptionsSchema, wrapEncoder } from './controller';
export type { ControlInfo, ControllerInit, OutOfRangeDetails, OutOfRangeValue, ControllerLoadOptions, EncoderLike, GenerateOptions, GenerateResult, WrapEncoderInfo } from './controller';
export { loadGanControlEncoder, replaceGanControlSlice } from './gan-control-encoder';
export type { GanControlEncoder, LoadGanControlEncoderOptions } from './gan-control-encoder';
export { controllerMethod, evaluateControl, evaluateMethod, formatControlReport, evaluateOptionsSchema } from './evaluate';
export type { AttributeControlReport, ControlMethod, ControlReport, EvaluateMeasurements, EvaluateOptions, EvaluateProgress, ValueControlReport } from './evaluate';
export { calibrateEncoders, calibrateOptionsSchema } from './calibrate';
export type { CalibrateOptions, CalibrationReport } from './calibrate';
export { refineEncoders, refineOptionsSchema } from './refine';
export type { RefineOptions, RefineReport } from './refine';
export { calibrationSchema, calibrationOffset, applyCalibration } from './calibration';
export type { Calibration } from './calibration';
export { importGanControlEncoder } from './import-gan-control';
export type { ImportGanControlEncoderOptions } from './import-gan-control';
export { projectImage, projectOptionsSchema, learningRateRamp, encoderStart } from './project';
export type { ProjectOptions, ProjectProgress, ProjectionResult } from './project';
export { GREYSCALE_REFUSAL, prepareImage } from './project-image';
export type { PrepareImageOptions } from './project-image';
export { latentCodeSchema } from './latent-code';
export type { LatentCode, LatentCodeInput, ProjectionMode } from './latent-code';
export { REGRESSION_FOLDER, regressionEdit, regressionMethod, regressionRows } from './regression';
export type { RegressionMode } from './regression';
