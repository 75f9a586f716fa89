import { init, ntXent } from 'contrastive';

await init();                                    // loads the SIMD (or relaxed-SIMD) kernels once
const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
const a = { data: random(256 * 128), rows: 256, cols: 128 }; // embeddings of view 1 (row-major)
const b = { data: random(256 * 128), rows: 256, cols: 128 }; // embeddings of view 2, row i pairs with a's row i
const { loss, grads, dTemperature } = ntXent(a, b, { temperature: 0.1 });
// grads.a, grads.b: d loss / d (unnormalized) embeddings, to backpropagate into your encoder
// dTemperature: d loss / d temperature, to learn it
const lossOnly = ntXent(a, b, { temperature: 0.1, grad: false }); // skips all backward work
console.log(loss, lossOnly.loss, grads.a.rows, dTemperature);
