// Plain-JavaScript NT-Xent (SimCLR) forward + backward: the baseline a careful JS developer
// would write without WebAssembly or a tensor library. Typed arrays, double accumulators,
// nothing clever beyond what any textbook implementation does:
//
//   u = rows of [a; b] normalized (max(||z||, 1e-12), as torch.nn.functional.normalize)
//   l = u u^T / tau            (full 2N x 2N float32 matrix; only the upper triangle is
//                               computed, the lower is mirrored, since l is symmetric)
//   per row i: m = max_{k != i} l_ik, s = sum_{k != i} exp(l_ik - m), lse = m + log s,
//              L_i = lse - l_{i,p(i)},  P_ik = exp(l_ik - m) / s   (stored over l in place)
//   L = mean_i L_i
//   G = (P - onehot(p)) / 2N,  dL/du = (G + G^T) u / tau    (P + P^T formed in place, then
//                                                            one row-wise pass: dU_i = sum_k .. u_k)
//   dL/dz_i = (g_i - (g_i . u_i) u_i) / max(||z_i||, eps)
//
// Memory is O((2N)^2): at 2N = 8192 the logits matrix alone is 256 MiB.

const EPS = 1e-12;

/**
 * @param {{data: Float32Array, rows: number, cols: number}} a  N x D, row-major
 * @param {{data: Float32Array, rows: number, cols: number}} b  N x D, row-major
 * @param {{temperature: number, grad?: boolean}} opts
 * @returns {{loss: number, dTemperature: number, grads?: {a: object, b: object}}}
 */
export function ntXentPlain(a, b, { temperature: tau, grad = true }) {
  const n = a.rows;
  const d = a.cols;
  if (b.rows !== n || b.cols !== d) throw new Error('ntXentPlain: a and b must have the same shape');
  if (!(tau > 0)) throw new Error('ntXentPlain: temperature must be > 0');
  const R = 2 * n;
  const invTau = 1 / tau;

  // 1. Normalize the 2N rows.
  const u = new Float32Array(R * d);
  const scale = new Float64Array(R); // 1 / max(||z_i||, eps)
  for (let i = 0; i < R; i++) {
    const src = i < n ? a.data : b.data;
    const off = (i < n ? i : i - n) * d;
    let ss = 0;
    for (let j = 0; j < d; j++) {
      const v = src[off + j];
      ss += v * v;
    }
    const s = 1 / Math.max(Math.sqrt(ss), EPS);
    scale[i] = s;
    const o = i * d;
    for (let j = 0; j < d; j++) u[o + j] = src[off + j] * s;
  }

  // 2. Logits l = u u^T / tau (symmetric: compute k >= i, mirror).
  const S = new Float32Array(R * R);
  for (let i = 0; i < R; i++) {
    const oi = i * d;
    for (let k = i; k < R; k++) {
      const ok = k * d;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += u[oi + j] * u[ok + j];
      const l = dot * invTau;
      S[i * R + k] = l;
      S[k * R + i] = l;
    }
  }

  // 3. Row log-sum-exp over k != i with max subtraction; P overwrites l in place.
  let lossSum = 0;
  let dTauSum = 0; // sum_i (sum_k P_ik l_ik - l_{i,p(i)})
  for (let i = 0; i < R; i++) {
    const row = i * R;
    const p = i < n ? i + n : i - n;
    let m = -Infinity;
    for (let k = 0; k < R; k++) if (k !== i && S[row + k] > m) m = S[row + k];
    let s = 0;
    let el = 0; // sum_k e_ik (l_ik - m)
    const lPos = S[row + p];
    for (let k = 0; k < R; k++) {
      if (k === i) continue;
      const x = S[row + k] - m;
      const e = Math.exp(x);
      s += e;
      el += e * x;
      S[row + k] = e;
    }
    const lse = m + Math.log(s);
    lossSum += lse - lPos;
    dTauSum += el / s + m - lPos;
    if (grad) {
      const inv = 1 / s;
      for (let k = 0; k < R; k++) S[row + k] *= inv;
      S[row + i] = 0;
    }
  }
  const loss = lossSum / R;
  // dL/dtau = sum_ik dL/dl_ik * (-l_ik / tau), dL/dl_ik = (P_ik - [k = p(i)]) / R
  const dTemperature = -dTauSum / (R * tau);
  if (!grad) return { loss, dTemperature };

  // 4. dL/du = (G + G^T) u / tau with G = (P - onehot(p)) / R. First symmetrize P in place
  //    (P + P^T: one pass over the upper triangle), then one row-wise gather per row:
  //    dU_i = sum_k (P + P^T)_ik u_k, streaming u row by row.
  for (let i = 0; i < R; i++) {
    const row = i * R;
    for (let k = i + 1; k < R; k++) {
      const t = S[row + k] + S[k * R + i];
      S[row + k] = t;
      S[k * R + i] = t;
    }
  }
  const dU = new Float64Array(R * d);
  const acc = new Float64Array(d);
  for (let i = 0; i < R; i++) {
    const row = i * R;
    acc.fill(0);
    for (let k = 0; k < R; k++) {
      const g = S[row + k];
      if (g === 0) continue; // the diagonal (and exact underflows)
      const ok = k * d;
      for (let j = 0; j < d; j++) acc[j] += g * u[ok + j];
    }
    dU.set(acc, i * d);
  }
  // The one-hot positives: (Delta + Delta^T) u = 2 u_{p(i)} since p is an involution.
  const c = 1 / (R * tau);
  const ga = new Float32Array(n * d);
  const gb = new Float32Array(n * d);
  for (let i = 0; i < R; i++) {
    const p = i < n ? i + n : i - n;
    const oi = i * d;
    const op = p * d;
    let dot = 0;
    for (let j = 0; j < d; j++) {
      const g = (dU[oi + j] - 2 * u[op + j]) * c;
      dU[oi + j] = g;
      dot += g * u[oi + j];
    }
    // 5. Through the normalization.
    const out = i < n ? ga : gb;
    const oo = (i < n ? i : i - n) * d;
    const s = scale[i];
    for (let j = 0; j < d; j++) out[oo + j] = (dU[oi + j] - dot * u[oi + j]) * s;
  }
  return {
    loss,
    dTemperature,
    grads: { a: { data: ga, rows: n, cols: d }, b: { data: gb, rows: n, cols: d } },
  };
}
