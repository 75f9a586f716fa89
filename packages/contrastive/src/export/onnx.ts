// ONNX export: a module tree becomes one ONNX graph (opset 17, IR version 8) with a dynamic batch
// dimension, weights as initializers, in eval mode (BatchNorm uses its running statistics,
// Dropout is the identity). The result runs in onnxruntime (node and web) and passes
// onnx.checker.check_model. Field numbers follow onnx/onnx.proto.
import { ContrastiveError } from '../errors.js';
import type { GELU } from '../nn/activation.js';
import type { BatchNorm1d, BatchNorm2d } from '../nn/batchnorm.js';
import type { Conv2d } from '../nn/conv2d.js';
import type { Linear } from '../nn/linear.js';
import type { Module, Sequential } from '../nn/module.js';
import type { AvgPool2d, MaxPool2d } from '../nn/pool.js';
import type { Unflatten } from '../nn/reshape.js';
import { ProtoWriter } from './protobuf.js';

/** The ONNX operator set the exporter writes. */
export const ONNX_OPSET = 17;
const IR_VERSION = 8;
const FLOAT = 1;
const INT64 = 7;

export interface OnnxExportOptions {
  /**
   * Shape of one input sample, without the batch dimension (e.g. [784] for flat MNIST rows).
   * Default: read off the first layer (Linear: [inFeatures]; Unflatten: [prod(shape)]).
   */
  inputShape?: number[];
  /** Graph input name (default 'input'). */
  inputName?: string;
  /** Graph output name (default 'output'). */
  outputName?: string;
  /** Name of the dynamic batch dimension (default 'batch'). */
  batchName?: string;
  /**
   * Text encoders: what a SentenceTransformer's graph returns: 'sentence' (default:
   * `sentence_embedding` [batch, hidden], pooled and normalized as the model is, plus
   * `last_hidden_state`) or 'tokens' (`last_hidden_state` [batch, sequence, hidden] only, the
   * layout transformers.js loads and pools itself). A BertModel always returns `last_hidden_state`.
   */
  output?: 'sentence' | 'tokens';
  /** Text encoders: give a BERT graph the `token_type_ids` input (default true, as Hugging Face's BERT exports); without it every token has type 0. */
  tokenTypeIds?: boolean;
  /** Text encoders: name of the dynamic sequence dimension (default 'sequence'). */
  sequenceName?: string;
  /** The static embedding model (EmbeddingBag): L2-normalize its `sentence_embedding` (default false). */
  normalize?: boolean;
}

const ROOTS = new Map<string, (m: Module, opts: OnnxExportOptions) => Uint8Array>();

/** @internal Models exported by their own graph builder (the text encoders: export/onnx-text.ts). */
export function registerOnnxRoot(type: string, exportModel: (m: Module, opts: OnnxExportOptions) => Uint8Array): void {
  ROOTS.set(type, exportModel);
}

/** A value in the graph: its name and its shape without the batch dimension. */
export interface OnnxValue {
  name: string;
  shape: number[];
}

/** The graph under construction, as a converter sees it. */
export class OnnxGraph {
  /** @internal */ readonly nodes: ProtoWriter[] = [];
  /** @internal */ readonly inits: ProtoWriter[] = [];
  private count = 0;
  private readonly names = new Set<string>();

  /** A fresh value name starting with `prefix`. */
  fresh(prefix: string): string {
    let n = `${prefix.replace(/[^A-Za-z0-9_.]/g, '_') || 'v'}_${this.count++}`;
    while (this.names.has(n)) n = `${n}_`;
    this.names.add(n);
    return n;
  }

  /** Adds a float32 (or int64) constant and returns its name. */
  constant(prefix: string, dims: number[], data: Float32Array | readonly number[], type: 'float' | 'int64' = 'float'): string {
    const name = this.fresh(prefix);
    const t = new ProtoWriter()
      .packedInts(1, dims)
      .int(2, type === 'float' ? FLOAT : INT64)
      .string(8, name);
    const n = dims.reduce((a, b) => a * b, 1);
    if (data.length !== n) throw new ContrastiveError('SHAPE_MISMATCH', `exportOnnx: constant ${prefix} has ${data.length} values, dims [${dims}] need ${n}`);
    const raw = new Uint8Array(n * (type === 'float' ? 4 : 8));
    const dv = new DataView(raw.buffer);
    for (let i = 0; i < n; i++) {
      if (type === 'float') dv.setFloat32(4 * i, data[i], true);
      else dv.setBigInt64(8 * i, BigInt(data[i]), true);
    }
    t.bytes(9, raw);
    this.inits.push(t);
    return name;
  }

