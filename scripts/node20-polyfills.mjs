// Vitest 5's reporter calls Map.groupBy (Node >= 21) when it prints failures; on Node 20 that
// crash hides the failure messages. Loaded with NODE_OPTIONS=--import by scripts/test.mjs.
if (typeof Map.groupBy !== 'function') {
  Map.groupBy = (items, key) => {
    const m = new Map();
    let i = 0;
    for (const it of items) {
      const k = key(it, i++);
      if (!m.has(k)) m.set(k, []);
      m.get(k).push(it);
    }
    return m;
  };
}
if (typeof Object.groupBy !== 'function') {
  Object.groupBy = (items, key) => Object.fromEntries(Map.groupBy(items, key));
}
