import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { init } from 'contrastive';
import { mnrlLoss } from 'contrastive/tfjs';

await init();
// one tower embeds queries, documents and hard negatives (your text features here)
const tower = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [64], units: 64, activation: 'relu' }), tfl.layers.dense({ units: 32 })] });
const optimizer = tf.train.adam(1e-3);
const queries = tf.randomNormal([32, 64]);
const documents = tf.add(queries, tf.randomNormal([32, 64], 0, 0.1)); // row i answers query i
const hardNegatives = tf.reverse(documents, 0); // row i: a near miss for query i
for (let step = 0; step < 10; step++) {
  const loss = optimizer.minimize(() => tf.tidy(() => {
    const embed = (x: tf.Tensor) => tower.apply(x) as tf.Tensor2D;
    return mnrlLoss(embed(queries), embed(documents), { scale: 20, negatives: [embed(hardNegatives)], symmetric: true });
  }), true);
  console.log(step, loss?.dataSync()[0]);
  loss?.dispose();
}
