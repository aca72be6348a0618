import { enforcerSettingsSchema, type EnforcerSettings } from '../../../layers/core/index.js';
import { ifMatchVersion, versioned } from '../../shared/http/helpers.js';
import { validate } from '../../shared/http/middleware.js';
import type { ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { withoutMeta } from '../../shared/storage/read-all.js';

export const SETTINGS_NAME = 'enforcer';

/** The stored settings, or the defaults before the first write. */
export async function currentSettings(runtime: Runtime): Promise<EnforcerSettings & { version: number }> {
  const stored = await runtime.configStore.get('settings', SETTINGS_NAME);
  return stored ?? { ...enforcerSettingsSchema.parse({}), version: 0 };
}

/** Route handlers of /v1/settings/enforcer. */
export function settingsRoutes(runtime: Runtime) {
  return {
    'GET /v1/settings/enforcer': async (): Promise<ApiResponse> => versioned(200, await currentSettings(runtime)),

    'PUT /v1/settings/enforcer': async (request: ApiRequest): Promise<ApiResponse> => {
      const settings = withoutMeta(validate(enforcerSettingsSchema, request.body, 'the settings'));
      const current = await currentSettings(runtime);
      const expectedVersion = ifMatchVersion(request.headers) ?? current.version;
      const change =
        current.version === 0 && expectedVersion === 0
          ? ({ op: 'create', kind: 'settings', name: SETTINGS_NAME, doc: settings } as const)
          : ({ op: 'replace', kind: 'settings', name: SETTINGS_NAME, doc: settings, expectedVersion } as const);
      const [saved] = await runtime.configStore.apply([change], request.actor);
      return versioned(200, saved as EnforcerSettings & { version: number });
    },
  };
}
