// NT-Xent on TensorFlow.js with the WebAssembly backend (@tensorflow/tfjs-backend-wasm):
// XNNPACK matmuls, SIMD build, one thread. The loss is a tf.customGrad with the hand-derived
// backward, so no autodiff tape over the 2N x 2N graph is recorded or replayed:
//
//   forward:  nrm = max(||z||, 1e-12), u = z / nrm, L = u (u/tau)^T + diagMask (-1e9 on the
//             diagonal), P = softmax(L) (the backend's fused, max-subtracted kernel),
//             loss = -mean_i log P_{i,p(i)}   (= mean_i lse_i - l_{i,p(i)}; gathered, 2N values)
//   backward: dU = (P u + P^T u - 2 roll(u)) * dy / (2N tau),  P^T u as (u^T P)^T
//             dz = (dU - u * sum(dU * u)) / nrm
//
// It keeps P (2N x 2N) alive from forward to backward, as any tape-based framework must.
// The formulation was picked by timing the backend's kernels at 2N = 2048: matMul with
// transposeA/transposeB flags, and a per-element max/sub/exp/sum/div softmax, were 2-10x slower
// than the explicit-transpose matMuls and the fused softmax used here.
import { createRequire } from 'node:module';
import path from 'node:path';
import fs from 'node:fs';

const require = createRequire(import.meta.url);

let tf;
let tfwasm;
let ready;

/** Loads tfjs-core + the wasm backend (SIMD, single thread). Idempotent. */
export async function setupTfjsWasm() {
  if (ready) return ready;
  ready = (async () => {
    // Both through require, so the backend's own require('@tensorflow/tfjs-core') is the same
    // instance as ours (the packages' "main" entries are CommonJS builds for Node).
    tf = require('@tensorflow/tfjs-core');
    tfwasm = require('@tensorflow/tfjs-backend-wasm');
    const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
    tfwasm.setWasmPaths({
      'tfjs-backend-wasm.wasm': path.join(dist, 'tfjs-backend-wasm.wasm'),
      'tfjs-backend-wasm-simd.wasm': path.join(dist, 'tfjs-backend-wasm-simd.wasm'),
      'tfjs-backend-wasm-threaded-simd.wasm': path.join(dist, 'tfjs-backend-wasm-threaded-simd.wasm'),
    });
    // Threads off (tfjs already reports false under Node; make it explicit), one thread.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tfwasm.setThreadsCount(1);
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    if (!simd) throw new Error('tfjs-backend-wasm: WASM_HAS_SIMD_SUPPORT is false; the SIMD build would not be used');
    // Record which .wasm binary emscripten actually reads (it uses fs.readFileSync under Node).
    const loaded = [];
    const readFileSync = fs.readFileSync;
    fs.readFileSync = function (file, ...rest) {
      if (String(file).endsWith('.wasm')) loaded.push(path.basename(String(file)));
      return readFileSync.call(this, file, ...rest);
    };
    let ok;
    try {
      ok = await tf.setBackend('wasm');
      await tf.ready();
    } finally {
      fs.readFileSync = readFileSync;
    }
    if (!ok || tf.getBackend() !== 'wasm') throw new Error(`tfjs: could not select the wasm backend (got ${tf.getBackend()})`);
    if (loaded.length > 0 && !loaded.includes('tfjs-backend-wasm-simd.wasm')) {
      throw new Error(`tfjs-backend-wasm loaded ${loaded.join(', ')}, not the SIMD build`);
    }
    const backend = tf.backend();
    const threads = backend.wasm?.tfjs?.getThreadsCount?.() ?? 1;
    return {
      tfjsCore: tf.version_core,
      tfjsBackendWasm: tfwasm.version_wasm,
      backend: tf.getBackend(),
      simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      multithread: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
      threads,
      binary: loaded.join(', ') || '(not observed)',
    };
  })();
  return ready;
}

const masks = new Map(); // 2N -> diagonal mask tensor (kept: a model would keep it too)
const rollIdx = new Map();

function diagMask(R) {
  let m = masks.get(R);
  if (!m) {
    m = tf.keep(tf.mul(tf.eye(R), tf.scalar(-1e9)));
    masks.set(R, m);
  }
  return m;
}

function roll(u, n) {
  // [u_n..u_{2n-1}; u_0..u_{n-1}]: row i -> its positive p(i)
  const d = u.shape[1];
  return tf.concat([tf.slice(u, [n, 0], [n, d]), tf.slice(u, [0, 0], [n, d])], 0);
}

