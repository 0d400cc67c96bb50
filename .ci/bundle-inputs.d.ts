/** The input files of a minified ESM browser bundle of `app` (see bundle-inputs.js). */
export function bundleInputs(app: string, options: { resolveDir: string; alias?: Record<string, string> }): string[];
