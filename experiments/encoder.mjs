// An encoder file from `contrastive train`, read with the library's public encoderFromSafetensors.
import { readFile } from 'node:fs/promises';
import { encoderFromSafetensors } from 'contrastive';

export async function loadEncoder(path) {
  return encoderFromSafetensors(new Uint8Array(await readFile(path)), path);
}
