import { randomBytes } from 'node:crypto';
import { enforcerGroupSchema, type EnforcerGroup } from '../../../layers/core/index.js';
import { BadRequestError, ConflictError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { ifMatchVersion, pageRequest, versioned } from '../../shared/http/helpers.js';
import { hashSecret } from '../../shared/http/auth.js';
import { validate } from '../../shared/http/validation.js';
import { conflictWithRotation } from '../use-cases/create-replay.js';
import { functionRulesOfGroup } from '../use-cases/function-rules.js';
import type { ApiHandlers, ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import { listAll, withoutMeta } from '../../shared/storage/read-all.js';
import type { Stored } from '../../shared/storage/ports.js';
import { clustersToReissue, reissueWebhooks } from '../use-cases/webhook-issue.js';
import { mergePatchRoute, unchangedPutRoute } from '../use-cases/merge-patch-writes.js';
import { writeAtCurrentVersion } from '../use-cases/unguarded-writes.js';

/** Groups created on first start; clusters and agents fall back to them, so they cannot be deleted. */
export const builtInGroups = new Set(['default', 'default-ke']);

/** A new enforcer-group token: 32 random bytes; only its hash is stored. */
export function newGroupToken(): string {
  return `vigil_grp_${randomBytes(32).toString('base64url')}`;
}

/** A group as the API shows it: never the token hash. */
export function groupView(group: Stored<'enforcerGroup'>): EnforcerGroup & { version: number } {
  const { tokenHash: _hash, ...visible } = group;
  return visible;
}

/**
 * What a save of `group` tells about its clusters: manifests carry failMode, timeoutSeconds and exemptKubeSystem as
 * issued, so name the clusters whose manifests differ from the group (a cluster registered before Vigil recorded
 * them is taken to carry `previous`, the group before the save). Empty when there are none.
 */
async function reissueAdvice(
  runtime: Runtime,
  group: EnforcerGroup,
  previous: EnforcerGroup,
): Promise<{ clustersToReissue?: string[]; warnings?: string[] }> {
  if (group.type !== 'kube_enforcer') return {};
  const outdated = (await clustersToReissue(runtime, group.name, group, previous)).map((cluster) => cluster.name);
  if (outdated.length === 0) return {};
  return {
    clustersToReissue: outdated,
    warnings: [
      `the manifests of ${outdated.length} cluster${outdated.length === 1 ? '' : 's'} (${outdated.join(', ')}) still carry the group's previous failMode, timeoutSeconds or exemptKubeSystem: re-issue them with POST /v1/enforcer-groups/${group.name}/reissue (vigil groups reissue ${group.name}) and apply the new manifests`,
    ],
  };
}

/** Route handlers of /v1/enforcer-groups. */
export function groupRoutes(runtime: Runtime) {
  const store = runtime.configStore;
  const read = async (request: ApiRequest) => {
    const name = request.params.name ?? '';
    const group = await store.get('enforcerGroup', name);
    if (!group) throw new NotFoundError(`enforcer group "${name}" does not exist`);
    return groupView(group);
  };
  const replace = async (request: ApiRequest): Promise<ApiResponse> => {
    const name = request.params.name ?? '';
    const group = withoutMeta(validate(enforcerGroupSchema, request.body, 'the enforcer group'));
    if (group.name !== name) throw new BadRequestError(`the body names group "${group.name}" but the path names "${name}"`);
    const ifMatch = ifMatchVersion(request.headers);
    // Without If-Match the client asked to replace whatever is current: a concurrent edit is retried, not its 412.
    const { stored, replaced } = await writeAtCurrentVersion(ifMatch, async () => {
      const current = await store.get('enforcerGroup', name);
      if (!current) throw new NotFoundError(`enforcer group "${name}" does not exist`);
      if (current.type !== group.type)
        throw new ValidationError('the enforcer group is invalid', [
          {
            path: 'type',
            message: `cannot change from ${current.type} to ${group.type}: its enforcers would stop matching; create a new group`,
          },
        ]);
      const [written] = await store.apply(
        [
          {
            op: 'replace',
            kind: 'enforcerGroup',
            name,
            doc: { ...group, tokenHash: current.tokenHash },
            expectedVersion: ifMatch ?? current.version,
          },
        ],
        request.actor,
      );
      return { stored: current, replaced: written };
    });
    return versioned(200, { ...groupView(replaced as Stored<'enforcerGroup'>), ...(await reissueAdvice(runtime, group, stored)) });
  };
  // A group PUT or PATCH that changes nothing still names the clusters a save of it would.
  const advise = (_request: ApiRequest, current: object) => {
    const group = current as EnforcerGroup;
    return reissueAdvice(runtime, group, group);
  };
  return {
    'GET /v1/enforcer-groups': async (request: ApiRequest): Promise<ApiResponse> => {
      const page = await store.list('enforcerGroup', pageRequest(request.query));
      return { status: 200, body: { items: page.items.map(groupView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) } };
    },

    'POST /v1/enforcer-groups': async (request: ApiRequest): Promise<ApiResponse> => {
      const group = withoutMeta(validate(enforcerGroupSchema, request.body, 'the enforcer group'));
      const token = newGroupToken();
      const [created] = await store
        .apply([{ op: 'create', kind: 'enforcerGroup', name: group.name, doc: { ...group, tokenHash: hashSecret(token) } }], request.actor)
        .catch(conflictWithRotation(`get its token with POST /v1/enforcer-groups/${group.name}/token`));
      // The token is shown once, here; afterwards only its hash exists.
      return versioned(201, { ...groupView(created as Stored<'enforcerGroup'>), token });
    },

    'GET /v1/enforcer-groups/{name}': async (request: ApiRequest): Promise<ApiResponse> => versioned(200, await read(request)),

    'GET /v1/enforcer-groups/{name}/rules': async (request: ApiRequest): Promise<ApiResponse> => ({
      status: 200,
      body: await functionRulesOfGroup(runtime, request.params.name ?? '', request.query),
    }),

    'PUT /v1/enforcer-groups/{name}': unchangedPutRoute(read, replace, enforcerGroupSchema, advise),

    'PATCH /v1/enforcer-groups/{name}': mergePatchRoute(read, replace, enforcerGroupSchema, advise),

    'DELETE /v1/enforcer-groups/{name}': async (request: ApiRequest): Promise<ApiResponse> => {
      const name = request.params.name ?? '';
      if (builtInGroups.has(name)) throw new ConflictError(`enforcer group "${name}" is built in: clusters and agents fall back to it`);
      const clusters = (await listAll(store, 'cluster')).filter((cluster) => cluster.enforcerGroup === name).map((cluster) => cluster.name);
      if (clusters.length > 0)
        throw new ConflictError(
          `enforcer group "${name}" is used by cluster${clusters.length > 1 ? 's' : ''} ${clusters.map((c) => `"${c}"`).join(', ')}`,
        );
      await store.apply([{ op: 'delete', kind: 'enforcerGroup', name, expectedVersion: ifMatchVersion(request.headers) }], request.actor);
      return { status: 204 };
    },

    'POST /v1/enforcer-groups/{name}/reissue': async (request: ApiRequest): Promise<ApiResponse> => {
      const name = request.params.name ?? '';
      const group = await store.get('enforcerGroup', name);
      if (!group) throw new NotFoundError(`enforcer group "${name}" does not exist`);
      if (group.type !== 'kube_enforcer')
        throw new BadRequestError(`enforcer group "${name}" is of type ${group.type}; only kube_enforcer groups have clusters`);
      const reissued = await reissueWebhooks(runtime, await clustersToReissue(runtime, name, group), group, request.actor);
      // Each URL carries its new secret: shown once, here. The previous secrets stop working now.
      return {
        status: 200,
        body: {
          items: reissued.map(({ cluster, issued }) => ({
            name: cluster.name,
            enforcerGroup: cluster.enforcerGroup,
            version: cluster.version,
            webhookUrl: issued.url,
            manifest: issued.manifest,
            warnings: issued.warnings,
          })),
        },
      };
    },

    'POST /v1/enforcer-groups/{name}/token': async (request: ApiRequest): Promise<ApiResponse> => {
      const name = request.params.name ?? '';
      const stored = await store.get('enforcerGroup', name);
      if (!stored) throw new NotFoundError(`enforcer group "${name}" does not exist`);
      const token = newGroupToken();
      const [rotated] = await store.apply(
        [
          {
            op: 'replace',
            kind: 'enforcerGroup',
            name,
            doc: { ...withoutMeta(stored), tokenHash: hashSecret(token) },
            expectedVersion: stored.version,
          },
        ],
        request.actor,
        'rotate-token',
      );
      return versioned(200, { ...groupView(rotated as Stored<'enforcerGroup'>), token });
    },
  } satisfies ApiHandlers;
}
