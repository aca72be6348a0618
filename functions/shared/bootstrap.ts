import { randomBytes } from 'node:crypto';
import { defaultEnforcerGroups, enforcerSettingsSchema } from '../../layers/core/index.js';
import { ConflictError } from './errors.js';
import { hashSecret } from './http/auth.js';
import type { Runtime } from './runtime.js';
import type { ConfigChange } from './storage/ports.js';

const BOOTSTRAP_ACTOR = 'vigil:bootstrap';

/**
 * Creates what every installation starts with: the `default` and `default-ke` enforcer groups and the
 * enforcer settings with the two kube-system bypass entries (`Global` is built in, not stored).
 * Idempotent and safe to run concurrently: what exists is left alone.
 */
export async function bootstrap(runtime: Runtime): Promise<{ created: string[] }> {
  const store = runtime.configStore;
  const wanted: ConfigChange[] = [];
  for (const group of defaultEnforcerGroups) {
    if (await store.get('enforcerGroup', group.name)) continue;
    // Nobody knows this token: operators rotate it to obtain one (POST /v1/enforcer-groups/{name}/token).
    wanted.push({
      op: 'create',
      kind: 'enforcerGroup',
      name: group.name,
      doc: { ...group, tokenHash: hashSecret(randomBytes(32).toString('base64url')) },
    });
  }
  if (!(await store.get('settings', 'enforcer'))) {
    wanted.push({ op: 'create', kind: 'settings', name: 'enforcer', doc: enforcerSettingsSchema.parse({}) });
  }
  const created: string[] = [];
  for (const change of wanted) {
    try {
      await store.apply([change], BOOTSTRAP_ACTOR, 'bootstrap');
      created.push(`${change.kind}/${change.name}`);
    } catch (error) {
      // Another instance created it first: exactly what we wanted.
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  return { created };
}
