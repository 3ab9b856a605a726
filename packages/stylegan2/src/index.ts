// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
export {
  CONFIG_LIMITS,
  generatorConfigSchema,
  discriminatorConfigSchema,
  mappingConfigSchema,
  synthesisConfigSchema,
  mappingGroupSchema,
  parseGeneratorConfig,
  parseDiscriminatorConfig,
  channelsAt,
  numWsFor,
  StyleGan2Error,
} from './config.js';
export type { GeneratorConfig, GeneratorConfigInput, DiscriminatorConfig, DiscriminatorConfigInput, MappingGroup } from './config.js';
export { Generator, createGenerator, filter2d } from './generator.js';
export type { ClampGradient, LatentGroupSlice, StyleGenerator } from './style-generator.js';
export type { MappingOptions, SynthesisOptions, NoiseMode } from './generator.js';
export { Discriminator, createDiscriminator, minibatchStd } from './discriminator.js';
export type { LoadReport, TensorRecord } from './params.js';
export { generatorLogisticNS, discriminatorLogistic, r1Penalty, pathLengths, PathLengthRegularizer } from './losses.js';
export type { PathLengthOptions, PathLengthInputs, SynthesisLike } from './losses.js';
export { emaBeta, updateEma, lazyRegularizationAdam, sampleMixingCutoff, mixStyles } from './training.js';
export type { EmaOptions, LazyAdamSettings, NamedVariables } from './training.js';
export { upfirdnMatrix, firTaps } from './ops.js';
export {
  loadOfficialGenerator,
  loadOfficialDiscriminator,
  generatorConfigFromOfficial,
  discriminatorConfigFromOfficial,
  officialGeneratorKwargsSchema,
  officialDiscriminatorKwargsSchema,
  toFloatRecords,
  assertComplete,
} from './official.js';
export type { OfficialGeneratorKwargs, OfficialDiscriminatorKwargs } from './official.js';
export * from './gan-control/index.js';
export {
  loadCheckpoint,
  encodeCheckpoint,
  decodeCheckpoint,
  networkFromCheckpoint,
  loadGenerator,
  loadDiscriminator,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
} from './checkpoint.js';
export type { Checkpoint, CheckpointInput, CheckpointKind } from './checkpoint.js';
export {
  MODEL_FORMAT,
  MODEL_FILE,
  DEFAULT_WEIGHTS_FILE,
  modelManifestSchema,
  fileChecksumSchema,
  parseModelManifest,
  checkFolderName,
  modelGroups,
  modelFolderFiles,
  readModelManifest,
  readModelFolder,
  verifyModelFile,
  assertFiniteTensors,
  safetensorsFramingProblem,
  encodeModelFolder,
} from './model-folder.js';
export type {
  ModelManifest,
  ModelManifestInput,
  ModelGeneratorSpec,
  ModelGroup,
  ModelFolder,
  ModelFolderFiles,
  ModelFolderLocation,
  ModelFolderInput,
  ModelFolderErrorCode,
  EncodedModelFolder,
  ReadModelFolderOptions,
} from './model-folder.js';
