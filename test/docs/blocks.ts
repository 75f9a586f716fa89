// The rule every code block of the user docs follows, and the parser that checks it.
//
// README.md, docs/*.md and packages/*/README.md: every fenced block is either output (```text)
// or code (```ts, ```js, ```sh, ```bash). A code block is a copy of a file under examples/,
// named on the line right before the fence:
//
//   <!-- example: examples/train-mlp.sh -->
//   ```sh
//   pnpm contrastive train --encoder mlp --out mlp.safetensors
//   ```
//
// examples.node.test.ts checks that the file holds exactly the block's code, type-checks the .ts
// examples (examples/tsconfig.json), and runs every example. A block with no language, or any
// other language, is an error: say what it is. The only code blocks without a file are the ones
// in EXEMPT (commands that set up the whole machine or start a server that does not stop).

export const CODE_LANGS = new Set(['ts', 'js', 'sh', 'bash', 'python']);
export const OUTPUT_LANGS = new Set(['text']);

/**
 * Blocks that are not run, by file and exact content, with the reason. Keep this list short:
 * everything else in the docs must run.
 */
export const EXEMPT: { file: string; code: string; reason: string }[] = [
  {
    file: 'README.md',
    code:
      'bash scripts/setup.sh && pnpm demo   # main job: SimCLR on MNIST without labels, then linear-probe and kNN accuracy\n' +
      'bash scripts/setup.sh && pnpm test   # all tests: Rust kernels, Node, headless Chromium, workerd, Deno, Bun, packed tarball',
    reason: 'installs the toolchain and runs the whole demo / the whole test suite (minutes; this checker is part of that suite)',
  },
  {
    file: 'packages/contrastive/README.md',
    code: 'npm install contrastive',
    reason: 'installs from the npm registry',
  },
  {
    file: 'packages/cli/README.md',
    code: 'npm install -g contrastive-cli    # or run it without installing: npx contrastive-cli <command>',
    reason: 'installs from the npm registry',
  },
  {
    file: 'README.md',
    code: 'pnpm build && pnpm playground      # http://localhost:5173: train on MNIST in your browser',
    reason: 'starts a dev server that runs until stopped (test/playground builds and drives the site)',
  },
  {
    file: 'packages/playground/README.md',
    code:
      'pnpm build                          # the contrastive package and its .wasm\n' +
      'pnpm playground                     # dev server, http://localhost:5173\n' +
      'pnpm --filter playground build      # static site in packages/playground/dist (relative URLs)',
    reason: 'rebuilds everything and starts a dev server that runs until stopped (test/playground builds and drives the site)',
  },
];

export interface Block {
  /** the markdown file, relative to the repository root */
  file: string;
  /** 1-based line of the opening fence */
  line: number;
  lang: string;
  code: string;
  /** `examples/<name>` from the marker line right before the fence, if there is one */
  example?: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([\w+-]*)\s*$/;
const MARKER = /^\s*<!--\s*example:\s*(examples\/[\w./-]+)\s*-->\s*$/;

/** The fenced blocks of one markdown text, in order. */
export function parseBlocks(file: string, text: string): Block[] {
  const lines = text.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence, lang] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = FENCE.exec(lines[j]);
      if (close && close[2][0] === fence[0] && close[2].length >= fence.length && close[3] === '') break;
      body.push(indent && lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    }
    const marker = i > 0 ? MARKER.exec(lines[i - 1]) : null;
    blocks.push({ file, line: i + 1, lang, code: body.join('\n'), example: marker?.[1] });
    i = j;
  }
  return blocks;
}

/** What is wrong with a block, or undefined if it follows the rule (file contents are checked by the caller). */
export function blockProblem(b: Block): string | undefined {
  const where = `${b.file}:${b.line}`;
  if (OUTPUT_LANGS.has(b.lang)) {
    return b.example ? `${where}: a \`\`\`${b.lang} block is output, it cannot be an example (${b.example})` : undefined;
  }
  if (!CODE_LANGS.has(b.lang)) {
    return `${where}: code block language ${JSON.stringify(b.lang)}: use one of ${[...CODE_LANGS, ...OUTPUT_LANGS].join(', ')}`;
  }
  if (EXEMPT.some((e) => e.file === b.file && e.code === b.code)) return undefined;
  if (!b.example) return `${where}: a \`\`\`${b.lang} block needs the line <!-- example: examples/<file> --> right before it`;
  const ext = b.example.slice(b.example.lastIndexOf('.') + 1);
  const want = b.lang === 'bash' ? 'sh' : b.lang === 'python' ? 'py' : b.lang;
  if (ext !== want) return `${where}: a \`\`\`${b.lang} block must name an examples/*.${want} file, got ${b.example}`;
  return undefined;
}
