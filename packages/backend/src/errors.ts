/** Stable error codes of `@gan-control/backend`; branch on `error.code`, never on `instanceof`. */
export type BackendErrorCode = 'BACKEND_UNKNOWN' | 'BACKEND_UNAVAILABLE' | 'BACKEND_INIT_FAILED' | 'NATIVE_BUILD_FAILED';

/** An error raised by `@gan-control/backend`. */
export class BackendError extends Error {
  readonly code: BackendErrorCode;
  constructor(code: BackendErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackendError';
    this.code = code;
  }
}
