/**
 * `work`'s result, or `aborted` as soon as `signal` aborts, whichever comes first. The work goes on
 * either way (the caller gives back what it held, or lets it finish unobserved).
 */
export async function unlessAborted<T, M>(work: Promise<T>, signal: AbortSignal, aborted: M): Promise<T | M> {
  let onAbort = () => {};
  const abandoned = new Promise<M>((resolve) => {
    onAbort = () => resolve(aborted);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, abandoned]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
