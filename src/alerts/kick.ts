/**
 * Wakes a worker now rather than at its next tick: the ingest that queues an alert calls it after
 * its commit, so delivery starts within milliseconds. One run at a time; calls during a run ask for
 * one more run after it (nothing queued meanwhile waits for the tick).
 */
export type Kick = { (): void; idle: () => Promise<void> };

export function createKick(work: () => Promise<unknown>, onError: (error: unknown) => void): Kick {
  let running: Promise<void> | undefined;
  let again = false;
  const run = (): Promise<void> =>
    work()
      .then(
        () => undefined,
        (error: unknown) => onError(error),
      )
      .then(() => {
        if (!again) {
          running = undefined;
          return;
        }
        again = false;
        running = run();
        return running;
      });
  const kick = (() => {
    if (running) {
      again = true;
      return;
    }
    running = run();
  }) as Kick;
  kick.idle = async () => {
    while (running) await running;
  };
  return kick;
}
