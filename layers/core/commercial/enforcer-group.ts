/**
 * An enforcer group of the commercial product as a Vigil enforcer group. Its token is never imported: the group
 * gets a new one, shown once in the import answer, like `POST /v1/enforcer-groups`.
 */
import { enforcerTypes } from '../catalog.js';
import type { ItemConversion } from './runtime-policy.js';
import { Source, type Json } from './source.js';

// How the product deploys and counts its enforcers (gateways, images, install commands, connection counters):
// Vigil deploys its own, so these carry no protection.
const bookkeeping = [
  'id',
  'logicalname',
  'hostname',
  'gateways',
  'gateway_name',
  'gateway_address',
  'host_os',
  'orchestrator',
  'runtime_type',
  'enforcer_image_name',
  'install_command',
  'command',
  'hosts_count',
  'disconnected_count',
  'connected_count',
  'high_vulns',
  'med_vulns',
  'low_vulns',
  'neg_vulns',
  'last_update',
  'aqua_version',
  'permission',
  'pas_deployment_link',
  'allowed_labels_temp',
  'allowed_registries_temp',
  'allowed_secrets_temp',
  'micro_enforcer_image_name',
  'micro_enforcer_secrets_name',
  'micro_enforcer_certs_secrets_name',
  'kube_bench_image_name',
];

const fieldSources: Readonly<Record<string, string>> = {
  name: 'id',
  type: 'type',
  description: 'description',
  enforce: 'enforce',
  containerProtection: 'container_activity_protection',
  hostProtection: 'host_protection',
};

export function convertEnforcerGroup(input: Json): ItemConversion {
  const source = new Source(input, bookkeeping);
  const group: Json = {};
  // The product's id is the group's name in its API and URLs; logicalname is only a display name.
  const id = source.string('id');
  if (id !== undefined) group.name = id;
  else if (!source.has('id')) source.issues.push({ path: 'id', message: 'an enforcer group needs its "id" (the group name)' });

  const type = source.string('type');
  if (type === undefined || type === '') {
    group.type = 'agent';
    source.changed('type', 'the group names no type: it was imported as an agent group (node and host agents)');
  } else if ((enforcerTypes as readonly string[]).includes(type)) group.type = type;
  else
    source.issues.push({
      path: 'type',
      message: `must be one of ${enforcerTypes.join(', ')}; it is "${type}", which Vigil has no enforcer for`,
    });

  const description = source.string('description');
  if (description) group.description = description;
  const enforce = source.bool('enforce');
  if (enforce !== undefined) group.enforce = enforce;
  const containerProtection = source.bool('container_activity_protection');
  if (containerProtection !== undefined) group.containerProtection = containerProtection;
  const hostProtection = source.bool('host_protection');
  if (hostProtection !== undefined) group.hostProtection = hostProtection;

  const token = source.string('token');
  if (token)
    source.changed(
      'token',
      "the group's token is not imported (only its hash is ever stored): a new one is shown once in the answer; give it to this group's enforcers",
    );

  const sourceOf = (vigilPath: string): string | undefined => fieldSources[vigilPath.split('.')[0] ?? ''];
  return { value: group, unsupported: source.leftovers(), meaningChanges: source.meaningChanges, issues: source.issues, sourceOf };
}
