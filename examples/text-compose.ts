import { bertEncoder, init, Linear, TokenPooling } from 'contrastive';

await init();
// A two-input model that is not a chain: sentence vector = Linear(CLS) + mean pooling, written
// with the modules' own forward/backward (Matrices in and out; no memory handling in user code).
class ClsPlusMean {
  bert = bertEncoder({ vocab_size: 100, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32 });
  cls = new TokenPooling('cls');
  mean = new TokenPooling('mean');
  proj = new Linear(16, 16);
  forward(ids: { data: number[]; rows: number; cols: number }, attentionMask: { data: number[]; rows: number; cols: number }) {
    const h = this.bert.forward(ids, { attentionMask, training: true });
    const a = this.proj.forward(this.cls.forward(h, { attentionMask }));
    const b = this.mean.forward(h, { attentionMask });
    return { data: a.data.map((v, i) => v + b.data[i]), rows: a.rows, cols: a.cols };
  }
  backward(g: { data: Float32Array; rows: number; cols: number }) {
    const dh1 = this.cls.backward(this.proj.backward(g)); // both branches get g (the sum's gradient)
    const dh2 = this.mean.backward(g);
    const dh = { data: dh1.data.map((v, i) => v + dh2.data[i]), rows: dh1.rows, cols: dh1.cols }; // fan-out: add
    this.bert.backward(dh, { inputGrad: false });
  }
  parameters() {
    return [...this.bert.parameters(), ...this.proj.parameters()];
  }
}
const m = new ClsPlusMean();
const z = m.forward({ data: [1, 5, 6, 2], rows: 1, cols: 4 }, { data: [1, 1, 1, 1], rows: 1, cols: 4 });
m.backward({ data: new Float32Array(16).fill(1), rows: 1, cols: 16 });
console.log(z.cols, m.parameters().length); // 16 23
