// Issuing a cluster's node agents at registration: a token of their own (only its hash is kept), the manifests of
// the bridge and the forwarder, and the Tetragon Helm values they rely on.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  DEFAULT_NODE_AGENT_IMAGE,
  DEFAULT_NODE_AGENT_NAMESPACE,
  nodeAgentInstall,
  nodeAgentTokenSecret,
  resourceNameSchema,
} from '../../../layers/core/index.js';
import { ConflictError } from '../../shared/errors.js';
import { hashSecret } from '../../shared/http/auth.js';
import { nodeAgentManifestYaml, nodeAgentTokenSecretYaml, tetragonValuesYaml } from '../../shared/node-agent-manifest.js';
import type { Runtime } from '../../shared/runtime.js';
import { withoutMeta } from '../../shared/storage/read-all.js';
import type { Actor, NodeAgentSettings, Stored } from '../../shared/storage/ports.js';

const DIGEST = /^sha256:[a-f0-9]{64}$/;
const TAG = /^\w[\w.-]{0,127}$/;
const HOST = /^[a-zA-Z0-9.-]+$/;
const PORT = /^\d{1,5}$/;
const PATH_CHARACTERS = /^[a-z0-9._-]+$/;
const ALPHANUMERIC = /^[a-z0-9]$/;

function isRegistry(registry: string): boolean {
  const [host = '', port, ...extra] = registry.split(':');
  return extra.length === 0 && HOST.test(host) && (port === undefined || PORT.test(port));
}

function isPathComponent(component: string): boolean {
  return PATH_CHARACTERS.test(component) && ALPHANUMERIC.test(component.at(0)!) && ALPHANUMERIC.test(component.at(-1)!);
}

/**
 * An image reference as a container runtime accepts it: an optional registry host (with port), a path of
 * lower-case components, an optional tag and an optional sha256 digest. Checked part by part, each with a
 * pattern of linear cost.
 */
function isImageReference(image: string): boolean {
  const [named = '', digest, ...extra] = image.split('@');
  if (extra.length > 0 || (digest !== undefined && !DIGEST.test(digest))) return false;
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const tag = colon > slash ? named.slice(colon + 1) : undefined;
  if (tag !== undefined && !TAG.test(tag)) return false;
  const components = (tag === undefined ? named : named.slice(0, colon)).split('/');
  const first = components[0] ?? '';
  const hasRegistry = components.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (hasRegistry && !isRegistry(components.shift()!)) return false;
  return components.length > 0 && components.every(isPathComponent);
}

/** Kubernetes' DNS-1123 label (namespace names). */
function isDnsLabel(name: string): boolean {
  return name.length <= 63 && /^[a-z0-9-]+$/.test(name) && !name.startsWith('-') && !name.endsWith('-');
}

const nodeAgentOptionsSchema = z.strictObject({
  enforcerGroup: resourceNameSchema.default('default'),
  image: z
    .string()
    // Abort on length first: the parts are only ever matched in a bounded string.
    .max(255, { abort: true })
    .refine(
      isImageReference,
      'must be a container image reference, e.g. 111122223333.dkr.ecr.eu-west-1.amazonaws.com/vigil-node-agent:0.1.0',
    )
    .default(DEFAULT_NODE_AGENT_IMAGE),
  namespace: z
    .string()
    .max(63, { abort: true })
    .refine(isDnsLabel, 'must be a Kubernetes namespace name (lower-case letters, digits and "-")')
    .default(DEFAULT_NODE_AGENT_NAMESPACE),
});

/** `nodeAgent` of a registration: `true` for the defaults, an object to choose the group, image or namespace. */
export const nodeAgentRequestSchema = z.preprocess(
  (value) => (value === true ? {} : value === false ? undefined : value),
  nodeAgentOptionsSchema.optional(),
);

export type NodeAgentRequest = z.output<typeof nodeAgentOptionsSchema>;

/** Freshly issued node agents: the token is only ever shown, never stored. */
export interface IssuedNodeAgents {
  readonly token: string;
  readonly settings: NodeAgentSettings;
  readonly manifest: string;
  readonly tetragonValues: string;
  readonly warnings: string[];
}

/** A node-agent token: 32 random bytes. */
export function newNodeAgentToken(): string {
  return `vigil_agt_${randomBytes(32).toString('base64url')}`;
}

export function issueNodeAgents(runtime: Runtime, cluster: string, request: NodeAgentRequest): IssuedNodeAgents {
  const token = newNodeAgentToken();
  const enforcerUrl = (runtime.config.publicBaseUrl ?? '').replace(/\/+$/, '');
  const install = nodeAgentInstall({ cluster, enforcerUrl, token, image: request.image, namespace: request.namespace });
  const warnings: string[] = [];
  if (!enforcerUrl.startsWith('https://'))
    warnings.push(
      `the node agents reach the control plane at "${enforcerUrl}", which is not https: their token would travel in clear text (start local mode with --tls, or set the public URL)`,
    );
  if (request.image === DEFAULT_NODE_AGENT_IMAGE)
    warnings.push(
      `the manifests name the image ${DEFAULT_NODE_AGENT_IMAGE}, which nodes cannot pull: build and push the node-agent image (docs/node-enforcement.md) and register with nodeAgent.image`,
    );
  return {
    token,
    settings: { enforcerGroup: request.enforcerGroup, image: request.image, namespace: request.namespace },
    manifest: nodeAgentManifestYaml(install, cluster),
    tetragonValues: tetragonValuesYaml(install),
    warnings,
  };
}

/** The hash the enforcer API checks the node agents' token against. */
export function nodeAgentTokenHash(issued: IssuedNodeAgents): string {
  return hashSecret(issued.token);
}

/** A rotated node-agent token: shown once with the Secret that carries it. */
export interface RotatedNodeAgentToken {
  readonly cluster: Stored<'cluster'>;
  readonly settings: NodeAgentSettings;
  readonly token: string;
  /** The token Secret alone (YAML), for `kubectl apply -f`. */
  readonly manifest: string;
}

/**
 * Replaces a cluster's node-agent token, conditioned on the version read: the previous token stops working with
 * this write (no overlap, like the group token and the webhook secret), and the activity trail records the
 * rotation without any hash. The agents ride out the gap on their own: the bridge keeps the applied objects and
 * the forwarder keeps its position in the export until they restart with the new Secret (ADR 0014).
 */
export async function rotateNodeAgentToken(runtime: Runtime, cluster: Stored<'cluster'>, actor: Actor): Promise<RotatedNodeAgentToken> {
  const settings = cluster.nodeAgent;
  if (settings === undefined)
    throw new ConflictError(
      `cluster "${cluster.name}" was registered without node agents, so it has no node-agent token to rotate: register it again with nodeAgent to install them`,
    );
  const token = newNodeAgentToken();
  const [rotated] = await runtime.configStore.apply(
    [
      {
        op: 'replace',
        kind: 'cluster',
        name: cluster.name,
        doc: { ...withoutMeta(cluster), nodeAgentTokenHash: hashSecret(token) },
        expectedVersion: cluster.version,
      },
    ],
    actor,
    'rotate-node-agent-token',
  );
  return {
    cluster: rotated as Stored<'cluster'>,
    settings,
    token,
    manifest: nodeAgentTokenSecretYaml(nodeAgentTokenSecret(settings.namespace, token), cluster.name),
  };
}
