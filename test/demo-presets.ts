// A demo preset's settings as the training page makes them: the form's values parsed by each field's
// rule (demo/fields.js), then the spec and fit settings demo/spec.js builds from them.
// @ts-expect-error: plain JavaScript module without declarations
import { FIELDS } from '../demo/fields.js';
// @ts-expect-error: plain JavaScript module without declarations
import { presetValues } from '../demo/settings.js';
// @ts-expect-error: plain JavaScript module without declarations
import { specFromValues } from '../demo/spec.js';
import type { TrainerSpec } from '../src/index.js';

export type PresetValues = Record<string, unknown> & { dataset: string; seed: number; optimizer: string; network: string };

/** Preset `name`'s spec, epochs and batch size, with the parsed form values. */
export function presetPlan(name: string): { spec: TrainerSpec; epochs: number; batchSize: number; values: PresetValues } {
  const raw = presetValues(name) as Record<string, unknown>;
  const values = {} as PresetValues;
  for (const field of FIELDS as { id: string; parse: (raw: unknown, values: Record<string, unknown>) => unknown }[]) {
    values[field.id] = field.parse(raw[field.id], raw);
  }
  return { ...specFromValues(values), values };
}
