// Shared by the experiment scripts: the validation split they score probes on, and row picking.
import { stratifiedSplit } from '../../packages/contrastive/dist/index.node.js';

/** 1,600 of the 8,000 training digits (stratified, seed 1); probes are fitted on the other 6,400. */
export const validationSplit = (labels) => stratifiedSplit(labels, 0.2, 1);

/** The rows `idx` of matrix m, as a new matrix. */
export function pick(m, idx) {
  const out = new Float32Array(idx.length * m.cols);
  idx.forEach((r, i) => out.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return { data: out, rows: idx.length, cols: m.cols };
}

/** The labels `idx` of l. */
export const pickL = (l, idx) => Int32Array.from(idx, (r) => l[r]);
