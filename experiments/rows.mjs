// Shared by the experiment scripts: the validation split they score probes on, and row picking.
import { stratifiedSplit } from 'contrastive';

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

/** 5 stratified folds of the training digits: within each class, a seeded shuffle dealt round-robin. */
export function cvFolds(labels) {
  const folds = new Int32Array(labels.length);
  let s = 12345;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  for (let c = 0; c < 10; c++) {
    const idx = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === c) idx.push(i);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [idx[i], idx[j]] = [idx[j], idx[i]];
    }
    idx.forEach((r, k) => {
      folds[r] = k % 5;
    });
  }
  return folds;
}

/** 5-fold cross-validated linear-probe and kNN accuracy of features `tr` (every row scored once,
 * by probes fitted on the other four folds). `C`: the contrastive package. */
export function cvProbe(C, tr, labels) {
  const folds = cvFolds(labels);
  let lin = 0,
    knn = 0;
  for (let f = 0; f < 5; f++) {
    const a = [],
      b = [];
    for (let i = 0; i < labels.length; i++) (folds[i] === f ? b : a).push(i);
    lin += C.linearProbe(pick(tr, a), pickL(labels, a), pick(tr, b), pickL(labels, b)).accuracy * b.length;
    knn += C.knnAccuracy(pick(tr, a), pickL(labels, a), pick(tr, b), pickL(labels, b)) * b.length;
  }
  return { cvLinear: lin / labels.length, cvKnn: knn / labels.length };
}
