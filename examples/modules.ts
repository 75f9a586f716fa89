import { init, mlp } from 'contrastive';

await init();
const x = { data: Float32Array.from({ length: 64 * 784 }, (_, i) => (i % 13) / 13), rows: 64, cols: 784 };
const enc = mlp([784, 512, 256], { seed: 0, activation: 'relu', batchNorm: true });
const y = enc.forward(x, { training: true });   // Matrix in, Matrix out (copies); eval by default
const dLdy = { data: new Float32Array(y.rows * y.cols).fill(1 / y.rows), rows: y.rows, cols: y.cols };
const dx = enc.backward(dLdy);                 // returns dL/dx, ADDS into every Parameter's grad
enc.backward(dLdy, { inputGrad: false });      // x is data: dL/dx is skipped, returns undefined
enc.zeroGrad();
const sd = enc.stateDict();  enc.loadStateDict(sd); // PyTorch names: '0.weight', '1.running_mean', ...
enc.free();                                    // or `using enc = ...`; free() twice is safe
console.log(dx?.rows, Object.keys(sd).length);
