// The flags of `--data PATH` shared by train, eval and embed.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DATA_FORMATS } from './data-input.js';

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 8192) throw new InvalidArgumentError(`${name} must be an integer from 1 to 8192, got ${JSON.stringify(v)}`);
  return n;
};
const fraction = (name: string) => (v: string) => {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError(`${name} must be a fraction strictly between 0 and 1, got ${JSON.stringify(v)}`);
  return n;
};

export function addDataOptions(cmd: Command, o: { split?: boolean; evalData?: boolean }): Command {
  cmd
    .option(
      '--data <path>',
      'your data: a folder of PNG/JPEG/WebP images (labels from class subfolders dir/<class>/*.jpg), a .csv/.tsv (header row), .npy, .jsonl or IDX file; format auto-detected',
    )
    .addOption(new Option('--data-format <format>', 'read --data as this format instead of guessing from the path').choices([...DATA_FORMATS]))
    .option(
      '--image-size <n>',
      "images: resize (shorter side, then center crop) to N x N (default: the first image's size, at most 64)",
      positiveInt('--image-size'),
    )
    .addOption(new Option('--channels <c>', 'images: 1 (grayscale) or 3 (RGB) (default: 1 when the first image is gray)').choices(['1', '3']))
    .option('--label-column <name>', 'CSV/JSONL: the column (key) holding class labels')
    .option('--categorical <cols>', 'CSV: comma-separated text columns to one-hot encode')
    .option('--ignore-columns <cols>', 'CSV: comma-separated columns to leave out (ids, free text)')
    .option('--skip-bad-images', 'images: skip files that do not decode, with a warning (default: stop with an error naming the file)');
  if (o.split) {
    cmd.option(
      '--val-split <f>',
      'hold out this fraction of --data (stratified by label, seeded by --seed) for the kNN monitor / evaluation',
      fraction('--val-split'),
    );
    cmd.option('--test-data <path>', 'a held-out set in the same format as --data (for --monitor, or eval)');
  }
  if (o.split && !o.evalData) {
    cmd.option(
      '--pair-data <path>',
      'pairs from two aligned files (with --method clip): row i of --data goes with row i of this file (CSV, NPY or JSONL vectors)',
    );
    cmd.option('--negative-data <path>', "triplets from three aligned files (with --pair-data): row i is a hard negative of --data's row i");
    cmd.option('--anchor-columns <cols>', "CSV pairs (with --method clip): the anchor vector's columns, comma-separated names or prefix* patterns");
    cmd.option('--positive-columns <cols>', "CSV pairs: the positive vector's columns, likewise");
    cmd.option('--negative-columns <cols>', "CSV triplets: a hard negative's columns, as many as --positive-columns");
  }
  if (o.evalData) {
    cmd.option('--train-data <path>', 'labeled data to fit the probes on (a class-folder tree, or a CSV with --label-column)');
    cmd.option('--labels <file>', 'NPY/IDX data: its labels (.npy or IDX)');
    cmd.option(
      '--seed <n>',
      'seed of the --val-split',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--seed must be a non-negative integer, got ${JSON.stringify(v)}`);
        return n;
      },
      0,
    );
  }
  return cmd;
}
