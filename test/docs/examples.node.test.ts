// Every code block of the user docs is a file under examples/ that type-checks and runs (the rule
// is written in ./blocks.ts). The .ts examples are compiled with examples/tsconfig.json into
// examples/.build and run with Node, the .sh examples with bash; both in a scratch folder (with
// `examples/` linked into it, so paths are as from the repository root) where `pnpm contrastive`
// (and `npx contrastive-cli`) is the built CLI. With CONTRASTIVE_EXAMPLE_SMALL=1 (set here) the examples run small: the .ts
// examples read it to shrink their epochs, `contrastive train` gets `--epochs 1`, and `train` and
// `eval` get `--max-samples 1000`: the check is that every command runs as written, not the recipe's
// accuracy (docs/results.md has the measured numbers and the commands that reproduce them).
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { blockProblem, parseBlocks, type Block } from './blocks.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const examplesDir = join(root, 'examples');
const RUNNABLE = /\.(ts|js|sh|py)$/;
/**
 * Each example gets this long before it counts as hung: most take seconds on an idle machine, the
 * PyTorch DDP one (two processes) up to about a minute, and a busy 2-core machine is 5x slower.
 */
const TIME_LIMIT_MS = 300_000;

function docFiles(): string[] {
  const files = ['README.md'];
  for (const f of readdirSync(join(root, 'docs'))) if (f.endsWith('.md')) files.push(`docs/${f}`);
  for (const p of readdirSync(join(root, 'packages'))) if (existsSync(join(root, 'packages', p, 'README.md'))) files.push(`packages/${p}/README.md`);
  return files;
}
const blocks: Block[] = docFiles().flatMap((f) => parseBlocks(f, readFileSync(join(root, f), 'utf8')));
const examples = readdirSync(examplesDir)
  .filter((f) => RUNNABLE.test(f))
  .sort();
/**
 * The order the examples run in: the order the docs show them (README.md, docs/*.md, then the
 * packages' READMEs, top to bottom), all in one scratch folder, so a block may use the files an
 * earlier block of its page wrote, as a reader following the page would; files no page shows last.
 */
const runOrder = [
  ...new Set([...blocks.flatMap((b) => (b.example ? [b.example.slice('examples/'.length)] : [])).filter((f) => examples.includes(f)), ...examples]),
];

describe('the docs code-block rule', () => {
  it('a ts block without its example marker is reported', () => {
    const [b] = parseBlocks('x.md', 'intro\n```ts\nconst a = 1;\n```\n');
    expect(blockProblem(b)).toMatch(/x\.md:2: .*<!-- example: examples\/<file> -->/);
  });
  it('a block with no language is reported, and an output block is not', () => {
    const [bare, text] = parseBlocks('x.md', '```\nls\n```\n\n```text\n98.05%\n```\n');
    expect(blockProblem(bare)).toMatch(/language ""/);
    expect(blockProblem(text)).toBeUndefined();
  });
  it('a marker naming a file of another language is reported', () => {
    const [b] = parseBlocks('x.md', '<!-- example: examples/a.ts -->\n```sh\nls\n```\n');
    expect(blockProblem(b)).toMatch(/examples\/\*\.sh/);
  });
  it('the code of a marked block is read exactly, across an indented fence', () => {
    const [b] = parseBlocks('x.md', '* item\n  <!-- example: examples/a.sh -->\n  ```sh\n  pnpm contrastive eval\n    --json\n  ```\n');
    expect(b).toMatchObject({ example: 'examples/a.sh', lang: 'sh', code: 'pnpm contrastive eval\n  --json', line: 3 });
  });
});

