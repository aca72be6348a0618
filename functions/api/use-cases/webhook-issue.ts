// Issuing a cluster's webhook secret and manifest, and finding the clusters whose applied manifest no longer
// matches their group. A manifest carries the group's failMode (failurePolicy, and the mark in the secret),
// timeoutSeconds and exemptKubeSystem (namespaceSelector) as they were when it was issued: a group change reaches
// a cluster only when its manifest is issued again, which needs a new secret (only the secret's hash is kept).
import type { EnforcerGroup } from '../../../layers/core/index.js';
import { hashSecret } from '../../shared/http/auth.js';
import type { Runtime } from '../../shared/runtime.js';
import { listAll, withoutMeta } from '../../shared/storage/read-all.js';
import type { Actor, ClusterRecord, Stored } from '../../shared/storage/ports.js';
import { manifestSettings, webhookManifest, type ManifestSettings } from '../../shared/webhook-manifest.js';
import { newWebhookSecret, webhookUrl } from '../../shared/webhook.js';

type ManifestGroup = Pick<EnforcerGroup, 'failMode' | 'timeoutSeconds'> & { readonly exemptKubeSystem?: boolean };

/** A freshly issued webhook: the secret (only ever shown, never stored), its URL, the manifest and what it was issued with. */
export interface IssuedWebhook {
  readonly secret: string;
  readonly url: string;
  readonly manifest: string;
  readonly settings: ManifestSettings;
  readonly warnings: string[];
}

export function issueWebhook(runtime: Runtime, cluster: string, group: ManifestGroup): IssuedWebhook {
  const secret = newWebhookSecret(group.failMode);
  const url = webhookUrl(runtime.config.publicBaseUrl ?? '', cluster, secret);
  const warnings = url.startsWith('https://')
    ? []
    : ['the webhook URL is not https: the Kubernetes API server only calls https webhooks (start local mode with --tls)'];
  return {
    secret,
    url,
    warnings,
    settings: manifestSettings(group),
    manifest: webhookManifest({ cluster, url, group, caBundle: runtime.config.webhookCaBundle }),
  };
}

/** The cluster record after issuing: the new secret's hash and the settings its manifest carries. */
export function withIssued(cluster: ClusterRecord, issued: IssuedWebhook): ClusterRecord {
  return { ...cluster, secretHash: hashSecret(issued.secret), issuedWith: issued.settings };
}

function sameSettings(a: ManifestSettings, b: ManifestSettings): boolean {
  return a.failMode === b.failMode && a.timeoutSeconds === b.timeoutSeconds && a.exemptKubeSystem === b.exemptKubeSystem;
}

/**
 * Whether the cluster's applied manifest differs from what the group asks for now. A cluster registered before
 * Vigil recorded the settings is taken to carry `assumedIssuedWith` (the group as it was before a change), or,
 * when that is not known, to be out of date.
 */
export function needsReissue(cluster: ClusterRecord, group: ManifestGroup, assumedIssuedWith?: ManifestGroup): boolean {
  const issuedWith = cluster.issuedWith ?? (assumedIssuedWith ? manifestSettings(assumedIssuedWith) : undefined);
  return issuedWith === undefined || !sameSettings(issuedWith, manifestSettings(group));
}

/** The group's clusters whose manifests are out of date, by name. */
export async function clustersToReissue(
  runtime: Runtime,
  groupName: string,
  group: ManifestGroup,
  assumedIssuedWith?: ManifestGroup,
): Promise<Array<Stored<'cluster'>>> {
  const clusters = await listAll(runtime.configStore, 'cluster');
  return clusters.filter((cluster) => cluster.enforcerGroup === groupName && needsReissue(cluster, group, assumedIssuedWith));
}

/**
 * Issues new secrets and manifests for every given cluster in one all-or-nothing write (each conditioned on the
 * version read): either every cluster gets its new manifest or none does.
 */
export async function reissueWebhooks(
  runtime: Runtime,
  clusters: ReadonlyArray<Stored<'cluster'>>,
  group: ManifestGroup,
  actor: Actor,
): Promise<Array<{ readonly cluster: Stored<'cluster'>; readonly issued: IssuedWebhook }>> {
  if (clusters.length === 0) return [];
  const issued = clusters.map((cluster) => ({ cluster, issued: issueWebhook(runtime, cluster.name, group) }));
  const written = await runtime.configStore.apply(
    issued.map(({ cluster, issued: webhook }) => ({
      op: 'replace' as const,
      kind: 'cluster' as const,
      name: cluster.name,
      doc: withIssued(withoutMeta(cluster), webhook),
      expectedVersion: cluster.version,
    })),
    actor,
    'rotate-secret',
  );
  return issued.map(({ issued: webhook }, i) => ({ cluster: written[i] as Stored<'cluster'>, issued: webhook }));
}
