import { init, loadSafetensors, resnet18, saveSafetensors } from 'contrastive';

await init();
// stands in for the bytes of your converted file (readFileSync('resnet18.safetensors'))
const bytes = saveSafetensors(resnet18({ seed: 1 }).stateDict());

const net = resnet18();                      // torchvision's layout and names
net.loadStateDict(loadSafetensors(bytes));   // strict: every name and shape must match
const x = { data: new Float32Array(2 * 3 * 64 * 64).fill(0.5), shape: [2, 3, 64, 64] };
const logits = net.forwardTensor(x);         // eval mode: BatchNorm uses the running statistics
console.log(logits.shape);                   // [2, 1000]
net.free();
