/** The reason given to aborted signals: a DOMException named `AbortError`, as `fetch` expects. */
export function cancelReason(): unknown {
  return typeof DOMException === 'function'
    ? new DOMException('The task was cancelled', 'AbortError')
    : Object.assign(new Error('The task was cancelled'), { name: 'AbortError' });
}
