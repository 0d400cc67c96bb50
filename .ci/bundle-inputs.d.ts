/** The input files of a minified ESM browser bundle of `app` (see bundle-inputs.js). */
export function bundleInputs(app: string, options: { resolveDir: string; alias?: Record<string, string> }): string[];
/** The input files of a minified ESM browser bundle of `app`, each with the bytes it adds to the bundle (see bundle-inputs.js). */
export function bundleBytes(app: string, options: { resolveDir: string; alias?: Record<string, string> }): Record<string, number>;
