// The bench scripts' flags. `pnpm bench -- --quick` hands a script a literal "--" first: drop it.
import { parseArgs } from 'node:util';

/** process.argv without the node/script paths and without a leading "--". */
export const benchArgv = () => {
  const argv = process.argv.slice(2);
  if (argv[0] === '--') argv.shift();
  return argv;
};

/** parseArgs over `args` (default benchArgv()); `config` is parseArgs' config without `args`. */
export const benchArgs = (config, args = benchArgv()) => parseArgs({ ...config, args });
