// The `contrastive` command. Every error ends the process with exit code 1 and one line on stderr.
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ContrastiveError, init, knnAccuracy, linearProbe } from 'contrastive';
import { loadIdxImages, loadMnist, pixelRows, type ImageSet } from './data.js';

const program = new Command()
  .name('contrastive')
  .description('Contrastive learning from the terminal: train an encoder without labels, evaluate it, embed, see augmentations.')
  .showHelpAfterError('(add --help for usage)')
  .exitOverride();

export const int = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
};
export const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got ${JSON.stringify(v)}`);
  return n;
};

interface EvalSets {
  train: ImageSet;
  test: ImageSet;
}

async function evalSets(o: { dataset?: string; trainImages?: string; trainLabels?: string; testImages?: string; testLabels?: string }): Promise<EvalSets> {
  if (o.trainImages || o.testImages) {
    if (!o.trainImages || !o.trainLabels || !o.testImages || !o.testLabels) {
      throw new ContrastiveError('INVALID_ARGUMENT', '--train-images, --train-labels, --test-images and --test-labels go together');
    }
    return { train: await loadIdxImages(o.trainImages, o.trainLabels), test: await loadIdxImages(o.testImages, o.testLabels) };
  }
  if ((o.dataset ?? 'mnist') !== 'mnist') throw new ContrastiveError('INVALID_ARGUMENT', `unknown dataset ${o.dataset} (built in: mnist)`);
  return loadMnist();
}

program
  .command('eval')
  .description('linear-probe and weighted-kNN accuracy of an encoder (or, without --model, of the raw pixels)')
  .option('--model <file>', 'encoder checkpoint (.safetensors) from `contrastive train`')
  .option('--dataset <name>', 'built-in dataset: mnist (8,000 train / 2,000 test, stratified)', 'mnist')
  .option('--train-images <file>', 'IDX images to fit the probes on')
  .option('--train-labels <file>', 'IDX labels of --train-images')
  .option('--test-images <file>', 'IDX images to score')
  .option('--test-labels <file>', 'IDX labels of --test-images')
  .option('--knn-k <k>', 'neighbours for kNN', int('--knn-k'), 20)
  .option('--json', 'print one JSON object')
  .action(async (o) => {
    await init();
    const sets = await evalSets(o);
    if (o.model) throw new ContrastiveError('INVALID_ARGUMENT', '--model needs the encoders of issue #4, not merged yet');
    const t0 = performance.now();
    const [tr, te] = [pixelRows(sets.train), pixelRows(sets.test)];
    const probe = linearProbe(tr, sets.train.labels!, te, sets.test.labels!);
    const knn = knnAccuracy(tr, sets.train.labels!, te, sets.test.labels!, { k: o.knnK });
    const result = { features: 'raw pixels', linearProbeAccuracy: probe.accuracy, knnAccuracy: knn, train: sets.train.n, test: sets.test.n, seconds: (performance.now() - t0) / 1000 };
    if (o.json) console.log(JSON.stringify(result));
    else console.log(`${result.features}: linear probe ${(probe.accuracy * 100).toFixed(2)}%, kNN ${(knn * 100).toFixed(2)}% (${sets.train.n} train / ${sets.test.n} test)`);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  console.error(`contrastive: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
