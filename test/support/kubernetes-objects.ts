// Validates the node agents' install objects the way a Kubernetes 1.35 API server would, as far as the data here
// allows. The only Kubernetes OpenAPI document available (`apis__admissionregistration.k8s.io__v1_openapi.json`)
// covers the admissionregistration.k8s.io/v1 group and the shared meta/v1 types: `metadata` (ObjectMeta) and label
// selectors (LabelSelector) are validated against it. It does not cover core/v1 (Namespace, ServiceAccount, Secret,
// pods), apps/v1 (Deployment, DaemonSet) or rbac.authorization.k8s.io/v1: for those kinds the structure is checked
// against the subset of their schema declared below (field names and types as in the Kubernetes API reference;
// a field outside the subset is reported, so the check is stricter than the API server, never looser), and the
// value rules the API server checks in code (names, selectors matching templates, volume references, enums,
// quantities) are checked by hand.
import {
  checkSelector,
  checkStructure,
  DNS1123_LABEL,
  isDns1123Subdomain,
  isQualifiedName,
  LABEL_VALUE,
  type Schema,
} from './kubernetes-schema.js';

const OBJECT_META: Schema = { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' };
const LABEL_SELECTOR: Schema = { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector' };

const str: Schema = { type: 'string' };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const strings: Schema = { type: 'array', items: str };
const stringMap: Schema = { type: 'object', additionalProperties: str };
const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({ type: 'object', properties, required });
const arr = (items: Schema): Schema => ({ type: 'array', items });

const seccompProfile = obj({ type: str, localhostProfile: str }, ['type']);
const containerSecurityContext = obj({
  runAsNonRoot: bool,
  runAsUser: int,
  runAsGroup: int,
  allowPrivilegeEscalation: bool,
  readOnlyRootFilesystem: bool,
  privileged: bool,
  capabilities: obj({ add: strings, drop: strings }),
  seccompProfile,
});
const container = obj(
  {
    name: str,
    image: str,
    imagePullPolicy: str,
    command: strings,
    args: strings,
    env: arr(
      obj(
        {
          name: str,
          value: str,
          valueFrom: obj({
            secretKeyRef: obj({ name: str, key: str, optional: bool }, ['key']),
            fieldRef: obj({ apiVersion: str, fieldPath: str }, ['fieldPath']),
          }),
        },
        ['name'],
      ),
    ),
    volumeMounts: arr(obj({ name: str, mountPath: str, readOnly: bool, subPath: str }, ['name', 'mountPath'])),
    securityContext: containerSecurityContext,
    resources: obj({ requests: stringMap, limits: stringMap }),
  },
  ['name'],
);
const podSpec = obj(
  {
    serviceAccountName: str,
    automountServiceAccountToken: bool,
    securityContext: obj({
      runAsNonRoot: bool,
      runAsUser: int,
      runAsGroup: int,
      fsGroup: int,
      supplementalGroups: arr(int),
      seccompProfile,
    }),
    tolerations: arr(obj({ key: str, operator: str, value: str, effect: str, tolerationSeconds: int })),
    nodeSelector: stringMap,
    priorityClassName: str,
    containers: arr(container),
    volumes: arr(
      obj(
        {
          name: str,
          hostPath: obj({ path: str, type: str }, ['path']),
          emptyDir: obj({ medium: str, sizeLimit: str }),
          secret: obj({ secretName: str, defaultMode: int }),
        },
        ['name'],
      ),
    ),
  },
  ['containers'],
);
const podTemplate = obj({ metadata: OBJECT_META, spec: podSpec });

const kinds: Record<string, { apiVersion: string; namespaced: boolean; schema: Schema }> = {
  Namespace: { apiVersion: 'v1', namespaced: false, schema: obj({ apiVersion: str, kind: str, metadata: OBJECT_META }) },
  ServiceAccount: {
    apiVersion: 'v1',
    namespaced: true,
    schema: obj({ apiVersion: str, kind: str, metadata: OBJECT_META, automountServiceAccountToken: bool }),
  },
  Secret: {
    apiVersion: 'v1',
    namespaced: true,
    schema: obj({ apiVersion: str, kind: str, metadata: OBJECT_META, type: str, data: stringMap, stringData: stringMap }),
  },
  ClusterRole: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    namespaced: false,
    schema: obj({
      apiVersion: str,
      kind: str,
      metadata: OBJECT_META,
      rules: arr(
        obj({ apiGroups: strings, resources: strings, resourceNames: strings, verbs: strings, nonResourceURLs: strings }, ['verbs']),
      ),
    }),
  },
  ClusterRoleBinding: {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    namespaced: false,
    schema: obj(
      {
        apiVersion: str,
        kind: str,
        metadata: OBJECT_META,
        roleRef: obj({ apiGroup: str, kind: str, name: str }, ['apiGroup', 'kind', 'name']),
        subjects: arr(obj({ kind: str, apiGroup: str, name: str, namespace: str }, ['kind', 'name'])),
      },
      ['roleRef'],
    ),
  },
  Deployment: {
    apiVersion: 'apps/v1',
    namespaced: true,
    schema: obj({
      apiVersion: str,
      kind: str,
      metadata: OBJECT_META,
      spec: obj(
        {
          replicas: int,
          selector: LABEL_SELECTOR,
          strategy: obj({ type: str, rollingUpdate: obj({ maxSurge: int, maxUnavailable: int }) }),
          template: podTemplate,
        },
        ['selector', 'template'],
      ),
    }),
  },
  DaemonSet: {
    apiVersion: 'apps/v1',
    namespaced: true,
    schema: obj({
      apiVersion: str,
      kind: str,
      metadata: OBJECT_META,
      spec: obj(
        {
          selector: LABEL_SELECTOR,
          updateStrategy: obj({ type: str, rollingUpdate: obj({ maxSurge: int, maxUnavailable: int }) }),
          template: podTemplate,
        },
        ['selector', 'template'],
      ),
    }),
  },
};

/** The kinds this validator knows; anything else is refused rather than passed unchecked. */
export const VALIDATED_KINDS = Object.keys(kinds);

const RBAC_VERBS = new Set(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection', '*']);
const CAPABILITY = /^(ALL|[A-Z_]+)$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const QUANTITY = /^(\d+(\.\d+)?)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const UNIT: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

function quantity(value: string): number | undefined {
  const match = QUANTITY.exec(value);
  return match ? Number(match[1]) * UNIT[match[3] ?? '']! : undefined;
}

function checkLabels(labels: Record<string, unknown> | undefined, at: string, problems: string[]): void {
  for (const [key, value] of Object.entries(labels ?? {}))
    if (!isQualifiedName(key) || typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) problems.push(`${at}.${key}`);
}

function checkContainer(c: any, at: string, volumes: Set<string>, problems: string[]): void {
  if (!DNS1123_LABEL.test(c.name) || c.name.length > 63) problems.push(`${at}.name: not a DNS-1123 label`);
  if (typeof c.image !== 'string' || c.image.trim() === '') problems.push(`${at}.image: required`);
  if (c.imagePullPolicy !== undefined && !['Always', 'IfNotPresent', 'Never'].includes(c.imagePullPolicy))
    problems.push(`${at}.imagePullPolicy`);
  const envNames = new Set<string>();
  for (const [i, env] of (c.env ?? []).entries()) {
    if (!ENV_NAME.test(env.name)) problems.push(`${at}.env[${i}].name: not a valid variable name`);
    if (envNames.has(env.name)) problems.push(`${at}.env[${i}].name: duplicate`);
    envNames.add(env.name);
    const sources = Object.keys(env.valueFrom ?? {}).length;
    if (env.valueFrom !== undefined && (sources !== 1 || env.value !== undefined))
      problems.push(`${at}.env[${i}]: exactly one of value or one valueFrom source`);
  }
  for (const [i, mount] of (c.volumeMounts ?? []).entries()) {
    if (!volumes.has(mount.name)) problems.push(`${at}.volumeMounts[${i}].name: no volume "${mount.name}"`);
    if (!String(mount.mountPath).startsWith('/')) problems.push(`${at}.volumeMounts[${i}].mountPath: must be absolute`);
  }
  for (const cap of [...(c.securityContext?.capabilities?.drop ?? []), ...(c.securityContext?.capabilities?.add ?? [])])
    if (!CAPABILITY.test(cap)) problems.push(`${at}.securityContext.capabilities: ${cap}`);
  const seccomp = c.securityContext?.seccompProfile?.type;
  if (seccomp !== undefined && !['RuntimeDefault', 'Localhost', 'Unconfined'].includes(seccomp))
    problems.push(`${at}.securityContext.seccompProfile.type`);
  if (c.securityContext?.privileged === true && c.securityContext?.allowPrivilegeEscalation === false)
    problems.push(`${at}.securityContext: privileged needs allowPrivilegeEscalation`);
  const { requests = {}, limits = {} } = c.resources ?? {};
  for (const [kind, values] of [
    ['requests', requests],
    ['limits', limits],
  ] as const)
    for (const [resource, value] of Object.entries(values as Record<string, string>))
      if (quantity(value) === undefined) problems.push(`${at}.resources.${kind}.${resource}: not a quantity`);
  for (const [resource, request] of Object.entries(requests as Record<string, string>)) {
    const limit = (limits as Record<string, string>)[resource];
    if (limit !== undefined && (quantity(request) ?? 0) > (quantity(limit) ?? 0))
      problems.push(`${at}.resources.requests.${resource}: must be less than or equal to the limit`);
  }
}

function checkPodTemplate(workload: any, problems: string[]): void {
  const template = workload.spec?.template ?? {};
  const spec = template.spec ?? {};
  const matchLabels: Record<string, string> = workload.spec?.selector?.matchLabels ?? {};
  checkSelector(workload.spec?.selector ?? {}, 'spec.selector', problems);
  checkLabels(template.metadata?.labels, 'spec.template.metadata.labels', problems);
  if (Object.keys(matchLabels).length === 0 && (workload.spec?.selector?.matchExpressions ?? []).length === 0)
    problems.push('spec.selector: empty selector');
  for (const [key, value] of Object.entries(matchLabels))
    if (template.metadata?.labels?.[key] !== value)
      problems.push('spec.template.metadata.labels: `selector` does not match template `labels`');
  if (spec.serviceAccountName !== undefined && !isDns1123Subdomain(spec.serviceAccountName))
    problems.push('spec.template.spec.serviceAccountName');
  const volumes = new Set<string>();
  for (const [i, volume] of (spec.volumes ?? []).entries()) {
    const at = `spec.template.spec.volumes[${i}]`;
    if (!DNS1123_LABEL.test(volume.name)) problems.push(`${at}.name: not a DNS-1123 label`);
    if (volumes.has(volume.name)) problems.push(`${at}.name: duplicate`);
    volumes.add(volume.name);
    if (Object.keys(volume).filter((key) => key !== 'name').length !== 1) problems.push(`${at}: exactly one volume source`);
    if (volume.hostPath) {
      if (!String(volume.hostPath.path).startsWith('/')) problems.push(`${at}.hostPath.path: must be absolute`);
      const types = ['', 'DirectoryOrCreate', 'Directory', 'FileOrCreate', 'File', 'Socket', 'CharDevice', 'BlockDevice'];
      if (volume.hostPath.type !== undefined && !types.includes(volume.hostPath.type)) problems.push(`${at}.hostPath.type`);
    }
    if (volume.emptyDir?.sizeLimit !== undefined && quantity(volume.emptyDir.sizeLimit) === undefined)
      problems.push(`${at}.emptyDir.sizeLimit`);
  }
  if ((spec.containers ?? []).length === 0) problems.push('spec.template.spec.containers: required');
  const names = new Set<string>();
  for (const [i, c] of (spec.containers ?? []).entries()) {
    if (names.has(c.name)) problems.push(`spec.template.spec.containers[${i}].name: duplicate`);
    names.add(c.name);
    checkContainer(c, `spec.template.spec.containers[${i}]`, volumes, problems);
  }
  for (const [i, toleration] of (spec.tolerations ?? []).entries()) {
    if (toleration.operator !== undefined && !['Exists', 'Equal'].includes(toleration.operator))
      problems.push(`spec.template.spec.tolerations[${i}].operator`);
    if (toleration.operator === 'Exists' && toleration.value !== undefined) problems.push(`spec.template.spec.tolerations[${i}].value`);
  }
}

function checkValues(object: any, problems: string[]): void {
  const known = kinds[object.kind]!;
  if (object.apiVersion !== known.apiVersion) problems.push(`apiVersion: must be ${known.apiVersion}`);
  const name: unknown = object.metadata?.name;
  const nameOk =
    object.kind === 'Namespace'
      ? typeof name === 'string' && name.length <= 63 && DNS1123_LABEL.test(name)
      : typeof name === 'string' && isDns1123Subdomain(name);
  if (!nameOk) problems.push(`metadata.name: ${JSON.stringify(name)} is not a valid name`);
  if (known.namespaced !== (object.metadata?.namespace !== undefined))
    problems.push(`metadata.namespace: ${known.namespaced ? 'required' : 'not allowed'} for ${object.kind}`);
  if (object.metadata?.namespace !== undefined && !DNS1123_LABEL.test(object.metadata.namespace)) problems.push('metadata.namespace');
  checkLabels(object.metadata?.labels, 'metadata.labels', problems);
  switch (object.kind) {
    case 'Secret':
      for (const key of Object.keys({ ...object.data, ...object.stringData }))
        if (!CONFIG_KEY.test(key)) problems.push(`stringData.${key}`);
      break;
    case 'ClusterRole':
      for (const [i, rule] of (object.rules ?? []).entries()) {
        if ((rule.verbs ?? []).length === 0) problems.push(`rules[${i}].verbs: required`);
        for (const verb of rule.verbs ?? []) if (!RBAC_VERBS.has(verb)) problems.push(`rules[${i}].verbs: ${verb}`);
        if ((rule.resources ?? []).length > 0 && rule.apiGroups === undefined)
          problems.push(`rules[${i}].apiGroups: required with resources`);
      }
      break;
    case 'ClusterRoleBinding':
      if (object.roleRef.apiGroup !== 'rbac.authorization.k8s.io' || !['ClusterRole', 'Role'].includes(object.roleRef.kind))
        problems.push('roleRef');
      for (const [i, subject] of (object.subjects ?? []).entries())
        if (subject.kind === 'ServiceAccount' && !subject.namespace)
          problems.push(`subjects[${i}].namespace: required for a ServiceAccount`);
      break;
    case 'Deployment':
      if (object.spec.replicas !== undefined && object.spec.replicas < 0) problems.push('spec.replicas');
      if (!['Recreate', 'RollingUpdate', undefined].includes(object.spec.strategy?.type)) problems.push('spec.strategy.type');
      if (object.spec.strategy?.type === 'Recreate' && object.spec.strategy.rollingUpdate)
        problems.push('spec.strategy.rollingUpdate: not with Recreate');
      checkPodTemplate(object, problems);
      break;
    case 'DaemonSet':
      if (!['OnDelete', 'RollingUpdate', undefined].includes(object.spec.updateStrategy?.type)) problems.push('spec.updateStrategy.type');
      checkPodTemplate(object, problems);
      break;
  }
}

/** Every reason the API server would refuse the object, as far as this validator knows; empty when it would accept it. */
export function validateKubernetesObject(object: unknown): string[] {
  const kind = (object as { kind?: unknown } | null)?.kind;
  if (typeof kind !== 'string' || !(kind in kinds)) return [`kind: ${JSON.stringify(kind)} is not one this validator knows`];
  const problems: string[] = [];
  checkStructure(object, kinds[kind]!.schema, '', problems);
  if (problems.length === 0) checkValues(object, problems);
  return problems.map((problem) => problem.replace(/^\./, ''));
}