  /**
   * Adds a node `op(inputs)` with attributes (numbers: int unless listed in `floats`; arrays:
   * ints) and returns its output's name.
   */
  node(op: string, inputs: string[], attrs: Record<string, number | number[] | string> = {}, floats: string[] = []): string {
    const out = this.fresh(op.toLowerCase());
    const n = new ProtoWriter();
    for (const i of inputs) n.string(1, i);
    n.string(2, out).string(3, `${op}_${this.nodes.length}`).string(4, op);
    for (const [k, v] of Object.entries(attrs)) {
      const a = new ProtoWriter().string(1, k);
      if (typeof v === 'string') a.string(4, v).int(20, 3);
      else if (Array.isArray(v)) a.packedInts(8, v).int(20, 7);
      else if (floats.includes(k)) a.float(2, v).int(20, 1);
      else a.int(3, v).int(20, 2);
      n.message(5, a);
    }
    this.nodes.push(n);
    return out;
  }
}

/** Writes one module as ONNX nodes: takes the input value, returns the output value. */
export type OnnxConverter<M extends Module = Module> = (g: OnnxGraph, m: M, x: OnnxValue, path: string) => OnnxValue;

const CONVERTERS = new Map<string, OnnxConverter>();

/** Teaches `exportOnnx` a module type (built-in layers are registered already). */
export function registerOnnx<M extends Module>(type: string, convert: OnnxConverter<M>): void {
  if (typeof type !== 'string' || typeof convert !== 'function')
    throw new ContrastiveError('INVALID_ARGUMENT', 'registerOnnx: expected (type: string, convert: function)');
  CONVERTERS.set(type, convert as unknown as OnnxConverter);
}

/** Converts `m` (and, for containers, its children) at `path`. For converters of containers. */
export function convertModule(g: OnnxGraph, m: Module, x: OnnxValue, path: string): OnnxValue {
  const c = CONVERTERS.get(m.type);
  if (!c) throw new ContrastiveError('UNSUPPORTED', `exportOnnx: the module ${path || '(root)'} of type ${m.type} has no ONNX converter (registerOnnx)`);
  return c(g, m, x, path);
}

const need = (ok: boolean, path: string, m: Module, want: string, x: OnnxValue) => {
  if (!ok) throw new ContrastiveError('SHAPE_MISMATCH', `exportOnnx: ${path || '(root)'} (${m.type}) expects ${want} per sample, got [${x.shape.join(', ')}]`);
};
const value = (m: Module, name: string) => {
  const p = (m as unknown as Record<string, { value(): Float32Array } | undefined>)[name];
  return p?.value();
};
const outSize = (size: number, k: number, s: number, p: number) => Math.floor((size + 2 * p - k) / s) + 1;

function firstInputShape(m: Module): number[] | undefined {
  if (m.type === 'Sequential') {
    const l = (m as Sequential).layers;
    return l.length ? firstInputShape(l[0]) : undefined;
  }
  if (m.type === 'Linear') return [(m as Linear).inFeatures];
  if (m.type === 'Unflatten') return [(m as Unflatten).shape.reduce((a, b) => a * b, 1)];
  return undefined;
}

/**
 * Exports a model to ONNX bytes (opset 17). The graph takes `input` of shape [batch, ...inputShape]
 * (float32, the same rows `model.forward` takes) and returns `output`; the batch dimension is
 * dynamic. A module type without a converter is a ContrastiveError naming it (see registerOnnx).
 * Text encoders (BertModel, SentenceTransformer, the static EmbeddingBag) take int64
 * `input_ids`, `attention_mask` (and `token_type_ids`) of shape [batch, sequence], both dynamic:
 * see {@link exportTextOnnx}.
 */
