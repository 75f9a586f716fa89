import { BatchNorm2d, Conv2d, init, ReLU, Residual, Sequential } from 'contrastive';

await init();
// a pre-activation block (He et al. 2016b): BN-ReLU-conv twice, no ReLU after the sum
const block = new Residual([
  ['bn1', new BatchNorm2d(8)], ['relu1', new ReLU()], ['conv1', new Conv2d(8, 8, 3, { padding: 1, bias: false })],
  ['bn2', new BatchNorm2d(8)], ['relu2', new ReLU()], ['conv2', new Conv2d(8, 8, 3, { padding: 1, bias: false })],
], undefined, { relu: false });
// a projection shortcut when the shape changes: 8 -> 16 channels at half the resolution
const down = new Residual(
  [['conv1', new Conv2d(8, 16, 3, { stride: 2, padding: 1, bias: false })], ['bn1', new BatchNorm2d(16)], ['relu', new ReLU()]],
  ['downsample', new Sequential(new Conv2d(8, 16, 1, { stride: 2, bias: false }), new BatchNorm2d(16))],
);
const net = new Sequential(block, down);
console.log(Object.keys(net.stateDict()).slice(0, 3)); // [ '0.bn1.weight', '0.bn1.bias', '0.bn1.running_mean' ]
const x = { data: new Float32Array(4 * 8 * 6 * 6).map((_, i) => Math.sin(i)), shape: [4, 8, 6, 6] };
const y = net.forwardTensor(x, { training: true });
const dx = net.backwardTensor({ data: new Float32Array(y.data.length).fill(1), shape: y.shape });
console.log(y.shape, dx.shape);                        // [ 4, 16, 3, 3 ] [ 4, 8, 6, 6 ]
net.free();
