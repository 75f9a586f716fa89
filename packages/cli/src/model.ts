// Encoder checkpoints: the encoder's state_dict under PyTorch names (so torch.nn.Sequential of the
// same layers loads it) plus, in the safetensors metadata, the spec that rebuilds the encoder.
import { readFile } from 'node:fs/promises';
import {
  ContrastiveError,
  ENCODER_NAMES,
  encoderFromSafetensors,
  encoderSpec,
  encoderToSafetensors,
  type EncoderName,
  type EncoderSpec,
  type Module,
} from 'contrastive';
import { atomicWrite } from './output.js';
import { isResnet, resnetSpec, RESNETS } from './resnet.js';

export { atomicWrite };

export { buildEncoder, RECIPES, type EncoderSpec } from 'contrastive';

/** The spec of `--encoder kind` for images of `input` ([channels, height, width]) and the `--widths` flag. */
export function defaultSpec(kind: string, input: [number, number, number], widthList?: string): EncoderSpec {
  if (isResnet(kind)) return resnetSpec(kind, input);
  if (!(ENCODER_NAMES as readonly string[]).includes(kind)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `--encoder must be mlp, conv, gap or ${Object.keys(RESNETS).join(', ')}, got ${kind}`);
  }
  const side = Math.max(input[1], input[2]);
  // gap: 3 blocks up to 32x32, 4 up to 64x64, 5 above (convNet's default), so the last block sees <= 8x8 maps
  const gap = side <= 32 ? [32, 64, 128] : side <= 64 ? [32, 64, 128, 256] : [32, 64, 128, 256, 256];
  const widths = widthList === undefined ? (kind === 'gap' ? gap : undefined) : widthList.split(',').map(Number);
  if (kind !== 'mlp' && widths && (widths.length < 1 || widths.some((w) => !Number.isInteger(w) || w < 1) || (kind === 'conv' && widths.length !== 2))) {
    throw new ContrastiveError('INVALID_ARGUMENT', `--widths must be ${kind === 'conv' ? 'two' : ''} positive integers separated by commas, got ${widthList}`);
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
