// NT-Xent forward + hand-derived backward as one ONNX graph (opset 17), run by onnxruntime-web's
// WebAssembly backend (MLAS kernels, SIMD build) on one thread. The model bytes are written by
// ./onnx-proto.mjs; one model (and one InferenceSession) per batch size 2N, built on first use
// and kept, as an application would keep its session. Graph (dy = 1):
//
//   Z = Concat(A, B)                      [2N, D]
//   nrm = Max(Sqrt(ReduceSum(Z*Z, 1)), 1e-12),  U = Z / nrm
//   L = Gemm(U, U, transB=1, alpha=1/tau) [2N, 2N]
//   Lm = L + EyeLike(L) * -1e9            (diagonal mask without a (2N)^2 initializer)
//   P = Softmax(Lm, axis=1)               (ORT's fused, max-subtracted kernel)
//   loss = -ReduceMean(Log(GatherElements(P, pos)))      pos[i] = p(i)
//   G = Gemm(P, U, alpha=c) ; G2 = Gemm(P, U, G, transA=1, alpha=c, beta=1)   c = 1/(2N tau)
//   dU = G2 - 2c * Gather(U, perm)        perm[i] = p(i)
//   dZ = (dU - U * ReduceSum(dU*U, 1)) / nrm ;  dA, dB = Split(dZ)
//
// Gemm's transA/transB are handled inside MLAS's packing, so neither U^T nor P^T is materialized
// (this was faster than MatMul on explicit Transposes; see bench/README.md).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DataType, model, node, tensor, valueInfo } from './onnx-proto.mjs';

const require = createRequire(import.meta.url);
let ort;
let info;

const memories = [];

/** Finds the WebAssembly.Memory objects of instances created while `fn` runs (ORT's heap). */
async function captureMemories(fn) {
  const orig = WebAssembly.instantiate;
  const seen = (imports, instance) => {
    for (const mod of Object.values(imports ?? {})) for (const v of Object.values(mod ?? {})) if (v instanceof WebAssembly.Memory) memories.push(v);
    for (const v of Object.values(instance?.exports ?? {})) if (v instanceof WebAssembly.Memory) memories.push(v);
  };
  WebAssembly.instantiate = async function (src, imports) {
    const r = await orig.call(this, src, imports);
    seen(imports, r.instance ?? r);
    return r;
  };
  try {
    return await fn();
  } finally {
    WebAssembly.instantiate = orig;
  }
}

/** Size of onnxruntime-web's WebAssembly heap (grows, never shrinks: a high-water mark). */
export function onnxWasmMemoryBytes() {
  return memories.length ? Math.max(...memories.map((m) => m.buffer.byteLength)) : undefined;
}

export async function setupOnnxruntimeWeb() {
  if (info) return info;
  ort = await import('onnxruntime-web');
  ort = ort.default ?? ort;
  const dist = path.dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = pathToFileURL(dist + path.sep).href;
  ort.env.logLevel = 'error';
  const pkg = JSON.parse(fs.readFileSync(path.join(dist, '..', 'package.json'), 'utf8'));
  info = { version: pkg.version, ortEnvVersion: ort.env.versions?.web, numThreads: ort.env.wasm.numThreads, wasmPaths: 'node_modules/onnxruntime-web/dist/' };
  return info;
}

/**
 * The NT-Xent model for 2N = R rows of D columns at temperature tau.
 * variant: 'gemm' (default: Gemm with trans flags) or 'matmul' (MatMul on explicit Transposes).
 */
