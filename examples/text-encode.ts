import { cosineSimilarity, init, loadSentenceTransformer } from 'contrastive';

await init();
// a sentence-transformers folder: config.json, model.safetensors, tokenizer.json, modules.json, 1_Pooling/
const { model } = await loadSentenceTransformer('.cache/models/all-MiniLM-L6-v2');
const emb = model.encode(['A man is eating food.', 'Someone is having a meal.', 'The sky is blue.'], { batchSize: 32 });
console.log(emb.rows, emb.cols); // 3 384 (mean pooling, L2-normalized, as the folder says)
const sim = cosineSimilarity(emb);
console.log(sim.data[1].toFixed(2), sim.data[2].toFixed(2)); // the meal pair is far closer than the sky
model.free();
