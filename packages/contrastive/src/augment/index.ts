// Image and vector augmentations: a seeded counter-based RNG, torchvision-exact ops, presets.
export { Rng, philox } from '../rng.js';
export { toImageBatch } from './image.js';
export type { ImageBatch, HwcImages, ImageShape } from './image.js';
export type { ImageOp } from './op.js';
export { randomResizedCrop, resizedCrop, resize, sampleResizedCrop } from './crop.js';
export type { CropBox, RandomResizedCropOptions } from './crop.js';
export { randomHorizontalFlip, randomVerticalFlip, hflip, vflip } from './flip.js';
export { affine, rotate, randomAffine, randomRotation, inverseAffineMatrix } from './affine.js';
export type { AffineParams, RandomAffineOptions, WarpOptions } from './affine.js';
export {
  colorJitter,
  adjustColor,
  adjustBrightness,
  adjustContrast,
  adjustSaturation,
  adjustHue,
  randomGrayscale,
  grayscale,
} from './color.js';
export type { ColorJitterOptions, JitterParams } from './color.js';
export { gaussianBlur, blur, simclrKernelSize } from './blur.js';
export type { GaussianBlurOptions } from './blur.js';
export { randomSolarize, solarize } from './solarize.js';
export { normalizeOp, normalize, IMAGENET_MEAN, IMAGENET_STD } from './normalize.js';
export { randomErasing, cutout, erase, sampleErasing } from './erase.js';
export type { RandomErasingOptions } from './erase.js';
export { gaussianNoise, addGaussianNoise } from './noise.js';
export type { GaussianNoiseOptions, NoiseParams } from './noise.js';
export { compose, randomApply, augment, twoViews, sampleParams } from './compose.js';
export type { Pipeline, ViewOptions } from './compose.js';
export { simclrImageNet, simclrCifar10, mocoV2, smallGrayscale, presets } from './presets.js';
export { vectorNoise, featureDropout, scarf, composeVectors } from './vector.js';
export type { VectorOp } from './vector.js';
export { augmentationGrid } from './grid.js';
export type { RgbaImage } from './grid.js';
export { encodePng } from './png.js';
