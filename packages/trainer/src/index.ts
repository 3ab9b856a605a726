// Registers every gradient this package and its plugins differentiate through (one owner: @gan-control/gradients).
import '@gan-control/gradients';
export {
  trainConfigSchema,
  datasetSchema,
  folderDatasetSchema,
  proceduralDatasetSchema,
  parseTrainConfig,
  preset,
  presets,
  TrainerError,
} from './config.js';
export type { TrainConfig, TrainConfigInput, PresetName } from './config.js';
export { Adam } from './adam.js';
export { createDataset, folderDataset } from './datasets.js';
export type { ProceduralDataset, TrainingDataset } from './datasets.js';
export { saveCheckpoint, loadLatestCheckpoint, checkpointName } from './checkpoint.js';
export type { FileWriter, LoadedCheckpoint, CheckpointMeta } from './checkpoint.js';
export { GanControlTrainer, networkConfigs, setupAttributes } from './trainer.js';
export type { StepMetrics, StepPhases } from './trainer.js';
export { train, exportModel } from './run.js';
export type { TrainOptions, TrainResult, ProgressInfo, ConfigChange, ExportModelOptions } from './run.js';
export { loadTrainedModel } from './model.js';
export type { TrainedModel } from './model.js';
