import { barlowTwins, dcl, init, multiSimilarity, triplet, vicReg } from 'contrastive';

await init();
// two views of 8 samples, 16 dimensions (any Float32Array rows)
const rows = (seed: number) => ({ data: Float32Array.from({ length: 8 * 16 }, (_, i) => Math.sin(i * 12.9898 + seed)), rows: 8, cols: 16 });
const [a, b] = [rows(1), rows(2)];
console.log('DCL', dcl(a, b, { temperature: 0.1 }).loss);
console.log('Barlow Twins', barlowTwins(a, b).loss, 'VICReg', vicReg(a, b).loss);

// labeled metric learning: sentence-transformers' BatchHardTripletLoss settings, then PML's defaults with a miner
const labels = [0, 0, 1, 1, 2, 2, 3, 3];
const st = triplet(a, labels, { mining: 'batchHard', distance: 'euclidean', normalize: false, margin: 5, reduction: 'mean' });
const pml = triplet(a, labels, { mining: 'semihard', minerMargin: 0.2 });
const ms = multiSimilarity(a, labels, { mine: true });
console.log('triplet', st.loss, pml.loss, 'multi-similarity', ms.loss, 'dL/dz rows', ms.grads.z.rows);
