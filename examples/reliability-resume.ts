import { AdamW, init, mlp, parseTrainerState, Trainer, trainerStateBytes, type Views } from 'contrastive';

await init();
const make = () => {
  const model = mlp([8, 16, 4], { seed: 1, batchNorm: true });
  return new Trainer({ method: 'simclr', model, optimizer: new AdamW(model.namedParameters()), temperature: 0.2 });
};
const views = (s: number): Views => [
  { data: Float32Array.from({ length: 32 }, (_, i) => Math.sin(i + s)), shape: [4, 8] },
  { data: Float32Array.from({ length: 32 }, (_, i) => Math.cos(i + s)), shape: [4, 8] },
];
const a = make();
for (let s = 0; s < 3; s++) a.step(views(s));
const bytes = trainerStateBytes(a.state()); // weights, AdamW moments, BatchNorm statistics, RNG, step
const b = make();
b.restore(parseTrainerState(bytes).state); // validated completely, then applied all or nothing
console.log(b.step(views(3)).loss === a.step(views(3)).loss); // true: the same step, bit for bit
