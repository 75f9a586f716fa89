// ResNet encoders for `contrastive train --encoder resnet18|resnet18-cifar|resnet34|resnet-small`,
// starting from a checkpoint (--init, torchvision names) and with parts frozen (--freeze).
import { readFile } from 'node:fs/promises';
import { ContrastiveError, readSafetensors, ResNet, resnetEncoderSpec, withoutKeys, type Module } from 'contrastive';
import type { EncoderSpec } from './model.js';

/** The --encoder names of the ResNets and what each is (for --help). */
export const RESNETS: Record<string, string> = {
  resnet18: 'torchvision ResNet-18 (7x7 stem + max pool; for 224x224 images)',
  'resnet18-cifar': "ResNet-18 with a 3x3 stride-1 stem and no max pool (SimCLR's CIFAR variant, 32x32)",
  resnet34: 'torchvision ResNet-34',
  'resnet-small': 'one BasicBlock per stage, widths 32-256, 3x3 stride-2 stem (64x64 images)',
};

export const isResnet = (kind: string) => Object.hasOwn(RESNETS, kind);

export function resnetSpec(arch: string, input: [number, number, number]): EncoderSpec {
  return resnetEncoderSpec(arch, input);
}

/**
 * --init: loads a safetensors state_dict with torchvision's names (a converted `.pth`, or an
 * encoder from `contrastive train`) into the encoder. The classifier 'fc.*' is dropped (the
 * encoder has none); every other tensor must be there with the encoder's shape.
 */
export async function initFrom(encoder: Module, path: string): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    throw new ContrastiveError('INVALID_ARGUMENT', `cannot read --init ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const sd = withoutKeys(readSafetensors(bytes).tensors, ['fc.']);
  try {
    encoder.loadStateDict(sd);
  } catch (e) {
    if (e instanceof ContrastiveError) throw new ContrastiveError(e.code, `--init ${path} does not fit the encoder: ${e.message}`);
    throw e;
  }
  return Object.keys(sd).length;
}

/**
 * --freeze a,b: freezes the parameters under each prefix ('conv1', 'layer1', 'layer2.0') and
 * pins the submodules they name to eval mode, so their BatchNorm statistics stay fixed too.
 * Returns the number of tensors frozen.
 */
export function freezePrefixes(encoder: Module, list: string): number {
  const prefixes = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (prefixes.length === 0)
    throw new ContrastiveError('INVALID_ARGUMENT', `--freeze needs parameter name prefixes separated by commas, got ${JSON.stringify(list)}`);
  const frozen = encoder.freeze(prefixes);
  const modules = new Map(encoder.namedModules());
  for (const p of prefixes) modules.get(p)?.eval();
  return frozen.length;
}

export { ResNet };
