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
export { exportTextOnnx } from './export/onnx-text.js';
export type { TextOnnxOptions } from './export/onnx-text.js';
export { exportHuggingFace } from './export/hf.js';
export type { HfExportOptions, ModelFiles } from './export/hf.js';
// bring your own data: tables, vectors, pairs, splits, the input contract (image decoding: 'contrastive/node-images' with sharp, 'contrastive/browser-images')
export { csvNumber, csvPairs, csvTable, parseCsvRecords } from './io/csv.js';
export type { CsvOptions, CsvPairs, CsvPairsOptions, CsvRecords, CsvTable, CsvTableOptions } from './io/csv.js';
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
  buildEncoder,
  checkEncoderSpec,
  ENCODER_FORMAT,
  ENCODER_NAMES,
  encoderFromSafetensors,
  encoderSpec,
  encoderStateShapes,
  encoderToSafetensors,
  RECIPES,
  recipeAugmentation,
  recipeSchedule,
  RESNET_ARCHS,
  resnetEncoderSpec,
} from './train/recipes.js';
export type { EncoderName, EncoderSpec, Recipe } from './train/recipes.js';
// methods: self-supervised and metric-learning losses beyond InfoNCE, the momentum update
export { dcl, dclw } from './loss/dcl.js';
export type { DclOptions, DclwOptions } from './loss/dcl.js';
export { negativeCosineSimilarity } from './loss/negcos.js';
export type { NegativeCosineOptions } from './loss/negcos.js';
export { barlowTwins } from './loss/barlow.js';
export type { BarlowTwinsOptions } from './loss/barlow.js';
export { vicReg } from './loss/vicreg.js';
export type { VicRegOptions } from './loss/vicreg.js';
export type { TwoViewResult } from './loss/twoview.js';
export { triplet } from './loss/triplet.js';
export type { TripletMining, TripletOptions, TripletResult } from './loss/triplet.js';
export { multiSimilarity } from './loss/multisim.js';
export type { MultiSimilarityOptions } from './loss/multisim.js';
export { cosineMomentum, momentumUpdate } from './optim/ema.js';
// text encoders: Hugging Face weights
export { loadHuggingFace } from './text/hf.js';
export type { HfLoadOptions, HfLoadReport } from './text/hf.js';
export { loadTokenizer, TextTokenizer } from './text/tokenizer.js';
export type { HfTokenizerLike, LoadTokenizerOptions, TokenBatch, TokenizeOptions } from './text/tokenizer.js';
export { loadSentenceTransformer, SentenceTransformer } from './text/sentence.js';
export type {
  EncodeOptions,
  FileReader,
  LoadedSentenceTransformer,
  LoadSentenceTransformerOptions,
  ModelSource,
  SentenceTransformerOptions,
} from './text/sentence.js';
export { smallTransformer, staticEmbedding } from './text/presets.js';
export type { SmallTransformerOptions, StaticEmbeddingOptions } from './text/presets.js';
// sentence embeddings: losses
export { mnrl } from './loss/mnrl.js';
export type { MnrlOptions, MnrlResult, MnrlValue } from './loss/mnrl.js';
export { cosent } from './loss/cosent.js';
export type { CosentOptions, CosentResult, CosentValue } from './loss/cosent.js';
export { contrastiveLoss } from './loss/pair-margin.js';
export type { ContrastiveLossOptions, ContrastiveLossResult } from './loss/pair-margin.js';
export { DEFAULT_SCALE } from './loss/sentence-common.js';
export type { MatryoshkaOptions } from './loss/sentence-common.js';
// sentence embeddings: search and evaluators
export { search } from './eval/search.js';
export type { SearchOptions, SearchResult } from './eval/search.js';
export { informationRetrieval, maxCutoff, retrievalMetrics } from './eval/retrieval.js';
export type { InformationRetrievalInput, Qrels, RetrievalMetrics, RetrievalOptions } from './eval/retrieval.js';
export { stsCorrelation } from './eval/sts.js';
export type { StsResult } from './eval/sts.js';
// sentence embeddings: text data
export { groupByLabelBatches, LABEL_COLUMNS, noDuplicatesBatches, parseTextRows } from './data/text-pairs.js';
export type { TextRows, TextRowsOptions } from './data/text-pairs.js';
export { parseBeirJsonl, parseQrels } from './data/beir.js';
export type { BeirDocs } from './data/beir.js';
export { mineHardNegatives } from './data/hard-negatives.js';
export type { MineOptions } from './data/hard-negatives.js';
// sentence embeddings: tokenizers trained here, the training workflow, BM25
export { WordPieceTokenizer } from './text/wordpiece.js';
export type { EncodedBatch, EncodeOptions as WordPieceEncodeOptions, WordPieceTrainOptions } from './text/wordpiece.js';
export { fitSentence, loadSentenceModel, SentenceEncoder } from './train/sentence.js';
export type {
  EncodeTextOptions,
  FitSentenceOptions,
  FitSentenceResult,
  SentenceArchitecture,
  SentenceConfig,
  SentenceLoss,
  SentenceModel,
  SentenceTripletMining,
} from './train/sentence.js';
export { Bm25, bm25Terms } from './eval/bm25.js';
export type { Bm25Options } from './eval/bm25.js';
// seeded generators (one module, src/rng.ts; Rng and philox are exported with the augmentations)
export { mulberry32, mulberry32Words, SplitMix32 } from './rng.js';
