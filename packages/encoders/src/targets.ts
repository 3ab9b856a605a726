import { AttributeEncoder } from './encoder.js';
import type { Controller } from './controller.js';
import { EncodersError } from './errors.js';
import { bindMeasured } from './evaluate.js';
import type { Measured } from './evaluate.js';
import type { AttributeBinding } from './model.js';

/**
 * The encoders a post-training step works on (`calibrateEncoders`, `refineEncoders`), each with
 * the attribute runtime that measures it: every controlled attribute whose encoder is an
 * `AttributeEncoder` of at most 4 values, or exactly the names in `only` (an unknown name, one
 * without a runtime, or one that cannot be handled is an error naming it).
 */
export function valueEncoderTargets(
  controller: Controller,
  attributes: AttributeBinding,
  only: readonly string[] | undefined,
  caller: string,
  done: string,
): { m: Measured; enc: AttributeEncoder }[] {
  const measured = bindMeasured(attributes);
  for (const name of only ?? []) {
    controller.encoder(name); // an unknown name: the controller's error lists what it controls
    if (!measured.some((m) => m.key === name)) {
      throw new EncodersError(
        'ENCODERS_NO_MEASURE',
        `${caller}: only names '${name}', but no attribute runtime with that name was given; given: ${measured.map((m) => m.key).join(', ')}`,
      );
    }
  }
  const controlled = new Set(controller.encoders.flatMap((e) => [e.attribute, e.group])); // the names controller.encoder() accepts
  const targets: { m: Measured; enc: AttributeEncoder }[] = [];
  for (const m of measured) {
    if (only ? !only.includes(m.key) : !controlled.has(m.key)) continue;
    const enc = controller.encoder(m.key);
    if (!(enc instanceof AttributeEncoder) || enc.values.length > 4) {
      if (!only) continue; // embeddings and foreign encoders are left alone
      throw new EncodersError(
        'ENCODERS_INVALID_OPTIONS',
        `${caller}: '${m.key}' cannot be ${done} (${enc instanceof AttributeEncoder ? `${enc.values.length} values; at most 4` : 'not an AttributeEncoder'})`,
      );
    }
    if (enc.values.length !== m.values.length) {
      throw new EncodersError(
        'ENCODERS_SHAPE_MISMATCH',
        `attribute '${m.key}' measures ${m.values.length} values but its encoder takes ${enc.values.length}`,
      );
    }
    targets.push({ m, enc });
  }
  return targets;
}
