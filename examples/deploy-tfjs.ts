import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { init } from 'contrastive';
import { ntXentLoss } from 'contrastive/tfjs';

await init();
const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [32], units: 64, activation: 'relu' }), tfl.layers.dense({ units: 16 })] });
const optimizer = tf.train.adam(1e-3);
const batch = tf.randomNormal([128, 32]);
for (let step = 0; step < 10; step++) {
  const loss = optimizer.minimize(() => tf.tidy(() => {
    const view1 = tf.add(batch, tf.randomNormal([128, 32], 0, 0.1)); // your augmentations
    const view2 = tf.add(batch, tf.randomNormal([128, 32], 0, 0.1));
    return ntXentLoss(model.apply(view1) as tf.Tensor2D, model.apply(view2) as tf.Tensor2D, { temperature: 0.1 });
  }), true);
  console.log(step, loss?.dataSync()[0]);
  loss?.dispose();
}
