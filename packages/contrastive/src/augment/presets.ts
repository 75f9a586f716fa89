// Published augmentation pipelines, with their papers' numbers (torchvision semantics, tensor path).
import { randomAffine } from './affine.js';
import { gaussianBlur } from './blur.js';
import { colorJitter, randomGrayscale } from './color.js';
import { compose, randomApply, type Pipeline } from './compose.js';
import { randomResizedCrop } from './crop.js';
import { randomHorizontalFlip } from './flip.js';
import { IMAGENET_MEAN, IMAGENET_STD, normalizeOp } from './normalize.js';
import type { ImageOp } from './op.js';

/**
 * SimCLR on ImageNet. Chen, Kornblith, Norouzi, Hinton 2020, "A Simple Framework for Contrastive
 * Learning of Visual Representations", Appendix A (the colour part is the paper's torchvision
 * pseudo-code with strength s = 1):
 *   RandomResizedCrop(224, scale=(0.08, 1), ratio=(3/4, 4/3)), RandomHorizontalFlip(0.5),
 *   RandomApply([ColorJitter(0.8, 0.8, 0.8, 0.2)], p=0.8), RandomGrayscale(0.2),
 *   RandomApply([GaussianBlur(23, sigma=(0.1, 2.0))], p=0.5)   (kernel = 10% of the side, odd).
 * The official TF code differs (bicubic crop resize, TF colour ops, zero-padded blur); this is
 * the torchvision form that test/reference/augment pins down.
 */
export function simclrImageNet(opts: { size?: number } = {}): Pipeline {
  const size = opts.size ?? 224;
  return compose(
    randomResizedCrop({ size, scale: [0.08, 1], ratio: [3 / 4, 4 / 3] }),
    randomHorizontalFlip({ p: 0.5 }),
    randomApply(0.8, colorJitter({ brightness: 0.8, contrast: 0.8, saturation: 0.8, hue: 0.2 })),
    randomGrayscale({ p: 0.2 }),
    randomApply(0.5, gaussianBlur({ kernelSize: 'auto', sigma: [0.1, 2.0] })),
  );
}

/**
 * SimCLR on CIFAR-10. Chen et al. 2020, Appendix B.9: as ImageNet, crop 32, colour strength
 * s = 0.5, i.e. ColorJitter(0.4, 0.4, 0.4, 0.1) with p = 0.8, no Gaussian blur.
 */
export function simclrCifar10(opts: { size?: number } = {}): Pipeline {
  const size = opts.size ?? 32;
  return compose(
    randomResizedCrop({ size, scale: [0.08, 1], ratio: [3 / 4, 4 / 3] }),
    randomHorizontalFlip({ p: 0.5 }),
    randomApply(0.8, colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 })),
    randomGrayscale({ p: 0.2 }),
  );
}

/**
 * MoCo v2. Chen, Fan, Girshick, He 2020, "Improved Baselines with Momentum Contrastive Learning";
 * facebookresearch/moco `main_moco.py --aug-plus`:
 *   RandomResizedCrop(224, scale=(0.2, 1)), RandomApply([ColorJitter(0.4, 0.4, 0.4, 0.1)], p=0.8),
 *   RandomGrayscale(0.2), RandomApply([GaussianBlur(sigma=(0.1, 2.0))], p=0.5), RandomHorizontalFlip(),
 *   Normalize(ImageNet mean, std).
 * MoCo's blur is PIL's box-filter approximation with radius sigma; here it is torchvision's sampled
 * Gaussian with SimCLR's kernel size (23 at 224), as in torchvision-based reimplementations.
 * `normalize: false` drops the final Normalize (e.g. to look at the views).
 */
export function mocoV2(opts: { size?: number; normalize?: boolean } = {}): Pipeline {
  const size = opts.size ?? 224;
  const ops: ImageOp[] = [
    randomResizedCrop({ size, scale: [0.2, 1], ratio: [3 / 4, 4 / 3] }),
    randomApply(0.8, colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 })),
    randomGrayscale({ p: 0.2 }),
    randomApply(0.5, gaussianBlur({ kernelSize: 'auto', sigma: [0.1, 2.0] })),
    randomHorizontalFlip({ p: 0.5 }),
  ];
  if (opts.normalize !== false) ops.push(normalizeOp({ mean: IMAGENET_MEAN, std: IMAGENET_STD }));
  return compose(...ops);
}

/**
 * Small grayscale images (28 x 28 MNIST digits, Fashion-MNIST clothes). Not from a paper: our
 * choices, for objects that fill a small, centred frame:
 * - crop scale (0.3, 1) (option `scale`) instead of (0.08, 1): an 8% crop of a 28 px digit is ~8 px, too little of the
 *   stroke to keep the class; ratio (3/4, 4/3) as SimCLR;
 * - RandomAffine(±10°, translate 10%, scale 0.9..1.1), bilinear, p = 0.5: the small pose changes of
 *   handwriting; no horizontal flip (a flipped 2, 3, 7 is not a digit; kept off for clothes too);
 * - brightness and contrast only (0.4 each, p = 0.8): saturation and hue do nothing to one channel;
 * - no blur: at 28 px SimCLR's 10% kernel is 3 taps and mostly erases thin strokes.
 */
export function smallGrayscale(opts: { size?: number; scale?: [number, number] } = {}): Pipeline {
  const size = opts.size ?? 28;
  return compose(
    randomResizedCrop({ size, scale: opts.scale ?? [0.3, 1], ratio: [3 / 4, 4 / 3] }),
    randomApply(0.5, randomAffine({ degrees: 10, translate: [0.1, 0.1], scale: [0.9, 1.1], interpolation: 'bilinear' })),
    randomApply(0.8, colorJitter({ brightness: 0.4, contrast: 0.4 })),
  );
}

/** The presets by name (the CLI's `--preset`). */
export const presets = {
  simclr: simclrImageNet,
  'simclr-imagenet': simclrImageNet,
  'simclr-cifar10': simclrCifar10,
  'moco-v2': mocoV2,
  'small-gray': smallGrayscale,
} as const;
