import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link expectNoLeaks}. */
export interface LeakCheckOptions {
  /** Tensors `fn` is allowed to leave alive (for example the ones it returns). Default 0. */
  readonly allowed?: number;
  /** Names the check in the error message. */
  readonly label?: string;
}

function check(before: number, options: LeakCheckOptions): void {
  const after = tf.memory().numTensors;
  const allowed = options.allowed ?? 0;
  if (after - before !== allowed) {
    const what = options.label ? ` in ${options.label}` : '';
    throw new Error(
      `Tensor leak${what}: ${after - before} tensor(s) more alive after the call than before (expected ${allowed}; before ${before}, after ${after}). ` +
        'Wrap synchronous math in tf.tidy, and dispose intermediates by hand around awaits.',
    );
  }
}

/**
 * Runs `fn` (sync or async) and throws when the number of live tensors
 * (`tf.memory().numTensors`) changed by anything other than `options.allowed`. Returns what
 * `fn` returns (a Promise when `fn` is async). Framework-agnostic: a failed check throws.
 *
 * @example
 * ```ts
 * await expectNoLeaks(async () => {
 *   const d = pairwiseDistances(x, 'l2');
 *   await d.data();
 *   d.dispose();
 * });
 * const y = expectNoLeaks(() => tf.tidy(() => tf.add(x, 1)), { allowed: 1 }); // returns y
 * ```
 */
export function expectNoLeaks<T>(fn: () => T, options: LeakCheckOptions = {}): T {
  const before = tf.memory().numTensors;
  const result = fn();
  if (result instanceof Promise) {
    return result.then((value) => {
      check(before, options);
      return value;
    }) as T;
  }
  check(before, options);
  return result;
}
