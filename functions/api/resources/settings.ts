import { enforcerSettingsSchema, type EnforcerSettings } from '../../../layers/core/index.js';
import { ifMatchVersion, versioned } from '../../shared/http/helpers.js';
import { validate } from '../../shared/http/validation.js';
import type { ApiHandlers, ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { withoutMeta } from '../../shared/storage/read-all.js';
import { currentSettings, SETTINGS_NAME } from '../use-cases/settings.js';
import { mergePatchRoute, unchangedPutRoute } from '../use-cases/merge-patch-writes.js';
import { writeAtCurrentVersion } from '../use-cases/unguarded-writes.js';

/** Route handlers of /v1/settings/enforcer. */
export function settingsRoutes(runtime: Runtime) {
  const replace = async (request: ApiRequest): Promise<ApiResponse> => {
    const settings = withoutMeta(validate(enforcerSettingsSchema, request.body, 'the settings'));
    const ifMatch = ifMatchVersion(request.headers);
    const [saved] = await writeAtCurrentVersion(ifMatch, async () => {
      const current = await currentSettings(runtime);
      const expectedVersion = ifMatch ?? current.version;
      const change =
        current.version === 0 && expectedVersion === 0
          ? ({ op: 'create', kind: 'settings', name: SETTINGS_NAME, doc: settings } as const)
          : ({ op: 'replace', kind: 'settings', name: SETTINGS_NAME, doc: settings, expectedVersion } as const);
      return await runtime.configStore.apply([change], request.actor);
    });
    return versioned(200, saved as EnforcerSettings & { version: number });
  };
  return {
    'GET /v1/settings/enforcer': async (): Promise<ApiResponse> => versioned(200, await currentSettings(runtime)),

    'PUT /v1/settings/enforcer': unchangedPutRoute(() => currentSettings(runtime), replace, enforcerSettingsSchema),

    'PATCH /v1/settings/enforcer': mergePatchRoute(() => currentSettings(runtime), replace, enforcerSettingsSchema),
  } satisfies ApiHandlers;
}