export function ntXentModel(n, D, tau, { variant = 'gemm', grad = true } = {}) {
  const R = 2 * n;
  const c = 1 / (R * tau);
  const pos = new BigInt64Array(R);
  for (let i = 0; i < R; i++) pos[i] = BigInt(i < n ? i + n : i - n);
  const f = (name, v) => tensor(name, DataType.FLOAT, [], Float32Array.of(v));
  const inits = [
    tensor('axes1', DataType.INT64, [1], BigInt64Array.of(1n)),
    tensor('pos', DataType.INT64, [R, 1], pos),
    tensor('perm', DataType.INT64, [R], pos),
    f('eps', 1e-12),
    f('negbig', -1e9),
    f('two_c', 2 * c),
    f('minus_one', -1),
  ];
  const N = [
    node('Concat', ['A', 'B'], ['Z'], { axis: 0 }),
    node('Mul', ['Z', 'Z'], ['Z2']),
    node('ReduceSum', ['Z2', 'axes1'], ['ss'], { keepdims: 1 }),
    node('Sqrt', ['ss'], ['nrm0']),
    node('Max', ['nrm0', 'eps'], ['nrm']),
    node('Div', ['Z', 'nrm'], ['U']),
  ];
  if (variant === 'gemm') {
    N.push(node('Gemm', ['U', 'U'], ['L'], { transB: 1, alpha: { float: 1 / tau } }));
  } else {
    N.push(node('Transpose', ['U'], ['Ut'], { perm: [1, 0] }), node('Mul', ['Ut', 'inv_tau'], ['Uts']), node('MatMul', ['U', 'Uts'], ['L']));
    inits.push(f('inv_tau', 1 / tau));
  }
  N.push(
    node('EyeLike', ['L'], ['E']),
    node('Mul', ['E', 'negbig'], ['Em']),
    node('Add', ['L', 'Em'], ['Lm']),
    node('Softmax', ['Lm'], ['P'], { axis: 1 }),
    node('GatherElements', ['P', 'pos'], ['Ppos'], { axis: 1 }),
    node('Log', ['Ppos'], ['logPpos']),
    node('ReduceMean', ['logPpos'], ['meanLog'], { keepdims: 0 }),
    node('Mul', ['meanLog', 'minus_one'], ['loss']),
  );
  if (grad) {
    if (variant === 'gemm') {
      N.push(
        node('Gemm', ['P', 'U'], ['G1'], { alpha: { float: c } }),
        node('Gemm', ['P', 'U', 'G1'], ['G2'], { transA: 1, alpha: { float: c }, beta: { float: 1 } }),
      );
    } else {
      N.push(
        node('MatMul', ['P', 'U'], ['PU']),
        node('Transpose', ['P'], ['Pt'], { perm: [1, 0] }),
        node('MatMul', ['Pt', 'U'], ['PtU']),
        node('Add', ['PU', 'PtU'], ['G2u']),
        node('Mul', ['G2u', 'c'], ['G2']),
      );
      inits.push(f('c', c));
    }
    N.push(
      node('Gather', ['U', 'perm'], ['Uroll'], { axis: 0 }),
      node('Mul', ['Uroll', 'two_c'], ['Uroll2c']),
      node('Sub', ['G2', 'Uroll2c'], ['dU']),
      node('Mul', ['dU', 'U'], ['dUU']),
      node('ReduceSum', ['dUU', 'axes1'], ['proj'], { keepdims: 1 }),
      node('Mul', ['U', 'proj'], ['Uproj']),
      node('Sub', ['dU', 'Uproj'], ['dUt']),
      node('Div', ['dUt', 'nrm'], ['dZ']),
      node('Split', ['dZ'], ['dA', 'dB'], { axis: 0 }),
    );
  }
  return model({
    nodes: N,
    initializers: inits,
    inputs: [valueInfo('A', DataType.FLOAT, [n, D]), valueInfo('B', DataType.FLOAT, [n, D])],
    outputs: [valueInfo('loss', DataType.FLOAT, []), ...(grad ? [valueInfo('dA', DataType.FLOAT, [n, D]), valueInfo('dB', DataType.FLOAT, [n, D])] : [])],
  });
}

/** An InferenceSession on one thread for model bytes, with the runtime's heap captured for onnxWasmMemoryBytes(). */
export async function createOnnxSession(bytes) {
  await setupOnnxruntimeWeb();
  return captureMemories(() =>
    ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', intraOpNumThreads: 1, interOpNumThreads: 1 }),
  );
}

const sessions = new Map();

/** Creates (once) the session for this shape; call before timing. */
export async function prepareOnnx(n, D, tau, opts = {}) {
  const key = `${n}/${D}/${tau}/${opts.variant ?? 'gemm'}/${opts.grad ?? true}`;
  let s = sessions.get(key);
  if (!s) {
    const bytes = ntXentModel(n, D, tau, opts);
    // The first session instantiates the runtime's module: capture its memory then.
    s = await captureMemories(() =>
      ort.InferenceSession.create(bytes, {
        executionProviders: ['wasm'],
        graphOptimizationLevel: 'all',
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
      }),
    );
    sessions.set(key, s);
  }
  return s;
}

/** Same contract as contrastive's ntXent (minus dTemperature), async (session.run is). */
export async function ntXentOnnx(a, b, { temperature, grad = true, variant }) {
  const s = await prepareOnnx(a.rows, a.cols, temperature, { variant, grad });
  const feeds = {
    A: new ort.Tensor('float32', a.data, [a.rows, a.cols]),
    B: new ort.Tensor('float32', b.data, [b.rows, b.cols]),
  };
  const r = await s.run(feeds);
  const out = { loss: r.loss.data[0] };
  if (grad) {
    out.grads = {
      a: { data: r.dA.data, rows: a.rows, cols: a.cols },
      b: { data: r.dB.data, rows: b.rows, cols: b.cols },
    };
  }
  for (const t of Object.values(r)) t.dispose?.();
  return out;
}

export async function releaseOnnx() {
  for (const s of sessions.values()) await s.release();
  sessions.clear();
}
