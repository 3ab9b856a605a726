import { GanControlError, type GanControlErrorConstructor } from '@gan-control/errors';

/** Stable error codes of `@gan-control/backend`; branch on `error.code`, never on `instanceof`. */
export type BackendErrorCode = 'BACKEND_UNKNOWN' | 'BACKEND_UNAVAILABLE' | 'BACKEND_INIT_FAILED' | 'NATIVE_BUILD_FAILED';

/** The project's error class (`@gan-control/errors`) with the backend's codes. */
export const BackendError: GanControlErrorConstructor<BackendErrorCode> = GanControlError;
export type BackendError = GanControlError<BackendErrorCode>;
