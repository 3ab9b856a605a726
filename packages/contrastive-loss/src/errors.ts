import { GanControlError, type GanControlErrorConstructor } from '@gan-control/latent';

/** Stable codes of the errors the core (plugin contract, distances, the loss) throws. */
export type ContrastiveLossErrorCode =
  | 'PLUGIN_INVALID'
  | 'PLUGIN_API_VERSION'
  | 'PLUGIN_OPTIONS_INVALID'
  | 'PLUGIN_SETUP_FAILED'
  | 'ATTRIBUTE_INVALID'
  | 'ATTRIBUTE_NOT_FOUND'
  | 'ATTRIBUTE_LAYER_MISMATCH'
  | 'DISTANCE_INVALID'
  | 'DISTANCE_SHAPE_MISMATCH'
  | 'TERM_INVALID'
  | 'LOSS_INVALID'
  | 'LOSS_INPUT_INVALID'
  | 'LOSS_DUPLICATE_ATTRIBUTE'
  | 'LOSS_UNKNOWN_GROUP'
  | 'LOSS_UNCONTROLLED_GROUP';

/** The project's error class (`@gan-control/errors`) with the core's codes. */
export const ContrastiveLossError: GanControlErrorConstructor<ContrastiveLossErrorCode> = GanControlError;
export type ContrastiveLossError = GanControlError<ContrastiveLossErrorCode>;