describe('docs code blocks', () => {
  it('every code block in README.md, docs/ and packages/*/README.md is output or a copy of a file in examples/', () => {
    const problems: string[] = [];
    for (const b of blocks) {
      const p = blockProblem(b);
      if (p) problems.push(p);
      else if (b.example) {
        const path = join(root, b.example);
        if (!existsSync(path)) problems.push(`${b.file}:${b.line}: ${b.example} does not exist`);
        else if (readFileSync(path, 'utf8').replace(/\n$/, '') !== b.code) {
          problems.push(`${b.file}:${b.line}: the block differs from ${b.example} (copy one over the other)`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('every file in examples/ is shown in the docs, once', () => {
    const shown = blocks.flatMap((b) => (b.example ? [b.example.slice('examples/'.length)] : []));
    expect(examples.filter((f) => !shown.includes(f))).toEqual([]);
    expect(shown.filter((f, i) => shown.indexOf(f) !== i)).toEqual([]);
  });
});

describe('docs examples run', () => {
  // examples run here, with examples/ linked in so that paths read as from the repository root
  const scratch = mkdtempSync(join(tmpdir(), 'contrastive-examples-'));
  symlinkSync(examplesDir, join(scratch, 'examples'));
  // and the model cache scripts/setup.sh fills (.cache/models: the text examples' sentence-transformers folder)
  if (existsSync(join(root, '.cache'))) symlinkSync(join(root, '.cache'), join(scratch, '.cache'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  // PYTHON: the examples that continue in PyTorch run Debian's python3 (its CPU torch), whatever python3 is first in PATH
  const env = { ...process.env, CONTRASTIVE_EXAMPLE_SMALL: '1', PYTHON: process.env.PYTHON ?? '/usr/bin/python3' };
  let compiled: { status: number | null; out: string } | undefined;
  const compile = () => {
    if (!compiled) {
      const tsc = join(root, 'node_modules', '.bin', 'tsc');
      const build = join(examplesDir, '.build');
      rmSync(build, { recursive: true, force: true });
      const r = spawnSync(tsc, ['-p', join(examplesDir, 'tsconfig.json')], { cwd: root, encoding: 'utf8', timeout: TIME_LIMIT_MS });
      compiled = { status: r.status, out: `${r.stdout}${r.stderr}` };
      // the compiled files sit in .build: link the examples' other files (data/ ...) beside them,
      // so `new URL('./data/…', import.meta.url)` finds what it finds next to the .ts file
      if (existsSync(build)) {
        for (const f of readdirSync(examplesDir)) {
          if (!/\.ts$/.test(f) && !f.startsWith('.') && f !== 'node_modules' && !existsSync(join(build, f))) symlinkSync(join(examplesDir, f), join(build, f));
        }
      }
    }
    return compiled;
  };

  it(
    'the .ts examples type-check (examples/tsconfig.json)',
    () => {
      if (!existsSync(join(root, 'packages/contrastive/dist/index.node.js'))) throw new Error('run `pnpm build` first');
      const r = compile();
      expect(r.out).toBe('');
      expect(r.status).toBe(0);
    },
    TIME_LIMIT_MS,
  );

  // `pnpm contrastive …` in the .sh examples: the built CLI, run in the scratch folder
  const bin = join(scratch, 'bin');
  const cli = join(root, 'packages/cli/bin/contrastive.mjs');
  const shim = () => {
    if (existsSync(bin)) return;
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'small-cli.mjs'),
      [
        '// the docs check runs each command on small data, not the whole recipe: `train --epochs 1`, and',
        '// `train` and `eval` with --max-samples 1000 (unless the command sets it)',
        'const args = process.argv.slice(2);',
        "if (args[0] === 'train') { const i = args.indexOf('--epochs'); if (i >= 0) args[i + 1] = '1'; else args.push('--epochs', '1'); }",
        "if ((args[0] === 'train' || args[0] === 'eval') && !args.includes('--max-samples')) args.push('--max-samples', '1000');",
        `process.argv = [process.argv[0], ${JSON.stringify(cli)}, ...args];`,
        `await import(${JSON.stringify(cli)});`,
        '',
      ].join('\n'),
    );
    const realPnpm = spawnSync('sh', ['-c', 'command -v pnpm'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(
      join(bin, 'pnpm'),
      [
        '#!/bin/sh',
        `if [ "$1" = contrastive ]; then shift; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(bin, 'small-cli.mjs'))} "$@"; fi`,
        `exec ${JSON.stringify(realPnpm || 'pnpm')} "$@"`,
        '',
      ].join('\n'),
    );
    chmodSync(join(bin, 'pnpm'), 0o755);
    // `npx contrastive-cli …` in the packages' READMEs: the same CLI (never the registry)
    writeFileSync(
      join(bin, 'npx'),
      [
        '#!/bin/sh',
        `if [ "$1" = contrastive-cli ]; then shift; exec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(bin, 'small-cli.mjs'))} "$@"; fi`,
        'echo "the docs examples run only npx contrastive-cli, got: npx $*" >&2; exit 1',
        '',
      ].join('\n'),
    );
    chmodSync(join(bin, 'npx'), 0o755);
  };

  // the Python examples need torch, torchvision and safetensors: the first interpreter that has them
  const pythonWithTorch = () =>
    [env.PYTHON, 'python3'].find((py) => spawnSync(py, ['-c', 'import torch, torchvision, safetensors'], { encoding: 'utf8' }).status === 0);

  for (const f of runOrder) {
    it(
      `examples/${f} runs`,
      (ctx) => {
        let r: ReturnType<typeof spawnSync>;
        if (f.endsWith('.py')) {
          const py = pythonWithTorch();
          // no Python with torch, torchvision and safetensors on this machine
          if (!py) return ctx.skip();
          r = spawnSync(py, [join(examplesDir, f)], { cwd: scratch, encoding: 'utf8', timeout: TIME_LIMIT_MS, env });
        } else if (f.endsWith('.sh')) {
          shim();
          r = spawnSync('bash', ['-e', join(examplesDir, f)], {
            cwd: scratch,
            encoding: 'utf8',
            timeout: TIME_LIMIT_MS,
            env: { ...env, PATH: `${bin}:${process.env.PATH ?? ''}` },
          });
        } else {
          let file = join(examplesDir, f);
          if (f.endsWith('.ts')) {
            expect(compile().status).toBe(0);
            file = join(examplesDir, '.build', f.replace(/\.ts$/, '.js'));
          }
          // Node 20 can deadlock on exit after a program has finished (nodejs/node#54918: the main
          // thread waits for a background recompile that waits for it), about 1 run in 40 here;
          // the flag keeps optimizing compiles on the main thread and avoids it
          r = spawnSync(process.execPath, ['--no-concurrent-recompilation', file], { cwd: scratch, encoding: 'utf8', timeout: TIME_LIMIT_MS, env });
        }
        if (r.error) throw r.error;
        expect(r.status, `${f} exited with ${r.status}${r.signal ? ` (${r.signal})` : ''}:\n${r.stdout}\n${r.stderr}`).toBe(0);
      },
      TIME_LIMIT_MS + 10_000,
    );
  }
});

describe('product text', () => {
  const productFiles = (): string[] => {
    const out = docFiles();
    const walk = (dir: string) => {
      for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
        if (e.isDirectory()) walk(`${dir}/${e.name}`);
        else if (/\.(ts|mts|js|mjs)$/.test(e.name)) out.push(`${dir}/${e.name}`);
      }
    };
    for (const p of readdirSync(join(root, 'packages'))) if (existsSync(join(root, 'packages', p, 'src'))) walk(`packages/${p}/src`);
    return out;
  };

  it('README, docs and package sources name no development history (sessions, issue numbers)', () => {
    const hits = productFiles().flatMap((f) =>
      readFileSync(join(root, f), 'utf8')
        .split('\n')
        .flatMap((l, i) => (/session [0-9]|issue #[0-9]|before this session/i.test(l) ? [`${f}:${i + 1}: ${l.trim()}`] : [])),
    );
    expect(hits).toEqual([]);
  });

  it('markdown links in the docs point inside the repository, to files that exist', () => {
    const bad: string[] = [];
    for (const f of docFiles()) {
      const text = readFileSync(join(root, f), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1].split('#')[0];
        if (/^[a-z]+:/.test(m[1]) || target === '') continue; // web links and anchors
        const abs = join(root, f, '..', target);
        if (!abs.startsWith(root) || !existsSync(abs)) bad.push(`${f}: ${m[1]}`);
      }
    }
    expect(bad).toEqual([]);
  });
});

describe('experiments', () => {
  it('experiments/ imports only the public entry points of the packages, and they resolve', async () => {
    const bad: string[] = [];
    const dir = join(root, 'experiments');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.mjs'))) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const m of text.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)) {
        const spec = m[1];
        if (spec.startsWith('node:') || /^\.\/[\w-]+\.mjs$/.test(spec)) continue;
        if (spec !== 'contrastive' && spec !== 'contrastive-cli/data') bad.push(`${f}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
    // resolved as the experiments do (their package.json's dependencies), through each package's `exports`
    const { createRequire } = await import('node:module');
    const req = createRequire(join(dir, 'package.json'));
    expect(req.resolve('contrastive-cli/data')).toMatch(/packages\/cli\/dist\/data\.js$/);
    expect(() => req.resolve('contrastive-cli/dist/model.js')).toThrow();
  });
});
