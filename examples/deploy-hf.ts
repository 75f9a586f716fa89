import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { env, pipeline } from '@huggingface/transformers';
import { exportHuggingFace, init, SentenceEncoder, WordPieceTokenizer } from 'contrastive';

await init();
const texts = ['a red car', 'the car painted red', 'a green bird', 'the bird painted green'];
const tokenizer = WordPieceTokenizer.train(texts, { vocabSize: 100, minFrequency: 1 });
const model = SentenceEncoder.transformer(tokenizer, { hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 64 }); // your trained model

// config.json, model.safetensors, tokenizer files, modules.json, 1_Pooling, 2_Normalize, onnx/model.onnx
for (const [path, contents] of Object.entries(exportHuggingFace(model, { normalize: true }))) {
  mkdirSync(dirname(join('models', 'my-encoder', path)), { recursive: true });
  writeFileSync(join('models', 'my-encoder', path), contents);
}

// transformers.js, from local files only: the same embeddings as model.encode(texts, { normalize: true })
env.allowRemoteModels = false;
env.localModelPath = './models/';
const extractor = await pipeline('feature-extraction', 'my-encoder', { dtype: 'fp32' });
const embeddings = await extractor(texts, { pooling: 'mean', normalize: true });
console.log(embeddings.dims); // [ 4, 32 ]
