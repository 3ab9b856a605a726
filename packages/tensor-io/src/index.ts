export { TensorIoError } from './errors.js';
export type { TensorIoErrorCode } from './errors.js';
export {
  readSafetensors,
  writeSafetensors,
  halfToFloat,
  floatToHalf,
  halfArrayToFloat32,
  bfloat16ArrayToFloat32,
} from './safetensors.js';
export type {
  SafetensorsDtype,
  SafetensorsEntry,
  SafetensorsFile,
  SafetensorsInput,
  ReadSafetensorsOptions,
  TensorData,
} from './safetensors.js';
export { writeFileAtomic } from './atomic.js';
export { encodePng, crc32 } from './png.js';
export type { RawImage } from './png.js';
export { decodeImage, imageToTensor, tensorToPng, tensorToPngs } from './image.js';
export type { DecodeImageOptions, TensorToPngOptions } from './image.js';
export { entryToTensor, tensorToEntry } from './tf.js';
export { readTorchCheckpoint, torchStateDict, TorchTensor, pickleState, ALLOWED_TORCH_GLOBALS } from './torch.js';
export type { ReadTorchCheckpointOptions } from './torch.js';
export { restrictedUnpickle, PickleGlobal, PICKLE_STATE } from './pickle.js';
export type { UnpickleOptions } from './pickle.js';
export { ZipArchive } from './zip.js';
export type { ZipEntry } from './zip.js';
