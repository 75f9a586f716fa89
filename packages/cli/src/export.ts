// `contrastive export`: a trained encoder out to other runtimes.
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Command, Option } from 'commander';
import { readFile } from 'node:fs/promises';
import { ContrastiveError, exportOnnx, init, moduleSpec, readSafetensors, saveSafetensors, SPEC_KEY } from 'contrastive';
import { atomicWrite, loadEncoder } from './model.js';

const require = createRequire(import.meta.url);

/** The PyTorch module shipped with the library (python/contrastive_torch.py). */
function torchModulePath(): string {
  return join(dirname(require.resolve('contrastive/package.json')), 'python', 'contrastive_torch.py');
}

/** Writes a folder atomically: built beside `out`, then renamed into place. */
async function writeFolder(out: string, files: Record<string, Uint8Array | string | { copy: string }>): Promise<void> {
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  try {
    await mkdir(tmp, { recursive: true });
    for (const [name, v] of Object.entries(files)) {
      if (typeof v === 'object' && 'copy' in v) await copyFile(v.copy, join(tmp, name));
      else await writeFile(join(tmp, name), v);
    }
    await rm(out, { recursive: true, force: true });
    await rename(tmp, out);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw new ContrastiveError('INVALID_ARGUMENT', `cannot write ${out}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

export function addExportCommand(program: Command): void {
  program
    .command('export')
    .description('export an encoder: onnx (one .onnx file, dynamic batch), torch (a folder: weights + architecture + the Python module that loads them)')
    .requiredOption('--model <file>', 'encoder (.safetensors) from `contrastive train`')
    .addOption(
      new Option('--format <format>', 'onnx | torch | hf (hf: Hugging Face / transformers.js folders, for text encoders)')
        .choices(['onnx', 'torch', 'hf'])
        .makeOptionMandatory(),
    )
    .requiredOption('--out <path>', 'output file (onnx) or folder (torch, hf)')
    .action(async (o: { model: string; format: 'onnx' | 'torch' | 'hf'; out: string }) => {
      await init();
      const { encoder, spec } = await loadEncoder(o.model);
      const inputShape = [spec.input[0] * spec.input[1] * spec.input[2]];
      if (o.format === 'hf') {
        throw new ContrastiveError(
          'UNSUPPORTED',
          `--format hf writes text encoders; ${o.model} is a ${spec.kind} encoder of ${spec.input.join('x')} inputs (use --format onnx or torch)`,
        );
      }
      if (o.format === 'onnx') {
        await atomicWrite(o.out, exportOnnx(encoder, { inputShape }));
        console.log(`wrote ${o.out} (ONNX opset 17: input [batch, ${inputShape[0]}] -> output [batch, ${spec.outDim}])`);
        return;
      }
      await writeFolder(o.out, {
        // the CLI's metadata stays, so `contrastive eval/embed` read the file PyTorch writes back
        'model.safetensors': saveSafetensors(encoder.stateDict(), {
          ...readSafetensors(new Uint8Array(await readFile(o.model))).metadata,
          [SPEC_KEY]: JSON.stringify(moduleSpec(encoder)),
        }),
        'spec.json': `${JSON.stringify(moduleSpec(encoder), null, 1)}\n`,
        'contrastive_torch.py': { copy: torchModulePath() },
      });
      console.log(
        `wrote ${o.out}/ (model.safetensors, spec.json, contrastive_torch.py: python -c "import contrastive_torch as ct; m, _ = ct.load_model('model.safetensors')")`,
      );
    });
}