function makeLoss(tau) {
  return tf.customGrad((a, b, save) => {
    const n = a.shape[0];
    const R = 2 * n;
    const z = tf.concat([a, b], 0);
    const nrm = tf.maximum(tf.sqrt(tf.sum(tf.square(z), 1, true)), tf.scalar(1e-12));
    const u = tf.div(z, nrm);
    // Explicit transposes of the small 2N x D operand: the wasm backend's matMul with
    // transposeB / transposeA set is several times slower than on pre-transposed inputs.
    const S = tf.matMul(u, tf.transpose(tf.mul(u, tf.scalar(1 / tau))));
    const L = tf.add(S, diagMask(R));
    S.dispose();
    const P = tf.softmax(L); // one fused (max-subtracted) kernel
    L.dispose();
    // loss_i = lse_i - l_{i,p(i)} = -log P_{i,p(i)}: a gather of 2N entries, no 2N x 2N mask.
    const loss = tf.neg(tf.mean(tf.log(tf.gatherND(P, positiveIndex(n)))));
    save([u, nrm, P]);
    return {
      value: loss,
      gradFunc: (dy, saved) => {
        const [u_, nrm_, P_] = saved;
        const d = u_.shape[1];
        const c = tf.mul(dy, tf.scalar(1 / (R * tau)));
        // P u + P^T u - 2 roll(u); P^T u computed as (u^T P)^T so P is never transposed.
        const PtU = tf.transpose(tf.matMul(tf.transpose(u_), P_));
        const dU = tf.mul(tf.sub(tf.add(tf.matMul(P_, u_), PtU), tf.mul(roll(u_, n), tf.scalar(2))), c);
        const dz = tf.div(tf.sub(dU, tf.mul(u_, tf.sum(tf.mul(dU, u_), 1, true))), nrm_);
        return [tf.slice(dz, [0, 0], [n, d]), tf.slice(dz, [n, 0], [n, d])];
      },
    };
  });
}

function positiveIndex(n) {
  let t = rollIdx.get(n);
  if (!t) {
    const idx = new Int32Array(4 * n);
    for (let i = 0; i < 2 * n; i++) {
      idx[2 * i] = i;
      idx[2 * i + 1] = i < n ? i + n : i - n;
    }
    t = tf.keep(tf.tensor2d(idx, [2 * n, 2], 'int32'));
    rollIdx.set(n, t);
  }
  return t;
}

const lossFns = new Map();

/**
 * Same contract as contrastive's ntXent (minus dTemperature): Float32Array in, Float32Array out,
 * upload and download included.
 */
export function ntXentTfjs(a, b, { temperature, grad = true }) {
  if (!tf) throw new Error('call setupTfjsWasm() first');
  let f = lossFns.get(temperature);
  if (!f) {
    f = makeLoss(temperature);
    lossFns.set(temperature, f);
  }
  // The result is built inside tidy but returned outside it: tidy would otherwise walk every
  // element of the returned Float32Arrays looking for tensors.
  let out;
  tf.tidy(() => {
    const ta = tf.tensor2d(a.data, [a.rows, a.cols], 'float32');
    const tb = tf.tensor2d(b.data, [b.rows, b.cols], 'float32');
    if (!grad) {
      out = { loss: f(ta, tb).dataSync()[0] };
      return;
    }
    const { value, grads } = tf.valueAndGrads(f)([ta, tb]);
    out = {
      loss: value.dataSync()[0],
      grads: {
        a: { data: grads[0].dataSync(), rows: a.rows, cols: a.cols },
        b: { data: grads[1].dataSync(), rows: b.rows, cols: b.cols },
      },
    };
  });
  return out;
}

/**
 * The same loss and hand-derived gradient on z = [a; b] (2N x D) directly: z -> scalar, a
 * tf.customGrad. For bench/simclr-step.mjs, where the encoder's output is z (no slice, whose
 * gradient tfjs-core's Node bundle does not register).
 */
export function ntXentOnZ(temperature) {
  if (!tf) throw new Error('call setupTfjsWasm() first');
  const tau = temperature;
  return tf.customGrad((z, save) => {
    const R = z.shape[0];
    const n = R / 2;
    const nrm = tf.maximum(tf.sqrt(tf.sum(tf.square(z), 1, true)), tf.scalar(1e-12));
    const u = tf.div(z, nrm);
    const S = tf.matMul(u, tf.transpose(tf.mul(u, tf.scalar(1 / tau))));
    const L = tf.add(S, diagMask(R));
    const P = tf.softmax(L);
    const loss = tf.neg(tf.mean(tf.log(tf.gatherND(P, positiveIndex(n)))));
    save([u, nrm, P]);
    return {
      value: loss,
      gradFunc: (dy, [u_, nrm_, P_]) => {
        const c = tf.mul(dy, tf.scalar(1 / (R * tau)));
        const PtU = tf.transpose(tf.matMul(tf.transpose(u_), P_));
        const dU = tf.mul(tf.sub(tf.add(tf.matMul(P_, u_), PtU), tf.mul(roll(u_, n), tf.scalar(2))), c);
        return [tf.div(tf.sub(dU, tf.mul(u_, tf.sum(tf.mul(dU, u_), 1, true))), nrm_)];
      },
    };
  });
}

/** Cosine-similarity matrix (normalize + matMul), for the GEMM-ish throughput line. */
export function cosineTfjs(a, b) {
  let out;
  tf.tidy(() => {
    const ta = tf.tensor2d(a.data, [a.rows, a.cols], 'float32');
    const tb = tf.tensor2d(b.data, [b.rows, b.cols], 'float32');
    const eps = tf.scalar(1e-12);
    const ua = tf.div(ta, tf.maximum(tf.norm(ta, 'euclidean', 1, true), eps));
    const ub = tf.div(tb, tf.maximum(tf.norm(tb, 'euclidean', 1, true), eps));
    out = tf.matMul(ua, tf.transpose(ub)).dataSync();
  });
  return out;
}

/** Tensors alive in the tfjs engine beyond the cached masks and indices (a leak check: 0). */
export function tfjsLeakedTensors() {
  return tf.memory().numTensors - masks.size - rollIdx.size;
}

/** Size of the backend's WebAssembly heap (it grows and never shrinks: a high-water mark). */
export function tfjsWasmMemoryBytes() {
  return tf.backend().wasm.HEAPU8.buffer.byteLength;
}
