// saveModel / loadModel: the architecture travels with the weights.
import { describe, expect, it, beforeAll } from 'vitest';
import {
  ContrastiveError,
  convNet28,
  GELU,
  init,
  L2Normalize,
  lenet28,
  Linear,
  loadModel,
  mlp,
  moduleSpec,
  readModelSpec,
  readSafetensors,
  registerModule,
  ReLU,
  saveModel,
  saveSafetensors,
  Sequential,
  SPEC_KEY,
  simclrHead,
} from '../../packages/contrastive/src/index.node.js';

beforeAll(() => init());

const x = (n: number, d: number) => ({ data: Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 0.37)), rows: n, cols: d });

describe('saveModel and loadModel', () => {
  for (const [name, make, d] of [
    ['mlp with BatchNorm', () => mlp([30, 16, 8], { batchNorm: true, seed: 1 }), 30],
    ['lenet28 + head', () => new Sequential(lenet28({ widths: [3, 4], dim: 8, bnRelu: true }), simclrHead(8, { hidden: 8, out: 4 }), new L2Normalize()), 784],
    ['convNet28', () => convNet28({ widths: [2, 3] }), 784],
    ['GELU tanh', () => new Sequential(new Linear(5, 3), new GELU('tanh')), 5],
  ] as const) {
    it(`${name}: the reloaded model gives the same outputs bit for bit`, () => {
      const net = (make as () => Sequential)();
      net.forward(x(8, d as number), { training: true }); // moves BatchNorm statistics off their init
      const again = loadModel(saveModel(net));
      expect(moduleSpec(again)).toEqual(moduleSpec(net));
      expect(Array.from(again.forward(x(3, d as number)).data)).toEqual(Array.from(net.forward(x(3, d as number)).data));
      net.free();
      again.free();
    });
  }

  it('keeps user metadata beside the architecture', () => {
    const bytes = saveModel(mlp([4, 2]), { note: 'hello' });
    expect(readModelSpec(bytes).metadata.note).toBe('hello');
    expect(readModelSpec(bytes).spec.type).toBe('Sequential');
  });

  it('a plain state_dict file is a ContrastiveError that says how to load it', () => {
    expect(() => loadModel(saveSafetensors(mlp([4, 2]).stateDict()))).toThrowError(/no architecture.*loadStateDict/);
  });

  it('an edited spec that asks for more weights than the file holds is refused before allocating', () => {
    const bytes = saveModel(mlp([4, 2]));
    const { tensors, metadata } = readSafetensors(bytes);
    const spec = JSON.parse(metadata[SPEC_KEY]);
    spec.children[0].args.inFeatures = 400_000;
    spec.children[0].args.outFeatures = 100_000;
    const edited = saveSafetensors(tensors, { ...metadata, [SPEC_KEY]: JSON.stringify(spec) });
    expect(() => loadModel(edited)).toThrowError(/needs at least 40000100000 floats of weights, the file holds 10/);
  });

  it('an unknown layer type in a spec is a ContrastiveError naming it', () => {
    const bytes = saveModel(mlp([4, 2]));
    const { tensors, metadata } = readSafetensors(bytes);
    const spec = JSON.parse(metadata[SPEC_KEY]);
    spec.children[0].type = 'Mystery';
    const edited = saveSafetensors(tensors, { ...metadata, [SPEC_KEY]: JSON.stringify(spec) });
    expect(() => loadModel(edited)).toThrowError(/spec.children\[0\] has type Mystery, which is not registered/);
  });

  it('bad argument values in a spec are a ContrastiveError, not a raw TypeError', () => {
    const bytes = saveModel(mlp([4, 2]));
    const { tensors, metadata } = readSafetensors(bytes);
    const spec = JSON.parse(metadata[SPEC_KEY]);
    spec.children[0].args.inFeatures = 'four';
    const edited = saveSafetensors(tensors, { ...metadata, [SPEC_KEY]: JSON.stringify(spec) });
    const err = (() => {
      try {
        loadModel(edited);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ContrastiveError);
    expect(String(err)).toMatch(/args.inFeatures must be a number/);
  });

  it('a custom module saves once registered, and is named when it is not', () => {
    class Scale extends ReLU {
      constructor(readonly s: number) {
        super();
        Object.defineProperty(this, 'type', { value: 'TestScale' });
      }
    }
    const net = new Sequential(new Linear(3, 3), new Scale(2));
    expect(() => saveModel(net)).toThrowError(/module 1 of type TestScale has no registered architecture/);
    registerModule<Scale>('TestScale', { args: (m) => ({ s: m.s }), build: (a) => new Scale(a.s as number) });
    const back = loadModel(saveModel(net)) as Sequential;
    expect((back.layers[1] as Scale).s).toBe(2);
  });
});
