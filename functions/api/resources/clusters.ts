import { z } from 'zod';
import { resourceNameSchema } from '../../../layers/core/index.js';
import { ConflictError, NotFoundError, ValidationError } from '../../shared/errors.js';
import { ifMatchVersion, pageRequest, versioned } from '../../shared/http/helpers.js';
import { validate } from '../../shared/http/validation.js';
import { conflictWithRotation } from '../use-cases/create-replay.js';
import type { ApiHandlers, ApiRequest, ApiResponse } from '../../shared/http/types.js';
import type { Runtime } from '../../shared/runtime.js';
import type { ClusterRecord, Stored } from '../../shared/storage/ports.js';
import { nodePoliciesYaml, previewNodePolicies } from '../use-cases/node-policies.js';
import { issueWebhook, reissueWebhooks, withIssued, type IssuedWebhook } from '../use-cases/webhook-issue.js';
import { issueNodeAgents, nodeAgentRequestSchema, nodeAgentTokenHash, rotateNodeAgentToken } from '../use-cases/node-agent-issue.js';

const eksArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:eks:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/,
    'must be an EKS cluster ARN, e.g. arn:aws:eks:eu-west-1:111122223333:cluster/prod',
  );

const registrationSchema = z.strictObject({
  // Cluster names end up in URLs, manifests and DynamoDB keys: the EKS rules, no spaces.
  name: resourceNameSchema.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'may contain only letters, digits, ".", "_" and "-"'),
  arn: eksArn.optional(),
  enforcerGroup: resourceNameSchema.default('default-ke'),
  nodeAgent: nodeAgentRequestSchema,
});

/** A cluster as the API shows it: never the secret or token hashes. */
function clusterView(cluster: Stored<'cluster'>): Omit<Stored<'cluster'>, 'secretHash' | 'nodeAgentTokenHash'> {
  const { secretHash: _hash, nodeAgentTokenHash: _tokenHash, ...visible } = cluster;
  return visible;
}

