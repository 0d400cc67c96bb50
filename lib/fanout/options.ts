import { describe } from '../internal/validate.js';

/** Checks that `options` is an object (or absent) and names any key it does not know. */
export function validateOptions(name: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`Expected \`${name}\` to be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`Unknown option \`${key}\` in \`${name}\`; expected one of ${known.map((k) => `\`${k}\``).join(', ')}`);
    }
  }
}
