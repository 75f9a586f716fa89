// `contrastive train --method`: the heads, loss settings and extra networks of each method,
// built around the encoder the user chose. One optimizer and schedule (the encoder's recipe)
// serves every method, so a table of methods compares losses, not tuning.
import { BatchNorm1d, ContrastiveError, mlp, Sequential, simclrHead, type Module, type Parameter, type TrainerOptions } from 'contrastive';

export const CLI_METHODS = [
  'simclr',
  'moco',
  'supcon',
  'dcl',
  'dclw',
  'byol',
  'simsiam',
  'barlowtwins',
  'vicreg',
  'nnclr',
  'triplet',
  'multisimilarity',
] as const;
export type CliMethod = (typeof CLI_METHODS)[number];
/** Methods that need class labels. */
export const LABELED_METHODS: readonly string[] = ['supcon', 'triplet', 'multisimilarity'];

/**
 * Each method's recipe, scaled to the small encoders of this CLI (d = the encoder's output size;
 * the papers' widths are for ResNet-50's 2048):
 * - simclr (Chen et al. 2020): Linear-BN-ReLU-Linear head d-d-128, NT-Xent at the encoder's temperature.
 * - moco (Chen et al. 2020, MoCo v2): its head without BN, d-d-128; key encoder momentum 0.99, queue 4096
 *   (on image datasets; `--data` runs keep their own MoCo setup).
 * - supcon (Khosla et al. 2020): the SimCLR head, same-label rows positive.
 * - dcl / dclw (Yeh et al. 2021): the SimCLR head and temperature; DCLW sigma 0.5.
 * - byol (Grill et al. 2020): projector and predictor Linear-BN-ReLU-Linear d-2d-128 and 128-2d-128
 *   (paper: 4096 hidden, 256 out); target momentum 0.996 cosine-increased to 1 over the run.
 * - simsiam (Chen & He 2021): projector d-d-d with BN on its output, bottleneck predictor d-d/4-d
 *   (paper: 2048 with a 512 bottleneck).
 * - barlowtwins (Zbontar et al. 2021): projector d-512-512-512, BN-ReLU between (paper: 8192 x 3), lambda 5e-3.
 * - vicreg (Bardes et al. 2022): expander d-512-512-512 (paper: 8192 x 3), weights 25 / 25 / 1.
 * - nnclr (Dwibedi et al. 2021): projector d-2d-128, predictor 128-2d-128, support queue 4096
 *   (paper: 98304, for ImageNet), NT-Xent at the encoder's temperature.
 * - triplet: the SimCLR head, batch-hard mining (Hermans et al. 2017), margin 0.2 on normalized
 *   embeddings (Schroff et al. 2015).
 * - multisimilarity (Wang et al. 2019): the SimCLR head, alpha 2, beta 50, base 0.5, miner epsilon 0.1.
 */
export function methodParts(
  method: string,
  encoder: Module,
  makeEncoder: () => Module,
  d: number,
  seed: number,
  totalSteps: number,
): {
  model: Module;
  params: [string, Parameter][];
  trainer: Partial<TrainerOptions>;
  info: Record<string, unknown>;
} {
  const s = seed + 1;
  const head = (m: Module) => new Sequential(encoder, m);
  const withPredictor = (model: Module, predictor: Module) => ({
    model,
    params: [...model.namedParameters(), ...predictor.namedParameters().map(([n, p]) => [`predictor.${n}`, p] as [string, Parameter])],
  });
  switch (method) {
    case 'simclr':
    case 'supcon':
    case 'dcl':
    case 'dclw':
    case 'triplet':
    case 'multisimilarity': {
      const model = head(simclrHead(d, { seed: s }));
      const loss =
        method === 'triplet'
          ? { mining: 'batchHard' as const, margin: 0.2 }
          : method === 'multisimilarity'
            ? { alpha: 2, beta: 50, base: 0.5, mine: true, epsilon: 0.1 }
            : method === 'dclw'
              ? { sigma: 0.5 }
              : undefined;
      return { model, params: model.namedParameters(), trainer: loss ? { loss } : {}, info: { head: [d, d, 128], ...(loss ? { loss } : {}) } };
    }
    case 'moco': {
      // key (MoCo) and target (BYOL) networks: the same architecture; the Trainer copies the online weights in
      const model = head(mlp([d, d, 128], { seed: s }));
      const keyModel = new Sequential(makeEncoder(), mlp([d, d, 128], { seed: s }));
      return {
        model,
        params: model.namedParameters(),
        trainer: { keyModel, momentum: 0.99, queueSize: 4096 },
        info: { head: [d, d, 128], momentum: 0.99, queueSize: 4096 },
      };
    }
    case 'byol': {
      const model = head(mlp([d, 2 * d, 128], { seed: s, batchNorm: true }));
      const predictor = mlp([128, 2 * d, 128], { seed: s + 1, batchNorm: true });
      const targetModel = new Sequential(makeEncoder(), mlp([d, 2 * d, 128], { seed: s, batchNorm: true }));
      return {
        ...withPredictor(model, predictor),
        trainer: { predictor, targetModel, momentum: 0.996, totalSteps },
        info: { projector: [d, 2 * d, 128], predictor: [128, 2 * d, 128], momentum: '0.996 -> 1 (cosine)' },
      };
    }
    case 'simsiam': {
      const model = head(new Sequential(mlp([d, d, d], { seed: s, batchNorm: true }), new BatchNorm1d(d)));
      const predictor = mlp([d, Math.max(1, d >> 2), d], { seed: s + 1, batchNorm: true });
      return { ...withPredictor(model, predictor), trainer: { predictor }, info: { projector: [d, d, d], predictor: [d, d >> 2, d] } };
    }
    case 'barlowtwins':
    case 'vicreg': {
      const model = head(mlp([d, 512, 512, 512], { seed: s, batchNorm: true }));
      const loss = method === 'barlowtwins' ? { lambda: 5e-3 } : { lambda: 25, mu: 25, nu: 1 };
      return { model, params: model.namedParameters(), trainer: { loss }, info: { projector: [d, 512, 512, 512], loss } };
    }
    case 'nnclr': {
      const model = head(mlp([d, 2 * d, 128], { seed: s, batchNorm: true }));
      const predictor = mlp([128, 2 * d, 128], { seed: s + 1, batchNorm: true });
      return {
        ...withPredictor(model, predictor),
        trainer: { predictor, supportSize: 4096 },
        info: { projector: [d, 2 * d, 128], predictor: [128, 2 * d, 128], supportSize: 4096 },
      };
    }
  }
  throw new ContrastiveError('INVALID_ARGUMENT', `--method must be one of ${CLI_METHODS.join(', ')}, got ${method}`);
}
