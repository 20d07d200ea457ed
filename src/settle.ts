/**
 * Waits for every step, then fails with the first failure, in the order
 * given: a step still running must not print after the error, nor lose its
 * connection when the run closes the clients, nor reject unobserved.
 */
export async function settle<T extends unknown[]>(steps: {
  [K in keyof T]: Promise<T[K]>;
}): Promise<T> {
  const results = await Promise.allSettled(steps);
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure) throw failure.reason;
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as T;
}
