// ONNX export: every built-in layer, exported, run by the real onnxruntime (web build, in Node)
// and compared with the library's own forward; the file passes onnx.checker where python3-onnx exists.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  ContrastiveError,
  Conv2d,
  convNet28,
  Dropout,
  exportOnnx,
  Flatten,
  GELU,
  GlobalAvgPool2d,
  init,
  L2Normalize,
  LayerNorm,
  lenet28,
  Linear,
  MaxPool2d,
  mlp,
  type Module,
  ReLU,
  Sequential,
  simclrHead,
  Unflatten,
} from '../../packages/contrastive/src/index.node.js';
import { expectOnnxCheckerPasses, loadOrt, type Ort } from './ort.js';

let ort: Ort;
let ortNode: Ort;

beforeAll(async () => {
  await init();
  ({ web: ort, node: ortNode } = await loadOrt());
});

function rows(n: number, d: number, seed: number): Float32Array {
  const x = new Float32Array(n * d);
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 32 - 0.5;
  }
  return x;
}

/** Trains BatchNorm statistics away from their initial values so eval mode is really tested. */
function warm(net: Module, d: number): void {
  for (let i = 0; i < 3; i++) net.forward({ data: rows(16, d, 100 + i).map((v) => 2 * v + 0.3), rows: 16, cols: d }, { training: true });
}

async function runOrt(bytes: Uint8Array, x: Float32Array, n: number, d: number, rt: Ort = ort): Promise<Float32Array> {
  const session = await rt.InferenceSession.create(bytes);
  const out = await session.run({ input: new rt.Tensor('float32', x, [n, d]) });
  return out.output.data as Float32Array;
}

function expectClose(got: Float32Array, want: Float32Array, rel = 1e-5): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  expect(worst).toBeLessThanOrEqual(rel);
}

const cases: [string, () => Module, number][] = [
  ['an MLP with BatchNorm1d and ReLU', () => mlp([20, 32, 8], { batchNorm: true, seed: 3 }), 20],
  ['an MLP with exact GELU', () => mlp([12, 16, 4], { activation: 'gelu', seed: 4 }), 12],
  [
    'tanh GELU, Dropout and L2Normalize',
    () => new Sequential(new Linear(10, 6, { seed: 1 }), new GELU('tanh'), new Dropout(0.3), new Linear(6, 5, { bias: false }), new L2Normalize()),
    10,
  ],
  ['lenet28 with BatchNorm1d + ReLU at the end', () => lenet28({ seed: 2, widths: [4, 6], dim: 16, bnRelu: true }), 784],
  ['convNet28 with a global average pool', () => convNet28({ seed: 5, widths: [3, 5] }), 784],
  [
    'strided, padded convs, average pools and a head',
    () =>
      new Sequential(
        new Unflatten([3, 11, 9]),
        new Conv2d(3, 4, [3, 2], { stride: [2, 1], padding: [1, 0], seed: 7 }),
        new BatchNorm2d(4),
        new ReLU(),
        new AvgPool2d(2, { stride: 1, padding: 1, countIncludePad: false }),
        new Conv2d(4, 2, 1),
        new MaxPool2d(3, { stride: 2, padding: 1 }),
        new AvgPool2d(2),
        new GlobalAvgPool2d(),
        new Flatten(),
        simclrHead(2, { hidden: 8, out: 3, seed: 9 }),
      ),
    3 * 11 * 9,
  ],
  [
    'LayerNorm (with and without affine parameters) between Linear layers',
    () => {
      const ln = new LayerNorm(10, { eps: 1e-3 });
      // a gain and shift away from 1 and 0, so the exported ones are really used
      ln.weight!.set(Float32Array.from({ length: 10 }, (_, i) => 0.5 + i * 0.1));
      ln.bias!.set(Float32Array.from({ length: 10 }, (_, i) => 0.3 - i * 0.05));
      return new Sequential(new Linear(6, 10, { seed: 2 }), ln, new GELU(), new Linear(10, 4), new LayerNorm(4, { elementwiseAffine: false }));
    },
    6,
  ],
  ['BatchNorm1d without affine parameters', () => new Sequential(new Linear(5, 7), new BatchNorm1d(7, { affine: false, eps: 1e-3 }), new ReLU()), 5],
];

describe('ONNX export', () => {
  for (const [name, make, d] of cases) {
    it(`${name}: onnxruntime-web and onnxruntime-node give the library's outputs within 1e-5 at two batch sizes`, async () => {
      const net = make();
      warm(net, d);
      const bytes = exportOnnx(net);
      for (const n of [1, 7]) {
        const x = rows(n, d, n);
        const want = net.forward({ data: x, rows: n, cols: d }).data;
        expectClose(await runOrt(bytes, x, n, d), want);
        expectClose(await runOrt(bytes, x, n, d, ortNode), want);
      }
      net.free();
    });
  }

  it('the exported files pass onnx.checker.check_model (python3-onnx)', (ctx) => {
    expectOnnxCheckerPasses(ctx, () =>
      cases.map(([, make, d]) => {
        const net = make();
        const bytes = exportOnnx(net, { inputShape: [d] });
        net.free();
        return bytes;
      }),
    );
  });

  it('a module without a converter is a ContrastiveError naming its path and type', () => {
    class Scale extends ReLU {}
    const custom = new Scale();
    Object.defineProperty(custom, 'type', { value: 'Scale' });
    const net = new Sequential(new Linear(4, 4), custom);
    expect(() => exportOnnx(net)).toThrowError(ContrastiveError);
    expect(() => exportOnnx(net)).toThrowError(/module 1 of type Scale has no ONNX converter/);
  });

  it('a model whose first layer does not tell the input size asks for inputShape', () => {
    expect(() => exportOnnx(new Sequential(new ReLU()))).toThrowError(/pass opts.inputShape/);
    expect(() => exportOnnx(new Sequential(new ReLU()), { inputShape: [0] })).toThrowError(/inputShape must be positive integers/);
  });

  it('an input shape the layers cannot take is a SHAPE_MISMATCH naming the layer', () => {
    expect(() => exportOnnx(mlp([8, 4]), { inputShape: [9] })).toThrowError(/0 \(Linear\) expects \[8\] per sample, got \[9\]/);
  });
});
