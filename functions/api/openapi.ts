import { z } from 'zod';
import {
  applicationScopeSchema,
  auditEventSchema,
  enforcerGroupSchema,
  enforcerSettingsSchema,
  exportDocumentSchema,
  MAX_AUDIT_EVENT_BYTES,
  policySchema,
} from '../../layers/core/index.js';
import { clientEventSchema, registerSchema } from '../shared/enforcer/schemas.js';
import { routes, type RouteDefinition } from '../shared/routes.js';

// The document is generated from the same zod schemas that validate requests, so the contract and the
// validation cannot drift apart.

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as JsonSchema;
  delete json.$schema;
  return json;
}

/** The export document; its enforcer groups are checked one by one as PUT /v1/enforcer-groups/{name} bodies. */
function exportDocumentComponent(): JsonSchema {
  const document = schemaOf(exportDocumentSchema, 'input') as { properties: Record<string, JsonSchema & { items?: JsonSchema }> };
  const groups = document.properties.enforcerGroups;
  if (groups) groups.items = { $ref: '#/components/schemas/EnforcerGroup' };
  return document;
}

/** A group with the token the answer shows once. */
function groupWithToken(description: string): JsonSchema {
  return {
    allOf: [ref('EnforcerGroup'), { type: 'object', required: ['token'], properties: { token: { type: 'string', description } } }],
  };
}

