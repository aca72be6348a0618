import { z } from 'zod';

// Kubernetes adds fields between versions; an admission webhook must accept what it does not know,
// so these schemas are loose (unknown keys pass) while the fields Vigil reads are type-checked.

const groupVersionKind = z.looseObject({ group: z.string(), version: z.string(), kind: z.string() });
const groupVersionResource = z.looseObject({ group: z.string(), version: z.string(), resource: z.string() });

export const userInfoSchema = z.looseObject({
  username: z.string().optional(),
  uid: z.string().optional(),
  groups: z.array(z.string()).optional(),
});

/** The `request` of an admission.k8s.io/v1 AdmissionReview. */
export const admissionRequestSchema = z.looseObject({
  uid: z.string().min(1).max(128),
  kind: groupVersionKind,
  resource: groupVersionResource,
  subResource: z.string().optional(),
  name: z.string().optional(),
  namespace: z.string().optional(),
  operation: z.enum(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']),
  userInfo: userInfoSchema,
  object: z.unknown().optional(),
  oldObject: z.unknown().optional(),
  dryRun: z.boolean().optional(),
  options: z.unknown().optional(),
});
export type AdmissionRequest = z.output<typeof admissionRequestSchema>;

/** An AdmissionReview as the API server sends it. */
export const admissionReviewSchema = z.looseObject({
  apiVersion: z.literal('admission.k8s.io/v1', { error: 'apiVersion must be admission.k8s.io/v1 (set admissionReviewVersions: ["v1"])' }),
  kind: z.literal('AdmissionReview', { error: 'kind must be AdmissionReview' }),
  request: admissionRequestSchema,
});
export type AdmissionReview = z.output<typeof admissionReviewSchema>;

const securityContextSchema = z
  .looseObject({
    privileged: z.boolean().nullish(),
    allowPrivilegeEscalation: z.boolean().nullish(),
    runAsUser: z.number().int().nullish(),
    runAsNonRoot: z.boolean().nullish(),
    readOnlyRootFilesystem: z.boolean().nullish(),
    capabilities: z.looseObject({ add: z.array(z.string()).nullish(), drop: z.array(z.string()).nullish() }).nullish(),
  })
  .nullish();

const containerSchema = z.looseObject({
  name: z.string(),
  image: z.string().optional().default(''),
  securityContext: securityContextSchema,
  ports: z.array(z.looseObject({ containerPort: z.number().int().nullish(), hostPort: z.number().int().nullish() })).nullish(),
});

/** The fields of a core/v1 Pod that admission decisions read. */
export const podSchema = z.looseObject({
  metadata: z
    .looseObject({
      name: z.string().optional(),
      generateName: z.string().optional(),
      namespace: z.string().optional(),
      labels: z.record(z.string(), z.string()).nullish(),
      annotations: z.record(z.string(), z.string()).nullish(),
      ownerReferences: z.array(z.looseObject({ kind: z.string(), name: z.string(), controller: z.boolean().nullish() })).nullish(),
    })
    .default({}),
  spec: z
    .looseObject({
      serviceAccountName: z.string().nullish(),
      hostNetwork: z.boolean().nullish(),
      hostPID: z.boolean().nullish(),
      hostIPC: z.boolean().nullish(),
      securityContext: z.looseObject({ runAsUser: z.number().int().nullish(), runAsNonRoot: z.boolean().nullish() }).nullish(),
      containers: z.array(containerSchema).default([]),
      initContainers: z.array(containerSchema).nullish(),
      ephemeralContainers: z.array(containerSchema).nullish(),
      volumes: z.array(z.looseObject({ name: z.string(), hostPath: z.looseObject({ path: z.string() }).nullish() })).nullish(),
    })
    .default({ containers: [] }),
});
export type Pod = z.output<typeof podSchema>;

/** PodExecOptions, PodAttachOptions and PodPortForwardOptions share this shape. */
export const connectOptionsSchema = z.looseObject({
  container: z.string().optional(),
  command: z.array(z.string()).optional(),
  ports: z.array(z.number().int()).optional(),
});
