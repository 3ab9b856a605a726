export { exceededLimit, TensorIoError } from './errors.js';
export type { TensorIoErrorCode, TensorIoLimitInfo } from './errors.js';
export { DEFAULT_LIMITS } from './limits.js';
export type { TensorIoLimits } from './limits.js';
export { readSafetensors, writeSafetensors, halfToFloat, floatToHalf, halfArrayToFloat32, bfloat16ArrayToFloat32 } from './safetensors.js';
export type {
  SafetensorsDtype,
  SafetensorsEntry,
  SafetensorsFile,
  SafetensorsInput,
  ReadSafetensorsOptions,
  TensorData,
} from './safetensors.js';
export { imageToTensor } from './raw-image.js';
export type { RawImage } from './raw-image.js';
export { readBytes, readText, listFolder, joinLocation, parentLocation, baseName, isNotFound, linkOutside } from './location.js';
export { sha256 } from './sha256.js';
export type { FileLocation } from './location.js';
export { entryToTensor, tensorToEntry } from './tf.js';
export { readTorchCheckpoint, torchStateDict, TorchTensor, pickleState, ALLOWED_TORCH_GLOBALS } from './torch.js';
export type { ReadTorchCheckpointOptions } from './torch.js';
export { restrictedUnpickle, PickleGlobal, PICKLE_STATE } from './pickle.js';
export type { UnpickleOptions } from './pickle.js';
export { ZipArchive } from './zip.js';
export type { ZipEntry, ZipArchiveOptions } from './zip.js';
