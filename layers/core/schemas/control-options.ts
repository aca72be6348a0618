import { z } from 'zod';
import { controlCatalog, type ControlDefinition } from '../catalog.js';
import { nodeControlTraits } from '../node-policies/controls.js';
import { optionSchemaKit } from './option-kit.js';

// The option schemas of the control catalog, built from each control's builder over the option kit.

const built = new Map<ControlDefinition, z.ZodObject>();

/** The schema of a control's options besides `enabled` (built once per control). */
export function controlOptionsSchema(definition: ControlDefinition): z.ZodObject {
  let schema = built.get(definition);
  if (!schema) built.set(definition, (schema = definition.options(optionSchemaKit)));
  return schema;
}

/** How Tetragon applies a container or host control on nodes, as the catalog shows it. */
export interface NodeEnforcement {
  readonly engine: 'tetragon';
  /** `not-enforced`: nothing runs on nodes for it (admission applies it, or Tetragon cannot). */
  readonly fidelity: 'exact' | 'approximate' | 'not-enforced';
  readonly summary: string;
}

function nodeEnforcement(definition: ControlDefinition): NodeEnforcement | undefined {
  if (definition.policyType === 'function') return undefined;
  const traits = nodeControlTraits(definition.policyType, definition.key);
  if (!traits)
    return { engine: 'tetragon', fidelity: 'not-enforced', summary: 'applied by the admission webhook; nothing runs on nodes for it' };
  return { engine: 'tetragon', fidelity: traits.fidelity === 'impossible' ? 'not-enforced' : traits.fidelity, summary: traits.summary };
}

/** The catalog as plain JSON (what `GET /v1/controls` returns): option schemas as JSON Schema, and node enforcement. */
export function describeCatalog(): Array<Omit<ControlDefinition, 'options'> & { options: unknown; nodeEnforcement?: NodeEnforcement }> {
  return controlCatalog.map((c) => {
    const node = nodeEnforcement(c);
    return {
      ...c,
      options: z.toJSONSchema(controlOptionsSchema(c), { io: 'input', unrepresentable: 'any' }),
      ...(node ? { nodeEnforcement: node } : {}),
    };
  });
}