/** Route handlers of /v1/clusters: registration returns the webhook URL and manifest once. */
export function clusterRoutes(runtime: Runtime) {
  const store = runtime.configStore;

  const kubeGroup = async (name: string, path: string) => {
    const group = await store.get('enforcerGroup', name);
    if (!group) throw new ValidationError('unknown enforcer group', [{ path, message: `enforcer group "${name}" does not exist` }]);
    if (group.type !== 'kube_enforcer')
      throw new ValidationError('wrong enforcer group type', [
        { path, message: `enforcer group "${name}" is of type ${group.type}; clusters need a kube_enforcer group` },
      ]);
    return group;
  };

  const agentGroup = async (name: string, path: string) => {
    const group = await store.get('enforcerGroup', name);
    if (!group) throw new ValidationError('unknown enforcer group', [{ path, message: `enforcer group "${name}" does not exist` }]);
    if (group.type !== 'agent')
      throw new ValidationError('wrong enforcer group type', [
        { path, message: `enforcer group "${name}" is of type ${group.type}; node agents need an agent group` },
      ]);
    return group;
  };

  return {
    'GET /v1/clusters': async (request: ApiRequest): Promise<ApiResponse> => {
      const page = await store.list('cluster', pageRequest(request.query));
      return { status: 200, body: { items: page.items.map(clusterView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) } };
    },

    'POST /v1/clusters': async (request: ApiRequest): Promise<ApiResponse> => {
      const registration = validate(registrationSchema, request.body, 'the cluster registration');
      const group = await kubeGroup(registration.enforcerGroup, 'enforcerGroup');
      if (registration.nodeAgent) await agentGroup(registration.nodeAgent.enforcerGroup, 'nodeAgent.enforcerGroup');
      const details = registration.arn ? await runtime.describeCluster(registration.arn) : {};
      if (registration.arn && details.name !== undefined && details.name !== registration.name) {
        throw new ValidationError('the ARN names another cluster', [
          { path: 'arn', message: `the ARN is of cluster "${details.name}", not "${registration.name}"` },
        ]);
      }
      const { url, warnings, manifest, ...issued } = issueWebhook(runtime, registration.name, group);
      const agents = registration.nodeAgent ? issueNodeAgents(runtime, registration.name, registration.nodeAgent) : undefined;
      const webhookRecord: ClusterRecord = withIssued(
        {
          name: registration.name,
          enforcerGroup: group.name,
          secretHash: '',
          ...(registration.arn ? { arn: registration.arn } : {}),
          ...details,
        },
        { url, warnings, manifest, ...issued },
      );
      const record: ClusterRecord = agents
        ? { ...webhookRecord, nodeAgent: agents.settings, nodeAgentTokenHash: nodeAgentTokenHash(agents) }
        : webhookRecord;
      const [created] = await store
        .apply([{ op: 'create', kind: 'cluster', name: registration.name, doc: record }], request.actor)
        .catch(conflictWithRotation(`get its webhook URL with POST /v1/clusters/${registration.name}/secret`));
      // The URL carries the secret and the node-agent manifest the token: shown once, here; afterwards only hashes exist.
      return versioned(201, {
        ...clusterView(created as Stored<'cluster'>),
        webhookUrl: url,
        manifest,
        warnings: [...warnings, ...(agents?.warnings ?? [])],
        ...(agents
          ? {
              nodeAgent: {
                ...agents.settings,
                token: agents.token,
                manifest: agents.manifest,
                tetragonValues: agents.tetragonValues,
              },
            }
          : {}),
      });
    },

    'GET /v1/clusters/{name}': async (request: ApiRequest): Promise<ApiResponse> => {
      const name = request.params.name ?? '';
      const cluster = await store.get('cluster', name);
      if (!cluster) throw new NotFoundError(`cluster "${name}" is not registered`);
      return versioned(200, clusterView(cluster));
    },

    'DELETE /v1/clusters/{name}': async (request: ApiRequest): Promise<ApiResponse> => {
      await store.apply(
        [{ op: 'delete', kind: 'cluster', name: request.params.name ?? '', expectedVersion: ifMatchVersion(request.headers) }],
        request.actor,
      );
      return { status: 204 };
    },

    'POST /v1/clusters/{name}/secret': async (request: ApiRequest): Promise<ApiResponse> => {
      const name = request.params.name ?? '';
      const stored = await store.get('cluster', name);
      if (!stored) throw new NotFoundError(`cluster "${name}" is not registered`);
      const group = await store.get('enforcerGroup', stored.enforcerGroup);
      if (!group) throw new ConflictError(`the cluster's enforcer group "${stored.enforcerGroup}" no longer exists`);
      // Re-issues the manifest as well: it carries the group's settings as they are now.
      const [{ cluster: rotated, issued }] = (await reissueWebhooks(runtime, [stored], group, request.actor)) as [
        { cluster: Stored<'cluster'>; issued: IssuedWebhook },
      ];
      return versioned(200, { ...clusterView(rotated), webhookUrl: issued.url, manifest: issued.manifest, warnings: issued.warnings });
    },

    'POST /v1/clusters/{name}/node-agent-token': async (request: ApiRequest): Promise<ApiResponse> => {
      const name = request.params.name ?? '';
      const stored = await store.get('cluster', name);
      if (!stored) throw new NotFoundError(`cluster "${name}" is not registered`);
      const { cluster, settings, token, manifest } = await rotateNodeAgentToken(runtime, stored, request.actor);
      // Shown once, here: afterwards only the hash exists.
      return versioned(200, { ...clusterView(cluster), nodeAgent: { ...settings, token, manifest } });
    },

    'GET /v1/clusters/{name}/node-policies': async (request: ApiRequest): Promise<ApiResponse> => {
      const group = request.query.group;
      if (group !== undefined && !resourceNameSchema.safeParse(group).success)
        throw new ValidationError('invalid query parameter', [{ path: 'group', message: 'must be the name of an enforcer group' }]);
      const preview = await previewNodePolicies(runtime, request.params.name ?? '', group);
      if (wantsYaml(request.headers.accept))
        return { status: 200, text: nodePoliciesYaml(preview), headers: { 'content-type': 'application/yaml; charset=utf-8' } };
      return { status: 200, body: preview };
    },
  } satisfies ApiHandlers;
}

/** YAML when the client asks for it and not for JSON first (`Accept: application/yaml`, also the older x-yaml and text/yaml). */
function wantsYaml(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((part) => part.split(';')[0]!.trim().toLowerCase());
  const yaml = types.findIndex((type) => type === 'application/yaml' || type === 'application/x-yaml' || type === 'text/yaml');
  const json = types.findIndex((type) => type === 'application/json');
  return yaml >= 0 && (json < 0 || yaml < json);
}
