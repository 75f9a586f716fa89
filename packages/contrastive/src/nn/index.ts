export { Module, Parameter, Sequential, StateBuffer } from './module.js';
export type { BackwardOptions, ForwardOptions, ParameterKind, StateDict, StateTensor, Tensor } from './module.js';
export { Linear } from './linear.js';
export type { LinearOptions } from './linear.js';
export { GELU, ReLU } from './activation.js';
export { BatchNorm1d, BatchNorm2d } from './batchnorm.js';
export type { BatchNormOptions } from './batchnorm.js';
export { Conv2d } from './conv2d.js';
export type { Conv2dOptions, Pair } from './conv2d.js';
export { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from './pool.js';
export type { PoolOptions } from './pool.js';
export { Flatten, Unflatten } from './reshape.js';
export { Dropout } from './dropout.js';
export { L2Normalize } from './normalize.js';
export { convNet28, convNet32, lenet28, mlp, mocoV2Head, simclrHead, simclrV2Head } from './presets.js';
export type { MlpOptions } from './presets.js';
export {
  basicBlock,
  bottleneck,
  Identity,
  NamedSequential,
  Residual,
  ResNet,
  resnet18,
  resnet18Cifar,
  resnet34,
  resnet50,
  resnetSmall,
  withoutKeys,
} from './resnet.js';
export type { BlockOptions, Named, ResidualOptions, ResNetOptions } from './resnet.js';
export { runChild } from './module.js';
export { setConvAlgorithm } from './conv-algorithm.js';
export type { ConvAlgorithm } from './conv-algorithm.js';
// text layers
export { Embedding, EmbeddingBag, SparseRowParameter, TokenPooling } from './embedding.js';
export type { EmbeddingBagOptions, EmbeddingOptions, PoolingForwardOptions, PoolingMode } from './embedding.js';
export { LayerNorm } from './layernorm.js';
export type { LayerNormOptions } from './layernorm.js';
export { MultiHeadSelfAttention } from './attention.js';
export type { AttentionForwardOptions, SelfAttentionOptions } from './attention.js';
export { BertEmbeddings, BertModel, bertEncoder, ModuleDict, TransformerEncoderLayer } from './transformer.js';
export type { BertConfig, EncoderLayerOptions, HiddenAct, TextForwardOptions } from './transformer.js';
