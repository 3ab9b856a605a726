/**
 * Ctrl-C during long work: the first SIGINT asks the library to stop cleanly (the trainer writes a
 * checkpoint, the sampler keeps its complete shards), a second one exits at once.
 */
export function interruptible(info: (line: string) => void, what: string): { signal: AbortSignal; done(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    info(`\nstopping ${what} after the current step (press Ctrl-C again to quit now)…`);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, done: () => process.off('SIGINT', onSigint) };
}
