// `contrastive export`: a trained encoder out to other runtimes.
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Command, Option } from 'commander';
import {
  ContrastiveError,
  exportHuggingFace,
  exportOnnx,
  init,
  loadSentenceModel,
  type Module,
  moduleSpec,
  readSafetensors,
  saveModel,
  SentenceEncoder,
  SentenceTransformer,
  saveSafetensors,
  SPEC_KEY,
} from 'contrastive';
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
      await mkdir(dirname(join(tmp, name)), { recursive: true });
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

interface TextExport {
  model: string;
  format: 'onnx' | 'torch' | 'hf';
  out: string;
  normalize?: boolean;
}

const isFolder = (p: string) =>
  stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );

/** The module that computes a text model's sentence embeddings (what `contrastive embed --text` returns; normalized when asked, except the static table). */
function textModule(model: SentenceEncoder | SentenceTransformer, normalize: boolean): Module {
  // the static model is its table: exportOnnx adds the normalization (opts.normalize)
  if (model instanceof SentenceEncoder && model.bag) return model.bag;
  if (model instanceof SentenceEncoder) {
    // the encoder with the folder's mean pooling
    return new SentenceTransformer(model.bert!, undefined, { pooling: 'mean', normalize, maxSeqLength: model.config.maxLength });
  }
  if (normalize && !model.normalizer) {
    return new SentenceTransformer(model.encoder, undefined, { pooling: model.pooling.mode, normalize: true, maxSeqLength: model.maxSeqLength });
  }
  return model;
}

/** A text model folder out: hf (sentence-transformers / transformers.js folder) or onnx (sentence embeddings). */
async function exportText(o: TextExport): Promise<void> {
  // a folder this library trained becomes a SentenceEncoder, any other a SentenceTransformer
  const model: SentenceEncoder | SentenceTransformer = await loadSentenceModel(o.model);
  const kind = model instanceof SentenceEncoder && model.bag ? 'static embedding' : 'BERT-family';
  if (o.format === 'torch') {
    // the model as one file with its architecture (contrastive_torch.py rebuilds text encoders too), beside its tokenizer
    if (o.normalize && model instanceof SentenceEncoder && model.bag) {
      throw new ContrastiveError(
        'UNSUPPORTED',
        `--normalize: the torch folder of a static model holds its EmbeddingBag; normalize its outputs in torch (F.normalize), or use --format onnx|hf --normalize`,
      );
    }
    const module = textModule(model, !!o.normalize);
    await writeFolder(o.out, {
      'model.safetensors': saveModel(module),
      'spec.json': `${JSON.stringify(moduleSpec(module), null, 1)}\n`,
      'tokenizer.json': model instanceof SentenceEncoder ? model.tokenizer.toJSON() : JSON.stringify(model.tokenizer?.source?.tokenizer ?? null),
      'contrastive_torch.py': { copy: torchModulePath() },
    });
    console.log(
      `wrote ${o.out}/ (model.safetensors, spec.json, tokenizer.json, contrastive_torch.py: model(input_ids, attention_mask) in torch after ct.load_model('model.safetensors'))`,
    );
    return;
  }
  if (o.format === 'hf') {
    const files = exportHuggingFace(model, o.normalize ? { normalize: true } : {});
    await writeFolder(o.out, files);
    const where = kind === 'static embedding' ? "sentence-transformers' StaticEmbedding" : 'sentence-transformers, transformers.AutoModel and transformers.js';
    console.log(`wrote ${o.out}/ (${Object.keys(files).length} files: a ${kind} model for ${where})`);
    return;
  }
  const bytes = exportOnnx(textModule(model, !!o.normalize), { normalize: !!o.normalize });
  await atomicWrite(o.out, bytes);
  const inputs = kind === 'static embedding' ? 'input_ids, attention_mask' : 'input_ids, attention_mask, token_type_ids';
  console.log(`wrote ${o.out} (ONNX opset 17: ${inputs} [batch, sequence] -> sentence_embedding [batch, dim])`);
}

export function addExportCommand(program: Command): void {
  program
    .command('export')
    .description(
      'export an encoder: onnx (one .onnx file, dynamic batch), torch (a folder: weights + architecture + the Python module that loads them), hf (text models: a sentence-transformers / transformers.js folder)',
    )
    .requiredOption('--model <path>', 'encoder (.safetensors) from `contrastive train`, or a text model folder (`train --text`, sentence-transformers)')
    .addOption(
      new Option('--format <format>', 'onnx | torch | hf (hf: Hugging Face / transformers.js folders, for text encoders)')
        .choices(['onnx', 'torch', 'hf'])
        .makeOptionMandatory(),
    )
    .requiredOption('--out <path>', 'output file (onnx) or folder (torch, hf)')
    .option('--normalize', "text models: L2-normalize the sentence embeddings (sentence-transformers' Normalize)")
    .action(async (o: TextExport) => {
      await init();
      if (await isFolder(o.model)) return exportText(o);
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
