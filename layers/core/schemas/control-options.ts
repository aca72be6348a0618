import { z } from 'zod';
import { controlCatalog, type ControlDefinition } from '../catalog.js';
import { optionSchemaKit } from './option-kit.js';

// The option schemas of the control catalog, built from each control's builder over the option kit.

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