export function exportOnnx(model: Module, opts: OnnxExportOptions = {}): Uint8Array {
  const root = model ? ROOTS.get(model.type) : undefined;
  if (root) return root(model, opts);
  const inShape = opts.inputShape ?? firstInputShape(model);
  if (!inShape)
    throw new ContrastiveError(
      'INVALID_ARGUMENT',
      'exportOnnx: cannot tell the input shape from the first layer; pass opts.inputShape (one sample, without the batch dimension)',
    );
  if (!Array.isArray(inShape) || inShape.length === 0 || inShape.some((d) => !Number.isInteger(d) || d <= 0)) {
    throw new ContrastiveError('INVALID_ARGUMENT', `exportOnnx: inputShape must be positive integers, got ${JSON.stringify(inShape)}`);
  }
  const inputName = opts.inputName ?? 'input';
  const outputName = opts.outputName ?? 'output';
  const batch = opts.batchName ?? 'batch';
  const g = new OnnxGraph();
  const y = convertModule(g, model, { name: inputName, shape: inShape.slice() }, '');
  return onnxModel(g, [{ name: inputName, dims: [batch, ...inShape] }], [{ from: y.name, name: outputName, dims: [batch, ...y.shape] }]);
}

/** @internal A graph input or output: its name, element type and dims (a string is a dynamic dimension). */
export interface OnnxIo {
  name: string;
  dims: (number | string)[];
  type?: 'float' | 'int64';
  /** Outputs: the value the output is an Identity of. */
  from?: string;
}

/** @internal Wraps a finished graph into the model bytes (IR 8, opset 17); each output is an Identity of its value. */
export function onnxModel(g: OnnxGraph, inputs: OnnxIo[], outputs: OnnxIo[]): Uint8Array {
  // the graph's outputs get their public names through an Identity (the last value may be an input)
  for (const o of outputs) g.nodes.push(new ProtoWriter().string(1, o.from!).string(2, o.name).string(3, `output_${o.name}`).string(4, 'Identity'));
  const valueInfo = (v: OnnxIo) => {
    const dims = new ProtoWriter();
    for (const d of v.dims) dims.message(1, typeof d === 'string' ? new ProtoWriter().string(2, d) : new ProtoWriter().int(1, d));
    const tensor = new ProtoWriter().int(1, v.type === 'int64' ? INT64 : FLOAT).message(2, dims);
    return new ProtoWriter().string(1, v.name).message(2, new ProtoWriter().message(1, tensor));
  };
  const graph = new ProtoWriter();
  for (const n of g.nodes) graph.message(1, n);
  graph.string(2, 'contrastive');
  for (const t of g.inits) graph.message(5, t);
  for (const i of inputs) graph.message(11, valueInfo(i));
  for (const o of outputs) graph.message(12, valueInfo(o));
  return new ProtoWriter()
    .int(1, IR_VERSION)
    .string(2, 'contrastive')
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, '').int(2, ONNX_OPSET))
    .finish();
}

registerOnnx<Sequential>('Sequential', (g, m, x, path) => {
  let v = x;
  m.layers.forEach((l, i) => {
    v = convertModule(g, l, v, path ? `${path}.${i}` : String(i));
  });
  return v;
});

registerOnnx<Linear>('Linear', (g, m, x, path) => {
  need(x.shape.length === 1 && x.shape[0] === m.inFeatures, path, m, `[${m.inFeatures}]`, x);
  const w = g.constant(`${path}.weight`, [m.outFeatures, m.inFeatures], m.weight.value());
  const ins = [x.name, w];
  if (m.bias) ins.push(g.constant(`${path}.bias`, [m.outFeatures], m.bias.value()));
  return { name: g.node('Gemm', ins, { transB: 1 }), shape: [m.outFeatures] };
});

for (const type of ['BatchNorm1d', 'BatchNorm2d']) {
  registerOnnx<BatchNorm1d | BatchNorm2d>(type, (g, m, x, path) => {
    const c = m.numFeatures;
    need(
      x.shape[0] === c && (type === 'BatchNorm2d' ? x.shape.length === 3 : x.shape.length <= 2),
      path,
      m,
      type === 'BatchNorm2d' ? `[${c}, H, W]` : `[${c}] or [${c}, L]`,
      x,
    );
    const scale = g.constant(`${path}.weight`, [c], value(m, 'weight') ?? new Float32Array(c).fill(1));
    const bias = g.constant(`${path}.bias`, [c], value(m, 'bias') ?? new Float32Array(c));
    const mean = g.constant(`${path}.running_mean`, [c], m.runningMean.value());
    const vr = g.constant(`${path}.running_var`, [c], m.runningVar.value());
    return { name: g.node('BatchNormalization', [x.name, scale, bias, mean, vr], { epsilon: m.eps }, ['epsilon']), shape: x.shape };
  });
}

registerOnnx('ReLU', (g, _m, x) => ({ name: g.node('Relu', [x.name]), shape: x.shape }));

