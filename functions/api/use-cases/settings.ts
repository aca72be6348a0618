import { enforcerSettingsSchema, type EnforcerSettings } from '../../../layers/core/index.js';
import type { Runtime } from '../../shared/runtime.js';

/** The one settings item: the global bypass and enforcer settings. */
export const SETTINGS_NAME = 'enforcer';

/** The stored settings, or the defaults before the first write. */
export async function currentSettings(runtime: Runtime): Promise<EnforcerSettings & { version: number }> {
  const stored = await runtime.configStore.get('settings', SETTINGS_NAME);
  return stored ?? { ...enforcerSettingsSchema.parse({}), version: 0 };
}
