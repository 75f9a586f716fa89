// Encoder checkpoints: the encoder's state_dict under PyTorch names (so torch.nn.Sequential of the
// same layers loads it) plus, in the safetensors metadata, the spec that rebuilds the encoder.
import { readFile } from 'node:fs/promises';
import {
  ContrastiveError, ENCODER_NAMES, encoderFromSafetensors, encoderSpec, encoderToSafetensors, type EncoderName, type EncoderSpec, type Module,
} from 'contrastive';
import { atomicWrite } from './output.js';

export { atomicWrite };

export { buildEncoder, RECIPES, type EncoderSpec } from 'contrastive';

/** The spec of `--encoder kind` for images of `input` ([channels, height, width]) and the `--widths` flag. */
export function defaultSpec(kind: string, input: [number, number, number], widthList?: string): EncoderSpec {
  if (!(ENCODER_NAMES as readonly string[]).includes(kind)) throw new ContrastiveError('INVALID_ARGUMENT', `--encoder must be mlp, conv or gap, got ${kind}`);
  const widths = widthList === undefined ? undefined : widthList.split(',').map(Number);
  if (kind !== 'mlp' && widths && (widths.length < 1 || widths.some((w) => !Number.isInteger(w) || w < 1) || (kind === 'conv' && widths.length !== 2))) {
    throw new ContrastiveError('INVALID_ARGUMENT', `--widths must be ${kind === 'conv' ? 'two' : ''} positive integers separated by commas, got ${widthList}`);
  }
  if (kind !== 'mlp' && input.join() !== '1,28,28') {
    throw new ContrastiveError('INVALID_ARGUMENT', `--encoder ${kind} is a 28x28 grayscale CNN; the images are ${input.join('x')} (use --encoder mlp)`);
  }
  return encoderSpec(kind as EncoderName, input, widths);
}

export async function saveEncoder(path: string, encoder: Module, spec: EncoderSpec, info: Record<string, unknown>): Promise<void> {
  await atomicWrite(path, encoderToSafetensors(encoder, spec, info));
}

export async function loadEncoder(path: string): Promise<{ encoder: Module; spec: EncoderSpec }> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `cannot read model ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const { encoder, spec } = encoderFromSafetensors(bytes, path);
  return { encoder, spec };
}

