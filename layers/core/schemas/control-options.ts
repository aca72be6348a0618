import { z } from 'zod';
import { controlCatalog, type ControlDefinition } from '../catalog.js';
import { globListSchema } from './common.js';

// The option schemas of the control catalog. The catalog describes each control's options as a builder
// over this kit, so that reading the catalog (the engine does, at every cold start) loads no zod.

// Booleans default to the safer choice: an enabled privilege limit checks everything it can.
const saferTrue = z.boolean().default(true);
const portRangeSchema = z
  .string()
  .regex(/^\d{1,5}(?:-\d{1,5})?$/, 'must be a port ("22") or a range ("1000-2000")')
  .refine((value) => value.split('-').every((port) => Number(port) >= 0 && Number(port) <= 65535), 'ports lie between 0 and 65535');
const portListSchema = z.array(portRangeSchema).max(1000).default([]);
const capabilityListSchema = z
  .array(z.string().regex(/^(?:CAP_)?[A-Z][A-Z0-9_]{0,63}$/, 'must be a Linux capability name such as NET_ADMIN'))
  .max(64)
  .default([]);

/** What the catalog's option builders are given: zod and the option types controls share. */
export const optionSchemaKit = {
  z,
  globList: globListSchema,
  saferTrue,
  portList: portListSchema,
  capabilityList: capabilityListSchema,
  /** The options of a control that has none besides `enabled`. */
  none: z.strictObject({}),
} as const;
export type OptionSchemaKit = typeof optionSchemaKit;

const built = new Map<ControlDefinition, z.ZodObject>();

/** The schema of a control's options besides `enabled` (built once per control). */
export function controlOptionsSchema(definition: ControlDefinition): z.ZodObject {
  let schema = built.get(definition);
  if (!schema) built.set(definition, (schema = definition.options(optionSchemaKit)));
  return schema;
}

/** The catalog as plain JSON (what `GET /v1/controls` returns): option schemas as JSON Schema. */
export function describeCatalog(): Array<Omit<ControlDefinition, 'options'> & { options: unknown }> {
  return controlCatalog.map((c) => ({ ...c, options: z.toJSONSchema(controlOptionsSchema(c), { io: 'input', unrepresentable: 'any' }) }));
}
