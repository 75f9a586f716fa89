// Runtime-neutral reference smoke for the `contrastive` package: no imports, no file system, no
// globals beyond ECMAScript + WebAssembly, so workerd, Deno, Bun, Node and browsers can all run it.
//
//   const summary = await smoke(lib, cases);   // throws on any mismatch
//
// `lib` is the package's module namespace (whichever entry the runtime resolves); `cases` is the
// object written by make-cases.mjs ({ family: [reference case, ...] }). Compared as documented
// in the reference README:
//   |loss - loss_value| <= loss_atol + loss_rtol * |loss_value|
//   max |grad - ref|    <= grad_atol            (every input)
//   |dtau - grads.tau|  <= tau_grad_atol

const matrix = (data, [rows, cols]) => ({ data: Float32Array.from(data), rows, cols });

/** How each reference family maps onto the API: the call, and library grad name -> reference input name. */
const FAMILY = {
  ntxent: {
    run: (lib, c, grad) => lib.ntXent(m(c, 'a'), m(c, 'b'), { temperature: c.tau, grad }),
    grads: { a: 'a', b: 'b' },
  },
  infonce: {
    run: (lib, c, grad) => lib.infoNce(m(c, 'q'), m(c, 'k'), { temperature: c.tau, grad }),
    grads: { query: 'q', key: 'k' },
  },
  infonce_symmetric: {
    run: (lib, c, grad) => lib.infoNce(m(c, 'q'), m(c, 'k'), { temperature: c.tau, symmetric: true, grad }),
    grads: { query: 'q', key: 'k' },
  },
  infonce_negatives: {
    run: (lib, c, grad) => lib.infoNce(m(c, 'q'), m(c, 'p'), { temperature: c.tau, negatives: m(c, 'neg'), grad }),
    grads: { query: 'q', key: 'p', negatives: 'neg' },
  },
  supcon: {
    run: (lib, c, grad) => lib.supCon(m(c, 'z'), c.labels, { temperature: c.tau, grad }),
    grads: { z: 'z' },
  },
};

function m(c, name) {
  return matrix(c.inputs[name], c.shapes[name]);
}

function maxAbsDiff(got, want) {
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    if (!(d <= worst)) worst = d; // NaN propagates as the worst
  }
  return worst;
}

const fmt = (x) => (typeof x === 'number' ? x.toPrecision(4) : String(x));

/**
 * Runs the smoke. Returns { variant, version, memoryBytes, cases, checks, worstRatio, results }
 * where a ratio is error / tolerance (<= 1 passes). Throws an Error listing every failure.
 */
