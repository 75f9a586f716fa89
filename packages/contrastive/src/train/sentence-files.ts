// The safetensors bytes of a sentence model (kept apart so the model file has one import for them).
import { loadSafetensors, saveSafetensors } from '../io/safetensors.js';
import type { StateDict } from '../nn/module.js';

export const saveSafetensorsFile = (sd: StateDict): Uint8Array => saveSafetensors(sd);
export const parseSafetensorsFile = (bytes: Uint8Array): StateDict => loadSafetensors(bytes);
