import { init, ntXent, infoNce, supCon } from 'contrastive';

await init();
const random = (rows: number, cols: number) => ({ data: Float32Array.from({ length: rows * cols }, () => Math.random() - 0.5), rows, cols });
const a = random(256, 128); // Float32Array, row-major, one sample per row
const b = random(256, 128); // row i of b is the positive of row i of a
const { loss, grads, dTemperature } = ntXent(a, b, { temperature: 0.1 });
const clip = infoNce(a, b, { temperature: 0.07, symmetric: true });            // CLIP's loss
const sup = supCon(a, Int32Array.from({ length: 256 }, (_, i) => i % 10), { temperature: 0.1 });
console.log(loss, dTemperature, grads.a.rows, clip.loss, sup.loss);
