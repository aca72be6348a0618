import { z } from 'zod';
import { globListSchema } from './common.js';

// The kit the control catalog builds its option schemas from. It lives apart from the catalog (which
// must load no zod: the engine reads it at every cold start) and from control-options.ts (which reads the
// catalog), so that the catalog only needs this module's type and no import cycle forms.

// Booleans default to the safer choice: an enabled privilege limit checks everything it can.
const saferTrue = z.boolean().default(true);
const portRangeSchema = z
  .string()
  // eslint-disable-next-line security/detect-unsafe-regex -- fixed width: at most 5 digits on each side of one optional "-"
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
