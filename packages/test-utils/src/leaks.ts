import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link expectNoLeaks}. */
export interface LeakCheckOptions {
  /** Tensors `fn` is allowed to leave alive (for example the ones it returns). Default 0. */
  readonly allowed?: number;
  /** Names the check in the error message. */
  readonly label?: string;
}

/** Options of {@link trackTensors} and {@link trackPageTensors}. */
export interface TrackTensorsOptions {
  /** Names the checks in their error messages (an `expectAlive` label overrides it). */
  readonly label?: string;
}

/** What {@link trackTensors} returns: the live-tensor count when tracking started, checked later. */
export interface TensorTracker {
  /** Tensors alive now minus those alive when tracking started. */
  alive(): number;
  /** Throws unless exactly `expected` more tensors are alive than when tracking started. */
  expectAlive(expected: number, label?: string): void;
}

/** What {@link trackPageTensors} returns: {@link TensorTracker}, counted in a browser page. */
export interface PageTensorTracker {
  /** Tensors alive in the page now minus those alive when tracking started. */
  alive(): Promise<number>;
  /** Rejects unless exactly `expected` more tensors are alive in the page than when tracking started. */
  expectAlive(expected: number, label?: string): Promise<void>;
}

/**
 * A browser page whose TensorFlow.js is `window.tf` (playwright-core's `Page` fits). Typed by
 * shape so that this package does not depend on playwright.
 */
export interface TfPage {
  evaluate(fn: () => number): Promise<number>;
}

const liveTensors = (): number => tf.memory().numTensors;

/** Runs in the page (playwright serialises it), so it names nothing outside itself. */
const pageLiveTensors = (): number => (globalThis as unknown as { tf: { memory(): { numTensors: number } } }).tf.memory().numTensors;

function check(before: number, after: number, expected: number, label: string | undefined, since: string): void {
  if (after - before !== expected) {
    const what = label ? ` in ${label}` : '';
    throw new Error(
      `Tensor leak${what}: ${after - before} tensor(s) more alive ${since} (expected ${expected}; before ${before}, after ${after}). ` +
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
  const before = liveTensors();
  const since = 'after the call than before';
  const result = fn();
  if (result instanceof Promise) {
    return result.then((value) => {
      check(before, liveTensors(), options.allowed ?? 0, options.label, since);
      return value;
    }) as T;
  }
  check(before, liveTensors(), options.allowed ?? 0, options.label, since);
  return result;
}

/**
 * The second form of {@link expectNoLeaks}, for a flow that is not one call: counts the live
 * tensors now, and `expectAlive(n)` throws unless exactly `n` more are alive later — at several
 * points of one flow, or between a setup and a teardown that sit in different statements.
 * Framework-agnostic: a failed check throws.
 *
 * @example
 * ```ts
 * const leaks = trackTensors();
 * const start = encoderStart(controller, target, attributes);
 * leaks.expectAlive(0); // the start holds no tensor
 * const r = await projectImage(generator, target, { start });
 * leaks.expectAlive(1, 'the projected image'); // r.image only
 * r.image.dispose();
 * leaks.expectAlive(0);
 * ```
 */
export function trackTensors(options: TrackTensorsOptions = {}): TensorTracker {
  const before = liveTensors();
  return {
    alive: () => liveTensors() - before,
    expectAlive: (expected, label = options.label) => check(before, liveTensors(), expected, label, 'than when tracking started'),
  };
}

/**
 * {@link trackTensors} for the TensorFlow.js of a browser page (`window.tf`), counted through
 * `page.evaluate`: for end-to-end tests, where the tensors live in the page, not in the test.
 *
 * @example
 * ```ts
 * const leaks = await trackPageTensors(page); // playwright-core Page
 * await move(page, 'color.hue', 200);
 * await leaks.expectAlive(0, 'the page'); // no tensor survives a frame
 * ```
 */
export async function trackPageTensors(page: TfPage, options: TrackTensorsOptions = {}): Promise<PageTensorTracker> {
  const before = await page.evaluate(pageLiveTensors);
  return {
    alive: async () => (await page.evaluate(pageLiveTensors)) - before,
    expectAlive: async (expected, label = options.label) =>
      check(before, await page.evaluate(pageLiveTensors), expected, label, 'in the page than when tracking started'),
  };
}
