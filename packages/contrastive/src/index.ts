// The public face of the package: re-exports only. The runtime entry points (index.node.ts,
// index.browser.ts, index.workerd.ts) add the way to find the packaged .wasm and re-export this.
export { DEFAULT_TILE_CACHE_BYTES, init, runtimeInfo, relaxedSimdSupported, setTileCache } from './runtime/init.js';
export type { InitOptions, RuntimeInfo, Variant, WasmSource } from './runtime/init.js';
export { ContrastiveError } from './errors.js';
export type { ContrastiveErrorCode } from './errors.js';
export type { Matrix, MatrixLike } from './types.js';
export type { LossValue } from './loss/kernel.js';
export { ntXent } from './loss/ntxent.js';
export type { NtXentOptions, NtXentResult } from './loss/ntxent.js';
export { infoNce } from './loss/infonce.js';
export type { InfoNceOptions, InfoNceResult } from './loss/infonce.js';
export { supCon } from './loss/supcon.js';
export type { SupConOptions, SupConResult } from './loss/supcon.js';
export { cosineSimilarity } from './loss/cosine.js';
export { VERSION as version } from './version.js';
export { knnAccuracy, knnPredict } from './eval/knn.js';
export type { KnnOptions } from './eval/knn.js';
export { AUTO_WEIGHT_DECAYS, linearProbe } from './eval/probe.js';
export type { LinearProbeOptions, LinearProbeResult } from './eval/probe.js';
export { alignment, recallAtK, uniformity } from './eval/metrics.js';
export { pca } from './eval/pca.js';
export type { PcaResult } from './eval/pca.js';
export { stratifiedFolds, stratifiedSplit } from './eval/split.js';
export { parseIdx, readIdx, writeIdx } from './io/idx.js';
export type { IdxArray, IdxData } from './io/idx.js';
export { parseNpy, writeNpy } from './io/npy.js';
export type { NpyArray } from './io/npy.js';
export { parseCsv, writeCsv } from './io/csv.js';
export * from './nn/index.js';
export * from './optim/index.js';
export { loadSafetensors, readSafetensors, saveSafetensors } from './io/safetensors.js';
export { checkpointBytes, restoreCheckpoint } from './io/checkpoint.js';
export type { CheckpointParts } from './io/checkpoint.js';
export { Trainer } from './train/trainer.js';
export type { Method, StepResult, TrainerOptions, TrainerState, Views } from './train/trainer.js';
export { embed, epochOrder, fit } from './train/fit.js';
export type { EpochEvent, FitOptions, FitResult, StepEvent, TrainData } from './train/fit.js';
export * from './augment/index.js';
export { imageTrainData } from './train/data.js';
// architecture in saved files, and export to other runtimes
export { buildModule, moduleSpec, registerModule } from './nn/spec.js';
export type { ModuleCodec, ModuleSpec } from './nn/spec.js';
export { FORMAT_KEY, loadModel, readModelSpec, saveModel, SPEC_KEY } from './io/model.js';
export { convertModule, exportOnnx, ONNX_OPSET, OnnxGraph, registerOnnx } from './export/onnx.js';
export type { OnnxConverter, OnnxExportOptions, OnnxValue } from './export/onnx.js';
// bring your own data: tables, vectors, pairs, splits, the input contract (image decoding: 'contrastive/node-images' with sharp, 'contrastive/browser-images')
export { csvNumber, csvTable, parseCsvRecords } from './io/csv.js';
export type { CsvOptions, CsvRecords, CsvTable, CsvTableOptions } from './io/csv.js';
export { jsonlVectors, parseJsonl } from './io/jsonl.js';
export type { JsonlVectors } from './io/jsonl.js';
export { fitStandardizer, jsonlPairs, pairTrainData, standardize, vectorTrainData } from './data/vectors.js';
export type { Standardizer, VectorPairs } from './data/vectors.js';
export { takeRows, trainValTestSplit } from './data/split.js';
export type { Split, SplitOptions } from './data/split.js';
export { IMAGE_EXTENSIONS, labelsFromPaths } from './data/images.js';
export type { DecodedImage, ImageLoadOptions, ImageSet } from './data/images.js';
export { toTensor, uint8ImageTrainData } from './train/data.js';
export type { TensorLike, Uint8Images } from './train/data.js';
export { convNet, lenet } from './nn/presets.js';
// reliability: training-state checkpoints (the format of fit's checkpoints and the CLI's --checkpoint)
export { parseTrainerState, trainerStateBytes, TRAIN_STATE_FORMAT } from './io/checkpoint.js';
// float64 L-BFGS (the linear probe's solver)
export { minimizeLbfgs } from './eval/lbfgs.js';
export type { LbfgsOptions, LbfgsResult } from './eval/lbfgs.js';
// training recipes: one per encoder network, shared by the CLI and the playground
export {
  buildEncoder, checkEncoderSpec, ENCODER_FORMAT, ENCODER_NAMES, encoderFromSafetensors, encoderSpec, encoderStateShapes, encoderToSafetensors, RECIPES,
  recipeAugmentation, recipeSchedule, RESNET_ARCHS, resnetEncoderSpec,
} from './train/recipes.js';
export type { EncoderName, EncoderSpec, Recipe } from './train/recipes.js';
