import { AdamW, bertEncoder, init, TokenPooling } from 'contrastive';

await init();
// a BERT from the fields of a Hugging Face config.json (here a tiny random one)
const bert = bertEncoder({ vocab_size: 100, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64 });
const pool = new TokenPooling('mean');
const ids = { data: [1, 7, 8, 9, 2, 1, 5, 2, 0, 0], rows: 2, cols: 5 }; // two padded sequences; 1 and 2 stand for [CLS] and [SEP]
const attentionMask = { data: [1, 1, 1, 1, 1, 1, 1, 1, 0, 0], rows: 2, cols: 5 };
const opt = new AdamW(bert.parameters(), { lr: 1e-3 });

const tokens = bert.forward(ids, { attentionMask, training: true }); // [2 * 5, 32]: one row per token
const sentences = pool.forward(tokens, { attentionMask }); // [2, 32]
// any loss's gradient with respect to the sentence vectors; here d(sum of squares)
const grad = { data: sentences.data.map((v) => 2 * v), rows: 2, cols: 32 };
bert.backward(pool.backward(grad), { inputGrad: false }); // every parameter's gradient
opt.step();
console.log(Object.keys(bert.stateDict())[5]); // encoder.layer.0.attention.self.query.weight