const components: Record<string, JsonSchema> = {
  Policy: schemaOf(policySchema, 'input'),
  ApplicationScope: schemaOf(applicationScopeSchema, 'input'),
  EnforcerGroup: schemaOf(enforcerGroupSchema, 'input'),
  EnforcerSettings: schemaOf(enforcerSettingsSchema, 'input'),
  AuditEvent: {
    description: `One Detect or Block event. Fields longer than their bounds are cut, never refused: a cut text keeps its start and its end around a [… N characters cut …] marker, a cut list ends with [… N more cut …], and truncated names every cut field with its original length. The whole JSON is at most ${MAX_AUDIT_EVENT_BYTES / 1024} KiB (${MAX_AUDIT_EVENT_BYTES} bytes), counting characters JSON escapes and truncated; an event that would be larger is cut again with all bounds halved, down to an eighth of them.`,
    ...schemaOf(auditEventSchema, 'output'),
  },
  ExportDocument: exportDocumentComponent(),
  CommercialDocument: {
    description:
      "The commercial product's own JSON, recognised by its shape and converted (see docs/migrating-from-the-commercial-product.md): a runtime policy (container, host or function; its API body without runtime_type reads as a container policy), an application scope (with categories), an enforcer group (its token is never imported), a list of them, the product's list answer {count, page, pagesize, result: [...]}, or a list of global bypass strings (replaces the bypass list of the enforcer settings). Snake_case fields as the product writes them; a value of the wrong type is refused with the field's path. Up to 5 MiB (about 1,000 full policies) in one request; a larger document is uploaded in parts (POST /v1/imports).",
    oneOf: [
      { type: 'object', description: 'One runtime policy, application scope or enforcer group of the product', additionalProperties: true },
      { type: 'array', items: { type: 'object', additionalProperties: true }, description: 'A list of them' },
      {
        type: 'object',
        required: ['result'],
        properties: {
          count: { type: 'integer' },
          page: { type: 'integer' },
          pagesize: { type: 'integer' },
          result: { type: 'array', items: { type: 'object', additionalProperties: true } },
        },
        description: "The product's list answer",
      },
      { type: 'array', items: { type: 'string' }, minItems: 1, description: 'Global bypass entries as pasted from the console' },
    ],
  },
  ImportAnswer: {
    type: 'object',
    required: ['dryRun', 'items'],
    properties: {
      dryRun: { type: 'boolean' },
      items: {
        type: 'array',
        items: {
          type: 'object',
          required: ['kind', 'name', 'result'],
          properties: {
            kind: { type: 'string', enum: ['applicationScope', 'policy', 'settings', 'enforcerGroup'] },
            name: { type: 'string' },
            result: { type: 'string', enum: ['created', 'updated', 'unchanged'] },
            warnings: {
              type: 'array',
              items: { type: 'string' },
              description:
                'Policies only: the save-time warnings POST /v1/policies gives (controls nothing applies, attributes the workloads never carry, ...).',
            },
            token: {
              type: 'string',
              description:
                'Enforcer groups created by the import only (not in a dry run): the new group token, shown this once; only its hash is stored.',
            },
          },
        },
      },
      unsupported: {
        type: 'array',
        description:
          'Commercial documents only: per item, the source fields that held a setting and have no counterpart (not carried over). Bookkeeping fields and switched-off controls are not listed.',
        items: {
          type: 'object',
          required: ['kind', 'name', 'fields'],
          properties: { kind: { type: 'string' }, name: { type: 'string' }, fields: { type: 'array', items: { type: 'string' } } },
        },
      },
      meaningChanges: {
        type: 'array',
        description:
          'Commercial documents only: per translated source field whose meaning differs in Vigil, what changed, in words for the user.',
        items: {
          type: 'object',
          required: ['kind', 'name', 'field', 'message'],
          properties: { kind: { type: 'string' }, name: { type: 'string' }, field: { type: 'string' }, message: { type: 'string' } },
        },
      },
    },
  },
  Control: {
    type: 'object',
    description: 'One entry of the control catalog: what a policy can switch on under controls.<key>.',
    required: ['key', 'name', 'policyType', 'description', 'enforcedBy', 'actsOn', 'newWorkloadsOnly', 'recordOnly', 'options'],
    properties: {
      key: { type: 'string', description: "The control's key in a policy's controls object" },
      name: { type: 'string' },
      policyType: { type: 'string', enum: ['container', 'function', 'host'] },
      description: { type: 'string' },
      enforcedBy: { type: 'array', items: { type: 'string' }, description: 'Enforcer types able to act on it' },
      actsOn: { type: 'array', items: { type: 'string' }, description: 'Operations it inspects' },
      newWorkloadsOnly: { type: 'boolean', description: 'A running workload must be restarted before it applies' },
      recordOnly: { type: 'boolean', description: 'Only records (always Detect), whatever the enforcement mode' },
      options: {
        type: 'object',
        description: 'JSON Schema (draft 2020-12) of its options besides enabled; every option has a default',
        additionalProperties: true,
      },
      nodeEnforcement: {
        type: 'object',
        description: 'How node agents (Tetragon) enforce it, where they can',
        properties: { engine: { type: 'string' }, fidelity: { type: 'string' }, summary: { type: 'string' } },
      },
    },
  },
  PolicyTemplate: {
    type: 'object',
    description: 'A predefined policy: POST /v1/policies with {"template": id, "name": ...} creates it.',
    required: ['id', 'title', 'description', 'policy'],
    properties: {
      id: { type: 'string' },
      title: { type: 'string' },
      description: { type: 'string' },
      policy: { $ref: '#/components/schemas/Policy' },
    },
  },
  Cluster: {
    type: 'object',
    description:
      'A registered EKS cluster as the API shows it: never its webhook secret or node-agent token (only their hashes are stored, and never shown).',
    required: ['name', 'enforcerGroup', 'version', 'createdAt', 'updatedAt', 'updatedBy'],
    properties: {
      name: { type: 'string' },
      arn: { type: 'string' },
      enforcerGroup: { type: 'string', description: 'The kube_enforcer group that decides admission for the cluster' },
      endpoint: { type: 'string', description: 'The API server endpoint, from DescribeCluster when an ARN was given' },
      kubernetesVersion: { type: 'string' },
      status: { type: 'string', description: "The EKS cluster's status, from DescribeCluster when an ARN was given" },
      issuedWith: {
        type: 'object',
        description: "The group settings the cluster's current webhook manifest was issued with",
        required: ['failMode', 'timeoutSeconds', 'exemptKubeSystem'],
        properties: {
          failMode: { type: 'string', enum: ['open', 'closed'] },
          timeoutSeconds: { type: 'integer' },
          exemptKubeSystem: { type: 'boolean' },
        },
      },
      nodeAgent: {
        type: 'object',
        description: 'The node agents issued with the registration (absent when none were asked for)',
        required: ['enforcerGroup', 'image', 'namespace'],
        properties: { enforcerGroup: { type: 'string' }, image: { type: 'string' }, namespace: { type: 'string' } },
      },
      version: { type: 'integer' },
      createdAt: { type: 'string', format: 'date-time', description: 'When the cluster was registered' },
      updatedAt: { type: 'string', format: 'date-time' },
      updatedBy: { type: 'string' },
    },
  },
  Enforcer: {
    type: 'object',
    description:
      'A registered enforcer with its connection status: connected while its last heartbeat is younger than three poll intervals. Node agents carry metadata.kind (bridge or forwarder) and metadata.cluster.',
    required: ['enforcerId', 'name', 'group', 'type', 'pollIntervalSeconds', 'registeredAt', 'lastSeen', 'status'],
    properties: {
      enforcerId: { type: 'string' },
      name: { type: 'string' },
      group: { type: 'string' },
      type: { type: 'string' },
      version: { type: 'string' },
      hostname: { type: 'string' },
      metadata: { type: 'object', additionalProperties: { type: 'string' } },
      pollIntervalSeconds: { type: 'integer' },
      registeredAt: { type: 'string', format: 'date-time' },
      lastSeen: { type: 'string', format: 'date-time', description: 'The last registration, poll or heartbeat' },
      status: { type: 'string', enum: ['connected', 'disconnected'] },
    },
  },
  ActivityEntry: {
    type: 'object',
    description:
      'One configuration change: who made it, when, to what, and the stored resource before and after it (the console diffs the two). Write-only values (tokens, webhook secrets, the honeypot secret) are never shown.',
    required: ['id', 'time', 'actor', 'action', 'resource', 'before', 'after'],
    properties: {
      id: { type: 'string' },
      time: { type: 'string', format: 'date-time' },
      actor: { type: 'string', description: 'Who changed it, e.g. the admin identity or schedule:<id> for a scheduled switch' },
      action: { type: 'string', description: 'create, update, delete, import, rotate-token, rotate-secret or mode-change' },
      resource: { type: 'string', description: '<kind>/<name>, e.g. policy/exec-guard or settings/enforcer' },
      before: {
        description:
          'The resource as stored before the change (with version, createdAt, updatedAt, updatedBy), or null for a create. An entry whose images did not fit one item holds {truncated: true, version} instead.',
      },
      after: { description: 'The resource as stored after the change, or null for a delete; {truncated: true, version} as for before.' },
    },
  },
  EnforcerRegistration: schemaOf(registerSchema, 'input'),
  EnforcerEvent: schemaOf(clientEventSchema, 'input'),
  Error: {
    type: 'object',
    required: ['error'],
    properties: {
      error: {
        type: 'object',
        required: ['code', 'message'],
        properties: {
          code: { type: 'string', description: 'snake_case error code, e.g. validation_failed' },
          message: { type: 'string' },
          details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
        },
      },
    },
  },
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
/**
 * What a save of an item advises besides the item, by the item's name in the descriptions: a write that changes
 * nothing answers it too.
 */
const saveAdvice: Record<string, string> = {
  policy: ' and the save-time warnings a save of it answers',
  'enforcer group': ' and the clustersToReissue and warnings a save of it answers',
};
/** A JSON merge patch (RFC 7386) of a resource: the members to change, null to remove one; the result must be a valid resource. */
const mergePatch = (resource: string) => ({
  type: 'object',
  description: `A JSON merge patch (RFC 7386) of a ${resource}: only the members to change; null removes a member (its default applies); objects merge, arrays and other values replace. The merged result is validated as a PUT of the whole ${resource} would be, and write-only values are kept. A patch that leaves the ${resource} as it is answers 200 with it${saveAdvice[resource] ?? ''}, at the same version, and writes nothing (no new revision, no activity entry). If-Match is optional: without it, a concurrent edit means merging into the newer version; a stale one is 412 even when the patch changes nothing.`,
});
const list = (item: unknown) => ({
  type: 'object',
  required: ['items'],
  properties: { items: { type: 'array', items: item }, nextCursor: { type: 'string' } },
});

/** The answer of a readiness report: what enforce mode would have blocked, from the stored Detect events. */
function readinessSchema() {
  const counts = {
    type: 'array',
    description: 'At most 20 values, most would-be blocks first',
    items: { type: 'object', required: ['value', 'count'], properties: { value: { type: 'string' }, count: { type: 'integer' } } },
  };
  const breakdown = {
    type: 'object',
    required: ['wouldBlock', 'byControl', 'byWorkload', 'byUser', 'byCommand'],
    properties: {
      wouldBlock: { type: 'integer', description: 'Detect events enforce mode would have turned into Block' },
      byControl: counts,
      byWorkload: { ...counts, description: 'cluster/namespace/pod, function or host; at most 20, most first' },
      byUser: counts,
      byCommand: counts,
    },
  };
  return {
    ...breakdown,
    description:
      "Counted from the policy's Detect events of the last `days` days (the audit table's per-policy index, newest first, at most 10,000 events: `truncated` says when there were more). Controls that only record are counted apart in `recordOnly`.",
    required: [
      ...breakdown.required,
      'policy',
      'enforcementMode',
      'policyVersion',
      'days',
      'since',
      'until',
      'truncated',
      'recordOnly',
      'newSinceChange',
    ],
    properties: {
      ...breakdown.properties,
      policy: { type: 'string' },
      enforcementMode: { type: 'string', enum: ['audit', 'enforce'] },
      enforcementModeChange: { description: 'The pending or last scheduled switch, as on the policy' },
      policyVersion: { type: 'integer' },
      changedAt: { type: 'string', format: 'date-time', description: "When the policy's current version was written" },
      days: { type: 'integer', minimum: 1, maximum: 3650 },
      since: { type: 'string', format: 'date-time' },
      until: { type: 'string', format: 'date-time' },
      truncated: { type: 'boolean' },
      recordOnly: { type: 'integer', description: 'Detect events of record-only controls (always Detect, in enforce mode too)' },
      newSinceChange: {
        ...breakdown,
        description:
          "Would-be blocks under the policy's current version whose control, workload, user or command no event of an earlier version in the window had; each breakdown lists only the new values",
      },
    },
  };
}

/** Request and response bodies per route; routes not listed answer free-form JSON. */
/**
 * The compiled node policies of a cluster: the admin preview and the bridge's poll answer the same objects and
 * report (compiled by the same code), each with its own notes and the poll with its intervals.
 */
function nodePoliciesAnswer(
  notes: { readonly group: string; readonly objects: string; readonly answer?: string },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    type: 'object',
    required: ['cluster', 'group', 'revision', 'objects', 'report', ...Object.keys(extra)],
    ...(notes.answer === undefined ? {} : { description: notes.answer }),
    properties: {
      cluster: { type: 'string' },
      group: { type: 'string', description: notes.group },
      revision: { type: 'integer', description: 'The configuration revision the objects were compiled from.' },
      objects: {
        type: 'array',
        description: `cilium.io/v1alpha1 TracingPolicy and TracingPolicyNamespaced objects for Tetragon v1.7, labelled app.kubernetes.io/managed-by=vigil: ${notes.objects}.`,
        items: { type: 'object' },
      },
      report: {
        type: 'object',
        required: ['cluster', 'group', 'policies', 'index'],
        properties: {
          cluster: { type: 'string' },
          group: { type: 'string' },
          policies: {
            type: 'array',
            description:
              'Per container or host policy: whether it applies here, its action, whether its scope is widened, and per control the fidelity (exact, approximate, impossible, admission) with reasons.',
            items: { type: 'object' },
          },
          index: {
            type: 'array',
            description:
              'Per compiled object: the policy, control, action (block, detect, record), whether the scope is widened, and the full Vigil scope to apply to its events.',
            items: { type: 'object' },
          },
        },
      },
      ...extra,
    },
  };
}

