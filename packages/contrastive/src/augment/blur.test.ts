import { beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../../../../test/util/errors.js';
import { init } from '../index.node.js';
import { blur, gaussianBlur, simclrKernelSize } from './blur.js';
import { augment } from './compose.js';
import { testBatch } from './testutil.js';

beforeAll(() => init());

describe('gaussianBlur', () => {
  it("SimCLR's kernel is 10% of the side, odd: 23 at 224, 3 at 32 and 28", () => {
    expect([224, 32, 28, 96, 9].map(simclrKernelSize)).toEqual([23, 3, 3, 9, 1]);
  });

  it('a constant image stays constant (weights sum to 1, reflect padding)', () => {
    const x = { data: new Float32Array(2 * 3 * 9 * 8).fill(0.3), n: 2, channels: 3 as const, height: 9, width: 8 };
    for (const v of blur(x, 7, 2.5).data) expect(Math.abs(v - 0.3)).toBeLessThan(1e-6);
  });

  it('blur lowers the variance and keeps the mean roughly', () => {
    const x = testBatch(1, 1, 32, 32);
    const y = augment(x, gaussianBlur({ sigma: [1.5, 2] }), { seed: 1 });
    const stats = (d: Float32Array) => {
      const m = d.reduce((a, b) => a + b, 0) / d.length;
      return [m, d.reduce((a, b) => a + (b - m) ** 2, 0) / d.length];
    };
    const [mx, vx] = stats(x.data),
      [my, vy] = stats(y.data);
    expect(Math.abs(mx - my)).toBeLessThan(0.01);
    expect(vy).toBeLessThan(vx);
  });

  it('a kernel whose padding reaches past the image raises (torchvision: k // 2 < H, W)', () => {
    const x = testBatch(1, 1, 7, 9);
    expectError(() => blur(x, 15), 'INVALID_ARGUMENT', 'blur', 'kernelSize 15');
    expectError(() => gaussianBlur({ kernelSize: 4 }), 'INVALID_ARGUMENT', 'gaussianBlur', 'odd');
    expectError(() => gaussianBlur({ sigma: [0, 1] }), 'INVALID_ARGUMENT', 'sigma[0]');
  });
});
