// index.ts — `td.io`: checkpoints in the safetensors format.
export { save, saveAsync, load, serialize, deserialize, readHeader } from './safetensors';
export type { StateDict, SafetensorsHeader, TensorInfo } from './safetensors';
export { SafetensorsError } from './errors';
export { MAX_HEADER_BYTES } from './header';
