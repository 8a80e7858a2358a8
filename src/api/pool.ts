// A bounded pool: the listing fetches its remaining pages concurrently, but a 10,000-key account must
// not open a hundred connections at once.

/**
 * Runs `task(i)` for every i from `first` to `last`, starting them in order with at most `limit` in
 * flight. Once a task answers 'stop' or throws, no further task starts (those in flight finish); the
 * first error is rethrown.
 */
export async function runPool(
  first: number,
  last: number,
  limit: number,
  task: (index: number) => Promise<'continue' | 'stop'>,
): Promise<void> {
  let next = first;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && next <= last) {
      const index = next++;
      try {
        if ((await task(index)) === 'stop') stopped = true;
      } catch (err) {
        stopped = true;
        throw err;
      }
    }
  };
  const workers = Math.max(1, Math.min(limit, last - first + 1));
  await Promise.all(Array.from({ length: workers }, worker));
}
