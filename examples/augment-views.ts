import { readFile, writeFile } from 'node:fs/promises';
import { init, readIdx, toImageBatch, simclrCifar10, twoViews, augmentationGrid, encodePng } from 'contrastive';

await init();
const idx = await readIdx(await readFile('examples/data/digits-images-idx3-ubyte.gz')); // uint8 [600, 28, 28]
const x = toImageBatch({ data: idx.data as Uint8Array, n: idx.shape[0], height: 28, width: 28 }); // uint8 HWC -> float32 NCHW
const epoch = 0;
const [v1, v2] = twoViews(x, simclrCifar10({ size: 28 }), { seed: 42, step: epoch });
// v1.data: Float32Array, n x channels x height x width, ready for an encoder (rows = v1.n, cols = c*h*w)
const grid = augmentationGrid(x, simclrCifar10({ size: 28 }), { seed: 42 }); // ImageData-compatible
await writeFile('views.png', encodePng(grid));
console.log(v1.n, v2.n, grid.width, grid.height);