export async function smoke(lib, cases) {
  const failures = [];
  const results = [];
  let checks = 0;
  const check = (ok, what) => {
    checks++;
    if (!ok) failures.push(what);
  };

  for (const name of ['init', 'runtimeInfo', 'ntXent', 'infoNce', 'supCon', 'cosineSimilarity', 'ContrastiveError']) {
    if (typeof lib[name] !== 'function') throw new Error(`smoke: the package has no export ${name}`);
  }
  await lib.init();
  const info = lib.runtimeInfo();
  check(info.variant === 'simd128' || info.variant === 'relaxed', `runtimeInfo().variant is ${info.variant}`);
  check(typeof info.version === 'string' && info.version.length > 0, `runtimeInfo().version is ${info.version}`);
  check(Number.isInteger(info.memoryBytes) && info.memoryBytes > 0, `runtimeInfo().memoryBytes is ${info.memoryBytes}`);

  let count = 0;
  for (const [family, list] of Object.entries(cases)) {
    const spec = FAMILY[family];
    if (!spec) throw new Error(`smoke: unknown family ${family}`);
    for (const c of list) {
      count++;
      const id = `${family}/${c.name}`;
      const { tol } = c;
      let ratio = 0;
      let r;
      try {
        r = spec.run(lib, c, true);
      } catch (e) {
        failures.push(`${id}: threw ${e && e.name}: ${e && e.message}`);
        continue;
      }
      const lossErr = Math.abs(r.loss - c.loss_value);
      const lossTol = tol.loss_atol + tol.loss_rtol * Math.abs(c.loss_value);
      check(lossErr <= lossTol, `${id}: loss ${fmt(r.loss)} vs ${fmt(c.loss_value)} (err ${fmt(lossErr)} > ${fmt(lossTol)})`);
      ratio = Math.max(ratio, lossErr / lossTol);

      const tauErr = Math.abs(r.dTemperature - c.grads.tau);
      check(tauErr <= tol.tau_grad_atol, `${id}: dTemperature ${fmt(r.dTemperature)} vs ${fmt(c.grads.tau)} (err ${fmt(tauErr)} > ${fmt(tol.tau_grad_atol)})`);
      ratio = Math.max(ratio, tauErr / tol.tau_grad_atol);

      for (const [libName, refName] of Object.entries(spec.grads)) {
        const g = r.grads && r.grads[libName];
        const [rows, cols] = c.shapes[refName];
        if (!g || !(g.data instanceof Float32Array) || g.rows !== rows || g.cols !== cols || g.data.length !== rows * cols) {
          failures.push(`${id}: grads.${libName} missing or not a ${rows}x${cols} Float32Array matrix`);
          continue;
        }
        const err = maxAbsDiff(g.data, c.grads[refName]);
        check(err <= tol.grad_atol, `${id}: grads.${libName} max err ${fmt(err)} > ${fmt(tol.grad_atol)}`);
        ratio = Math.max(ratio, err / tol.grad_atol);
      }

      // The forward-only path gives the same loss and no gradients.
      const f = spec.run(lib, c, false);
      check(Math.abs(f.loss - c.loss_value) <= lossTol, `${id}: grad:false loss ${fmt(f.loss)} vs ${fmt(c.loss_value)}`);
      check(f.grads === undefined, `${id}: grad:false returned grads`);

      results.push({ case: id, ratio });
    }
  }

  // cosineSimilarity against the reference cosine matrix of the NT-Xent hand case (z = [a; b]).
  const hand = (cases.ntxent || []).find((c) => c.cos && c.tags && c.tags.includes('hand'));
  if (hand) {
    const [n, d] = hand.shapes.a;
    const z = matrix([...hand.inputs.a, ...hand.inputs.b], [2 * n, d]);
    const cos = lib.cosineSimilarity(z);
    const err = cos.rows === 2 * n && cos.cols === 2 * n ? maxAbsDiff(cos.data, hand.cos) : NaN;
    check(err <= 1e-6, `cosineSimilarity(ntxent/${hand.name}) max err ${fmt(err)} > 1e-6`);
  }

  // One typed error: a NaN input is refused with code NON_FINITE before any kernel runs.
  let caught;
  try {
    lib.ntXent(
      { data: new Float32Array([1, 0, 0, NaN, 2, 0]), rows: 2, cols: 3 },
      { data: new Float32Array([1, 1, 0, 0, 1, -1]), rows: 2, cols: 3 },
      { temperature: 0.5 },
    );
  } catch (e) {
    caught = e;
  }
  check(caught instanceof lib.ContrastiveError, `NaN input: expected a ContrastiveError, got ${caught && caught.name}: ${caught && caught.message}`);
  check(caught !== undefined && caught.code === 'NON_FINITE', `NaN input: expected code NON_FINITE, got ${caught && caught.code}`);
  check(caught !== undefined && caught.name === 'ContrastiveError', `NaN input: error name is ${caught && caught.name}`);

  if (failures.length > 0) {
    throw new Error(`smoke: ${failures.length} of ${checks} checks failed (variant ${info.variant}):\n  ${failures.join('\n  ')}`);
  }
  const worstRatio = results.reduce((w, r) => Math.max(w, r.ratio), 0);
  return { variant: info.variant, version: info.version, memoryBytes: lib.runtimeInfo().memoryBytes, cases: count, checks, worstRatio, results };
}

/** One line for logs: what ran and how close to the tolerances it came. */
export function summaryLine(summary) {
  return `contrastive ${summary.version} variant=${summary.variant} cases=${summary.cases} checks=${summary.checks} worst=${summary.worstRatio.toFixed(3)}x tol`;
}