const bodies: Record<string, { request?: unknown; response?: unknown }> = {
  'GET /v1/policies': { response: list(ref('Policy')) },
  'POST /v1/policies': {
    request: {
      oneOf: [
        ref('Policy'),
        {
          type: 'object',
          required: ['template', 'name'],
          properties: { template: { type: 'string' }, name: { type: 'string' } },
          additionalProperties: true,
        },
      ],
    },
    response: ref('Policy'),
  },
  'GET /v1/policies/{name}': { response: ref('Policy') },
  'GET /v1/controls': { response: list(ref('Control')) },
  'GET /v1/policy-templates': { response: list(ref('PolicyTemplate')) },
  'GET /v1/policy-templates/{id}': { response: ref('PolicyTemplate') },
  'PUT /v1/policies/{name}': { request: ref('Policy'), response: ref('Policy') },
  'PATCH /v1/policies/{name}': { request: mergePatch('policy'), response: ref('Policy') },
  'GET /v1/application-scopes': { response: list(ref('ApplicationScope')) },
  'POST /v1/application-scopes': { request: ref('ApplicationScope'), response: ref('ApplicationScope') },
  'GET /v1/application-scopes/{name}': { response: ref('ApplicationScope') },
  'PUT /v1/application-scopes/{name}': { request: ref('ApplicationScope'), response: ref('ApplicationScope') },
  'PATCH /v1/application-scopes/{name}': { request: mergePatch('application scope'), response: ref('ApplicationScope') },
  'GET /v1/enforcer-groups': { response: list(ref('EnforcerGroup')) },
  'POST /v1/enforcer-groups': {
    request: ref('EnforcerGroup'),
    response: groupWithToken('The new group token, shown this once: only its hash is stored.'),
  },
  'GET /v1/enforcer-groups/{name}': { response: ref('EnforcerGroup') },
  'PUT /v1/enforcer-groups/{name}': {
    request: ref('EnforcerGroup'),
    response: {
      allOf: [
        ref('EnforcerGroup'),
        {
          type: 'object',
          properties: {
            clustersToReissue: {
              type: 'array',
              items: { type: 'string' },
              description:
                'Clusters of the group whose manifests still carry the previous failMode, timeoutSeconds or exemptKubeSystem (absent when none), also when the body changes nothing: re-issue them with POST /v1/enforcer-groups/{name}/reissue.',
            },
            warnings: { type: 'array', items: { type: 'string' } },
          },
        },
      ],
    },
  },
  'POST /v1/enforcer-groups/{name}/token': {
    response: groupWithToken('The new group token, shown this once: the previous token stops working now; only the hash is stored.'),
  },
  'POST /v1/enforcer-groups/{name}/reissue': {
    response: {
      type: 'object',
      required: ['items'],
      properties: {
        items: {
          type: 'array',
          description:
            'One entry per re-issued cluster; every webhookUrl carries a new secret, shown only here. The previous URLs stop working.',
          items: {
            type: 'object',
            required: ['name', 'enforcerGroup', 'webhookUrl', 'manifest'],
            properties: {
              name: { type: 'string' },
              enforcerGroup: { type: 'string' },
              version: { type: 'integer' },
              webhookUrl: { type: 'string' },
              manifest: { type: 'string', description: 'YAML ValidatingWebhookConfiguration to apply to the cluster' },
              warnings: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
  },
  'GET /v1/clusters': { response: list(ref('Cluster')) },
  'GET /v1/clusters/{name}': { response: ref('Cluster') },
  'POST /v1/clusters/{name}/secret': {
    response: {
      allOf: [
        ref('Cluster'),
        {
          type: 'object',
          required: ['webhookUrl', 'manifest', 'warnings'],
          properties: {
            webhookUrl: { type: 'string', description: 'Carries the new webhook secret: shown only here; the previous URL stops working' },
            manifest: { type: 'string', description: 'YAML ValidatingWebhookConfiguration to apply to the cluster' },
            warnings: { type: 'array', items: { type: 'string' } },
          },
        },
      ],
    },
  },
  'GET /v1/enforcers': { response: list(ref('Enforcer')) },
  'POST /v1/clusters': {
    request: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: {
        name: { type: 'string', description: 'The EKS cluster name: letters, digits, ".", "_" and "-"' },
        arn: { type: 'string', description: 'The EKS cluster ARN; checked with DescribeCluster' },
        enforcerGroup: {
          type: 'string',
          default: 'default-ke',
          description: 'The kube_enforcer group that decides admission for the cluster',
        },
        nodeAgent: {
          description:
            'Also issue the node agents (the bridge that applies the compiled Tetragon policies and the forwarder that brings their events back): true for the defaults, or an object. A token of their own is issued for the cluster and authenticates them as the agent group; see docs/node-enforcement.md.',
          oneOf: [
            { type: 'boolean' },
            {
              type: 'object',
              additionalProperties: false,
              properties: {
                enforcerGroup: {
                  type: 'string',
                  default: 'default',
                  description: 'The agent group whose policies the agents apply and as which they report',
                },
                image: {
                  type: 'string',
                  maxLength: 255,
                  default: 'localhost/vigil-node-agent:0.1.0',
                  description:
                    'The node-agent image, built and pushed from layers/node-agent/Dockerfile; the default is a placeholder nodes cannot pull',
                },
                namespace: {
                  type: 'string',
                  maxLength: 63,
                  default: 'vigil-system',
                  description: 'The namespace of the agents (a DNS-1123 label)',
                },
              },
            },
          ],
        },
      },
    },
    response: {
      type: 'object',
      required: ['name', 'enforcerGroup', 'webhookUrl', 'manifest', 'warnings'],
      properties: {
        name: { type: 'string' },
        enforcerGroup: { type: 'string' },
        version: { type: 'integer' },
        webhookUrl: { type: 'string', description: 'Carries the webhook secret: shown only here' },
        manifest: { type: 'string', description: 'YAML ValidatingWebhookConfiguration to apply to the cluster' },
        warnings: { type: 'array', items: { type: 'string' } },
        nodeAgent: {
          type: 'object',
          description: 'Only when nodeAgent was asked for.',
          required: ['enforcerGroup', 'image', 'namespace', 'token', 'manifest', 'tetragonValues'],
          properties: {
            enforcerGroup: { type: 'string' },
            image: { type: 'string' },
            namespace: { type: 'string' },
            token: {
              type: 'string',
              description: 'The node-agent token, shown only here (it is also in the manifest’s Secret); only its hash is stored',
            },
            manifest: {
              type: 'string',
              description:
                'Multi-document YAML: Namespace, ServiceAccounts, the bridge ClusterRole and binding, the token Secret, the bridge Deployment and the forwarder DaemonSet',
            },
            tetragonValues: { type: 'string', description: 'YAML values for the Tetragon v1.7 Helm chart that the forwarder relies on' },
          },
        },
      },
    },
  },
  'POST /v1/clusters/{name}/node-agent-token': {
    response: {
      type: 'object',
      description:
        'The cluster with its new node-agent token. 404 for a cluster that is not registered, 409 for one registered without node agents (it has no token to rotate).',
      required: ['name', 'enforcerGroup', 'nodeAgent'],
      properties: {
        name: { type: 'string' },
        enforcerGroup: { type: 'string' },
        version: { type: 'integer' },
        nodeAgent: {
          type: 'object',
          required: ['enforcerGroup', 'image', 'namespace', 'token', 'manifest'],
          properties: {
            enforcerGroup: { type: 'string' },
            image: { type: 'string' },
            namespace: { type: 'string' },
            token: {
              type: 'string',
              description:
                'The new node-agent token, shown only here; only its hash is stored. The previous token stops working now: the bridge keeps the applied Tetragon objects and the forwarder its place in the export until they restart with the new Secret.',
            },
            manifest: {
              type: 'string',
              description:
                'YAML of the token Secret alone (vigil-node-agent-token in the agents’ namespace): kubectl apply it, then restart the bridge Deployment and the forwarder DaemonSet (docs/node-enforcement.md)',
            },
          },
        },
      },
    },
  },
  'GET /v1/clusters/{name}/node-policies': {
    response: nodePoliciesAnswer({
      group: 'The agent enforcer group compiled for (query parameter group, default "default").',
      objects: 'sorted by kind, namespace and name',
    }),
  },
  'GET /v1/settings/enforcer': { response: ref('EnforcerSettings') },
  'PUT /v1/settings/enforcer': { request: ref('EnforcerSettings'), response: ref('EnforcerSettings') },
  'PATCH /v1/settings/enforcer': { request: mergePatch('settings document'), response: ref('EnforcerSettings') },
  'GET /v1/audit-events': { response: list(ref('AuditEvent')) },
  'GET /v1/policies/{name}/readiness': { response: readinessSchema() },
  'GET /v1/audit-events/{id}': { response: ref('AuditEvent') },
  'GET /v1/audit-events/histogram': {
    response: {
      type: 'object',
      description:
        "Detect and Block counts per bucket, oldest bucket first, counted from the audit table's per-day index (never a scan), whatever the other audit filters. The window is at most 31 days; without since it is the last 24 hours (or, with bucket=day, the 31 days before until). At most 100,000 events are counted, newest first: past that, truncated is true and the oldest buckets count only part of theirs.",
      required: ['since', 'until', 'bucket', 'buckets', 'totals', 'truncated'],
      properties: {
        since: { type: 'string', format: 'date-time' },
        until: { type: 'string', format: 'date-time' },
        bucket: { type: 'string', enum: ['hour', 'day'], description: 'Asked for, or hour for a window of up to 2 days and day beyond' },
        buckets: {
          type: 'array',
          description: 'Every bucket of the window, empty ones too, each starting at a whole UTC hour or day',
          items: {
            type: 'object',
            required: ['start', 'detect', 'block'],
            properties: { start: { type: 'string', format: 'date-time' }, detect: { type: 'integer' }, block: { type: 'integer' } },
          },
        },
        totals: {
          type: 'object',
          required: ['detect', 'block'],
          properties: { detect: { type: 'integer' }, block: { type: 'integer' } },
        },
        truncated: { type: 'boolean' },
      },
    },
  },
  'GET /v1/activity': { response: list(ref('ActivityEntry')) },
  'GET /v1/export': {
    response: {
      description:
        'One page of the export of one configuration revision (the x-vigil-revision header names it). A page holds at most 1 MiB of items: the enforcer settings (first page only), then application scopes, then policies, then enforcer groups (never a token), each in name order. A page with nextCursor is part of a document (import refuses it as it is): fetch the next page with ?cursor= and join the lists. A page asked for after the configuration changed answers 410: start the export again without a cursor.',
      allOf: [
        ref('ExportDocument'),
        {
          type: 'object',
          properties: {
            nextCursor: {
              type: 'string',
              description: "Absent on the last page. Opaque; it pins the export's revision and names the last item sent.",
            },
          },
        },
      ],
    },
  },
  'POST /v1/import': { request: { oneOf: [ref('ExportDocument'), ref('CommercialDocument')] }, response: ref('ImportAnswer') },
  'POST /v1/imports': {
    response: {
      type: 'object',
      description:
        'A multi-part import, for a document larger than POST /v1/import takes: upload its parts, then commit them (one all-or-nothing import) or abort. Not committed or aborted within 24 hours, it is deleted. At most 20 are open at once (409 beyond).',
      required: ['id', 'expiresAt', 'maxParts', 'maxPartBytes'],
      properties: {
        id: { type: 'string' },
        expiresAt: { type: 'string', format: 'date-time', description: 'After this the upload answers 404 and is deleted.' },
        maxParts: { type: 'integer', description: 'Parts are numbered 1 to maxParts.' },
        maxPartBytes: { type: 'integer', description: 'The largest body of one part (as for POST /v1/import).' },
      },
    },
  },
  'PUT /v1/imports/{id}/parts/{part}': {
    request: {
      description:
        "One piece of the document, itself a document: Vigil's export format (split its policies, applicationScopes and enforcerGroups lists between parts, settings in one part only), or the commercial product's JSON in any shape POST /v1/import recognises (its objects, or global bypass entries, split between parts). All parts of one import have one format. The part is checked on its own when it arrives (400 naming parts.<part>.<path>, nothing stored); references between parts are checked at the commit. Uploading a part number again replaces that part.",
      oneOf: [ref('ExportDocument'), ref('CommercialDocument')],
    },
    response: {
      type: 'object',
      required: ['id', 'part', 'bytes', 'format', 'items'],
      properties: {
        id: { type: 'string' },
        part: { type: 'integer' },
        bytes: { type: 'integer' },
        format: { type: 'string', enum: ['vigil', 'commercial', 'commercial-bypass-list'] },
        items: {
          type: 'integer',
          description: 'Objects in the part: policies, scopes and settings, the product objects, or bypass entries.',
        },
      },
    },
  },
  'POST /v1/imports/{id}/commit': {
    response: {
      description:
        'The answer of POST /v1/import for the document the parts make together (parts joined in part-number order), with the import id and how many parts it had. All or nothing: on any problem (400, each named at parts.<part>.<path in that part>) nothing is written and the upload stays open, so a part can be uploaded again and the commit repeated; after a real commit the upload is gone (404). A dry run writes nothing and keeps the upload. 409 while another commit of it runs.',
      allOf: [
        ref('ImportAnswer'),
        { type: 'object', required: ['id', 'parts'], properties: { id: { type: 'string' }, parts: { type: 'integer' } } },
      ],
    },
  },
  'POST /v1/enforcers/register': {
    request: ref('EnforcerRegistration'),
    response: {
      type: 'object',
      required: ['enforcerId', 'group', 'pollIntervalSeconds'],
      properties: { enforcerId: { type: 'string' }, group: { type: 'string' }, pollIntervalSeconds: { type: 'integer' } },
    },
  },
  'POST /v1/enforcers/events': {
    request: {
      type: 'object',
      required: ['events'],
      properties: { events: { type: 'array', minItems: 1, maxItems: 500, items: ref('EnforcerEvent') } },
      additionalProperties: false,
    },
    response: {
      type: 'object',
      required: ['accepted', 'duplicates'],
      properties: { accepted: { type: 'integer' }, duplicates: { type: 'integer' } },
    },
  },
  'GET /v1/enforcers/rules': {
    response: {
      type: 'object',
      description:
        "The function controls that apply to the function named by the query (function required; runtime, region, account, tags as key=value,key2=value2), compiled by the core from the group's bundle with every verdict decided: status Block only where the policy enforces and the group enforces. Process rules come first, with the ids of the native exec guard's table. ETag / If-None-Match: 304 while the configuration and the facts are unchanged.",
      required: ['format', 'revision', 'group', 'bypassed', 'guardOversize', 'rules', 'pollIntervalSeconds'],
      properties: {
        format: { const: 'vigil-function-rules 1' },
        revision: { type: 'integer' },
        group: { type: 'object' },
        bypassed: { type: 'boolean', description: 'A global bypass entry holds for the function: no rules.' },
        guardOversize: { type: 'boolean', description: "The process rules exceed the native exec guard's bounds." },
        rules: {
          type: 'array',
          items: {
            type: 'object',
            required: ['id', 'action', 'control', 'controlName', 'status', 'policy'],
            properties: {
              id: { type: 'integer' },
              action: { enum: ['process', 'network', 'honeypot'] },
              control: { enum: ['blockedExecutables', 'driftPrevention', 'blockAllProcesses', 'networkEgress', 'honeypot'] },
              controlName: { type: 'string' },
              status: { enum: ['Block', 'Detect'] },
              policy: { type: 'object' },
              patterns: { type: 'array', items: { type: 'string' } },
              allowedHosts: { type: 'array', items: { type: 'string' } },
              allowedPorts: { type: 'array', items: { type: 'integer' } },
              accessKeyId: { type: 'string' },
              secretAccessKey: { type: 'string' },
              applyOn: { type: 'array', items: { enum: ['environment', 'file'] } },
            },
          },
        },
        pollIntervalSeconds: { type: 'integer' },
      },
    },
  },
  'GET /v1/enforcers/node-policies': {
    response: nodePoliciesAnswer(
      {
        group: "The token's agent enforcer group.",
        objects: 'the complete wanted set (managed objects not in it are to be deleted)',
        answer:
          'What GET /v1/clusters/{name}/node-policies previews for the same cluster and group, compiled by the same code: the in-cluster bridge applies these objects. The ETag is a hash of objects and report, so a configuration change that does not touch them answers 304 to If-None-Match. The node-agent token of a cluster reads only that cluster: the name of another answers 400 naming cluster.',
      },
      {
        pollIntervalSeconds: { type: 'integer', description: 'How often to poll this route (with If-None-Match).' },
        heartbeatIntervalSeconds: { type: 'integer' },
      },
    ),
  },
  'GET /v1/enforcers/bundle': {
    response: {
      type: 'object',
      required: ['revision', 'group', 'settings', 'policies', 'applicationScopes', 'pollIntervalSeconds'],
      properties: {
        revision: { type: 'integer' },
        group: { type: 'object' },
        settings: { type: 'object' },
        policies: {
          type: 'array',
          items: ref('Policy'),
          description:
            'Only the policies that can apply to the group: of its types, enabled, with an enabled control, and with a scope not false for the group. Each scope is folded over what the group fixes (enforcer.group, attributes its workloads never carry): the formula keeps the variables still open, renumbered from v1.',
        },
        applicationScopes: {
          type: 'array',
          items: ref('ApplicationScope'),
          description: 'The application scopes the shipped policies name, folded over the group the same way.',
        },
        pollIntervalSeconds: { type: 'integer' },
      },
    },
  },
};

const queryParameters: Record<string, string[]> = {
  'GET /v1/policies': ['type', 'enabled', 'limit', 'cursor'],
  'GET /v1/application-scopes': ['limit', 'cursor'],
  'GET /v1/enforcer-groups': ['limit', 'cursor'],
  'GET /v1/clusters': ['limit', 'cursor'],
  'GET /v1/clusters/{name}/node-policies': ['group'],
  'GET /v1/enforcers': ['group', 'limit', 'cursor'],
  'GET /v1/enforcers/bundle': ['X-Enforcer-Id'],
  'GET /v1/enforcers/rules': ['X-Enforcer-Id', 'function', 'runtime', 'region', 'account', 'tags'],
  'GET /v1/enforcer-groups/{name}/rules': ['function', 'runtime', 'region', 'account', 'tags'],
  'GET /v1/enforcers/node-policies': ['cluster', 'X-Enforcer-Id'],
  'POST /v1/enforcers/events': ['X-Enforcer-Id'],
  'POST /v1/enforcers/heartbeat': ['X-Enforcer-Id'],
  'GET /v1/audit-events': ['status', 'policy', 'cluster', 'namespace', 'type', 'since', 'until', 'limit', 'cursor'],
  'GET /v1/policies/{name}/readiness': ['days'],
  'GET /v1/audit-events/histogram': ['since', 'until', 'bucket'],
  'GET /v1/activity': ['since', 'limit', 'cursor'],
  'GET /v1/export': ['cursor'],
  'POST /v1/import': ['dryRun', 'mode'],
  'POST /v1/imports/{id}/commit': ['dryRun', 'mode'],
  'POST /v1/admission/{cluster}/{secret}': ['timeout'],
};

// An administrator reads the table a function would be served, to embed it (VIGIL_RULES).
bodies['GET /v1/enforcer-groups/{name}/rules'] = {
  response: {
    ...(bodies['GET /v1/enforcers/rules']!.response as Record<string, unknown>),
    description:
      'What GET /v1/enforcers/rules serves the function named by the query (function required; runtime, region, account, tags as key=value,key2=value2), compiled by the same code from the current configuration for the named nano_enforcer group. A Python function embeds it at deploy time (VIGIL_RULES, docs/protection-layer.md) to be enforced before its first fetch. An unknown group is a 404; a group of another type, or a malformed fact, a 400 naming it.',
  },
};

// A PATCH answers what the PUT it goes through answers.
bodies['PATCH /v1/enforcer-groups/{name}'] = {
  request: mergePatch('enforcer group'),
  response: bodies['PUT /v1/enforcer-groups/{name}']?.response,
};

/** Query parameters a route refuses to answer without. */
const requiredQueryParameters: Record<string, string[]> = {
  'GET /v1/enforcers/node-policies': ['cluster'],
  'GET /v1/enforcers/rules': ['function'],
  'GET /v1/enforcer-groups/{name}/rules': ['function'],
};

/** Routes that answer 304 when If-None-Match names the ETag of their current answer. */
const conditionalGets = new Set(['GET /v1/enforcers/bundle', 'GET /v1/enforcers/rules', 'GET /v1/enforcers/node-policies']);

/** Routes that also answer multi-document YAML when asked for it with `Accept: application/yaml`. */
const yamlAlternatives: Record<string, string> = {
  'GET /v1/clusters/{name}/node-policies':
    'The objects as multi-document YAML for kubectl apply or GitOps, the fidelity of each control as comments first.',
};

/** Creates that are create-if-absent: the same create sent again answers 200 with what is stored. */
const replayableCreates = new Set(['POST /v1/policies', 'POST /v1/application-scopes']);

/**
 * Replacements of one configuration item, which like its PATCH write nothing when the body is the item as it is.
 * Keyed by route, the item's name in the description.
 */
const itemReplacements: Record<string, string> = {
  'PUT /v1/policies/{name}': 'policy',
  'PUT /v1/application-scopes/{name}': 'application scope',
  'PUT /v1/enforcer-groups/{name}': 'enforcer group',
  'PUT /v1/settings/enforcer': 'settings document',
};

const replacementDescription = (item: string): string =>
  `Replaces the whole ${item}; write-only values the body leaves out are kept. A body that is the ${item} as it is (as GET shows it, server-managed fields and spelled-out defaults included) answers 200 with it${saveAdvice[item] ?? ''}, at the same version, and writes nothing (no new revision, no activity entry), as a PATCH that changes nothing does. If-Match is optional: without it, a concurrent edit is overwritten; a stale one is 412 even when the body changes nothing.`;

/** Parameters whose meaning is not the usual one, by `<route key> <name>`. */
const parameterDescriptions: Record<string, string> = {
  'GET /v1/activity since': 'Only entries at or after this ISO 8601 instant (inclusive).',
  'GET /v1/export cursor':
    'The nextCursor of the previous page, unchanged; without it an export starts at the current revision. A cursor whose revision is no longer the current one answers 410.',
};

/** Configuration lists also end a page by size, so a client must follow `nextCursor` rather than count items. */
function limitDescription(path: string): string {
  const configurationList = ['/v1/policies', '/v1/application-scopes', '/v1/enforcer-groups', '/v1/clusters'].includes(path);
  return configurationList
    ? 'The most items a page holds. A page also ends once its items reach 1 MiB; follow nextCursor for the rest.'
    : 'The most items a page holds; follow nextCursor for the rest.';
}

function operation(route: RouteDefinition): Record<string, unknown> {
  const key = `${route.method} ${route.path}`;
  const pathParams = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  // Names starting with "X-" are request headers, the rest query parameters.
  const query = (queryParameters[key] ?? []).map((name) =>
    name.startsWith('X-')
      ? { name, in: 'header', required: true, schema: { type: 'string' } }
      : name === 'limit'
        ? { name, in: 'query', required: false, schema: { type: 'integer' }, description: limitDescription(route.path) }
        : {
            name,
            in: 'query',
            required: requiredQueryParameters[key]?.includes(name) ?? false,
            schema: { type: 'string' },
            ...(parameterDescriptions[`${key} ${name}`] ? { description: parameterDescriptions[`${key} ${name}`] } : {}),
          },
  );
  const conditional = conditionalGets.has(key)
    ? [
        {
          name: 'If-None-Match',
          in: 'header',
          required: false,
          schema: { type: 'string' },
          description: 'The ETag of the last answer: 304 when nothing changed since.',
        },
      ]
    : [];
  const body = bodies[key];
  const success =
    route.method === 'POST' &&
    !route.path.endsWith('/token') &&
    !route.path.endsWith('/secret') &&
    !route.path.endsWith('/node-agent-token') &&
    !route.path.endsWith('/reissue') &&
    route.auth === 'admin' &&
    route.path !== '/v1/import' &&
    !route.path.endsWith('/commit')
      ? '201'
      : route.method === 'DELETE'
        ? '204'
        : '200';
  const security =
    route.auth === 'admin'
      ? [{ iam: [] }, { consoleJwt: [] }, { adminToken: [] }]
      : route.auth === 'enforcer'
        ? [{ enforcerToken: [] }]
        : [];
  return {
    operationId: `${route.method.toLowerCase()}${route.path
      .replace(/\{(\w+)\}/g, 'By_$1')
      .split(/[/-]/)
      .map((s) => (s ? s[0]!.toUpperCase() + s.slice(1) : ''))
      .join('')}`,
    summary: route.summary,
    ...(itemReplacements[key] ? { description: replacementDescription(itemReplacements[key]) } : {}),
    security,
    ...(pathParams.length + query.length + conditional.length > 0 ? { parameters: [...pathParams, ...query, ...conditional] } : {}),
    ...(body?.request
      ? {
          requestBody: {
            required: true,
            content: route.method === 'PATCH' ? { 'application/merge-patch+json': { schema: body.request } } : json(body.request),
          },
        }
      : {}),
    responses: {
      [success]:
        success === '204'
          ? { description: 'Done' }
          : {
              description: 'Success',
              content: {
                ...json(body?.response ?? { type: 'object' }),
                ...(yamlAlternatives[key]
                  ? { 'application/yaml': { schema: { type: 'string', description: yamlAlternatives[key] } } }
                  : {}),
              },
            },
      ...(conditionalGets.has(key) ? { '304': { description: 'Not modified since the ETag named in If-None-Match' } } : {}),
      ...(replayableCreates.has(key)
        ? {
            '200': {
              description: 'The resource already exists with exactly this content (a retried create): the stored resource',
              content: json(body?.response ?? { type: 'object' }),
            },
          }
        : {}),
      default: { description: 'Error', content: json(ref('Error')) },
    },
  };
}

/** The OpenAPI 3.1 document of the whole HTTP API. */
export function openApiDocument(serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Vigil control plane API',
      version: '1.0.0',
      description: 'Runtime policies, enforcer groups, application scopes, the admission webhook and the enforcer API.',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        iam: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'AWS SigV4 (IAM authorizer) in AWS deployments' },
        consoleJwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            "AWS deployments, the web console's API (served by the console's CloudFront distribution under /v1/*): a Cognito access token of the console's app client, of a member of the group vigil-admins (403 otherwise)",
        },
        adminToken: { type: 'http', scheme: 'bearer', description: 'Local mode admin token' },
        enforcerToken: { type: 'http', scheme: 'bearer', description: 'Enforcer-group token' },
      },
    },
  };
}