registerOnnx<GELU>('GELU', (g, m, x, path) => {
  const half = g.constant(`${path}.half`, [], [0.5]);
  const one = g.constant(`${path}.one`, [], [1]);
  let inner: string;
  if (m.approximate === 'tanh') {
    // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
    const x3 = g.node('Mul', [g.node('Mul', [x.name, x.name]), x.name]);
    const c = g.constant(`${path}.c`, [], [0.044715]);
    const k = g.constant(`${path}.k`, [], [Math.sqrt(2 / Math.PI)]);
    inner = g.node('Tanh', [g.node('Mul', [k, g.node('Add', [x.name, g.node('Mul', [c, x3])])])]);
  } else {
    // 0.5 x (1 + erf(x / sqrt 2))
    const r = g.constant(`${path}.sqrt2`, [], [Math.SQRT2]);
    inner = g.node('Erf', [g.node('Div', [x.name, r])]);
  }
  return { name: g.node('Mul', [g.node('Mul', [half, x.name]), g.node('Add', [one, inner])]), shape: x.shape };
});

registerOnnx<Conv2d>('Conv2d', (g, m, x, path) => {
  need(x.shape.length === 3 && x.shape[0] === m.inChannels, path, m, `[${m.inChannels}, H, W]`, x);
  const [kh, kw] = m.kernelSize;
  const [sh, sw] = m.stride;
  const [ph, pw] = m.padding;
  const w = g.constant(`${path}.weight`, [m.outChannels, m.inChannels, kh, kw], m.weight.value());
  const ins = [x.name, w];
  if (m.bias) ins.push(g.constant(`${path}.bias`, [m.outChannels], m.bias.value()));
  const name = g.node('Conv', ins, { kernel_shape: [kh, kw], strides: [sh, sw], pads: [ph, pw, ph, pw] });
  return { name, shape: [m.outChannels, outSize(x.shape[1], kh, sh, ph), outSize(x.shape[2], kw, sw, pw)] };
});

for (const type of ['MaxPool2d', 'AvgPool2d']) {
  registerOnnx<MaxPool2d | AvgPool2d>(type, (g, m, x, path) => {
    need(x.shape.length === 3, path, m, '[C, H, W]', x);
    const [kh, kw] = m.kernelSize;
    const [sh, sw] = m.stride;
    const [ph, pw] = m.padding;
    const attrs: Record<string, number | number[]> = { kernel_shape: [kh, kw], strides: [sh, sw], pads: [ph, pw, ph, pw] };
    if (type === 'AvgPool2d') attrs.count_include_pad = (m as AvgPool2d).countIncludePad ? 1 : 0;
    const name = g.node(type === 'MaxPool2d' ? 'MaxPool' : 'AveragePool', [x.name], attrs);
    return { name, shape: [x.shape[0], outSize(x.shape[1], kh, sh, ph), outSize(x.shape[2], kw, sw, pw)] };
  });
}

registerOnnx('GlobalAvgPool2d', (g, m, x, path) => {
  need(x.shape.length === 3, path, m, '[C, H, W]', x);
  return { name: g.node('GlobalAveragePool', [x.name]), shape: [x.shape[0], 1, 1] };
});

registerOnnx('Flatten', (g, _m, x) => ({ name: g.node('Flatten', [x.name], { axis: 1 }), shape: [x.shape.reduce((a, b) => a * b, 1)] }));

registerOnnx<Unflatten>('Unflatten', (g, m, x, path) => {
  const size = m.shape.reduce((a, b) => a * b, 1);
  need(x.shape.reduce((a, b) => a * b, 1) === size, path, m, `${size} values`, x);
  // 0 keeps the (dynamic) batch dimension
  const shape = g.constant(`${path}.shape`, [m.shape.length + 1], [0, ...m.shape], 'int64');
  return { name: g.node('Reshape', [x.name, shape]), shape: m.shape.slice() };
});

registerOnnx('Dropout', (g, _m, x) => ({ name: g.node('Identity', [x.name]), shape: x.shape }));

registerOnnx('L2Normalize', (g, m, x, path) => {
  need(x.shape.length === 1, path, m, '[D]', x);
  // y = x / max(||x||_2, 1e-12), as F.normalize
  const norm = g.node('ReduceL2', [x.name], { axes: [1], keepdims: 1 });
  const eps = g.constant(`${path}.eps`, [], [1e-12]);
  return { name: g.node('Div', [x.name, g.node('Max', [norm, eps])]), shape: x.shape };
});
