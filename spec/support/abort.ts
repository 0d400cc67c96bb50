/**
 * Counts `new AbortController()` calls while installed, to prove signals are created lazily.
 * Call the returned `restore()` when done (use in `afterEach` or `try/finally`).
 */
export function countAbortControllers(): { readonly created: number; restore(): void } {
  const Original = globalThis.AbortController;
  const counter = { created: 0 };
  class Counting extends Original {
    constructor() {
      super();
      counter.created++;
    }
  }
  globalThis.AbortController = Counting;
  return {
    get created() {
      return counter.created;
    },
    restore() {
      globalThis.AbortController = Original;
    },
  };
}
