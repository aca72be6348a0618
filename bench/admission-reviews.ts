/**
 * AdmissionReview bodies for the admission benchmark, built from the real reviews in
 * test/fixtures/admission: the same JSON the EKS API server sends, with uid, namespace, pod name,
 * labels, images and command varied per pod. Pods are placed mostly where the generated policies
 * point (`BenchConfig.targets`), so that the candidate index sees hits as well as misses.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchConfig } from './generate.js';
import { seededRandom } from './prng.js';

const fixtures = fileURLToPath(new URL('../test/fixtures/admission/', import.meta.url));

function fixture(path: string): Record<string, any> {
  return JSON.parse(readFileSync(`${fixtures}${path}`, 'utf8')) as Record<string, any>;
}

/** `kubectl exec -it test-nginx -- sh` into default/test-nginx. */
const EXEC_FIXTURE = 'exec-guard/denied/exec-sh.json';
/** `kubectl run test-nginx --image nginx` (a pod CREATE with one container). */
const CREATE_FIXTURE = 'debug-containers/allowed/create-pod.json';

export type ReviewKind = 'exec' | 'create';
export const reviewKinds: readonly ReviewKind[] = ['exec', 'create'];

/** One running pod of the benchmark: created once (learned by the webhook), exec'd into later. */
export interface BenchPod {
  readonly cluster: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly images: readonly string[];
  readonly command: readonly string[];
}

const APPS = ['web', 'api', 'worker', 'cache', 'batch', 'gateway'] as const;
const TIERS = ['frontend', 'backend', 'data'] as const;
const REGISTRIES = [
  '',
  'docker.io/library/',
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/acme/',
  'ghcr.io/acme/',
  'quay.io/acme/',
] as const;
const SIDECARS = ['envoyproxy/envoy:v1.31', 'docker.io/fluent/fluent-bit:3.1'] as const;
const COMMANDS: ReadonlyArray<readonly string[]> = [['sh'], ['sh'], ['sh'], ['/bin/bash', '-c', 'id'], ['date'], ['python3', '-V']];

/** `count` pods, 70 % in cluster/namespace pairs that scoped policies name; the same pods on every run. */
export function benchPods(bench: BenchConfig, count: number): BenchPod[] {
  const random = seededRandom((bench.seed ^ 0x5eed) >>> 0);
  const pods: BenchPod[] = [];
  for (let i = 0; i < count; i++) {
    const place =
      bench.targets.length > 0 && random.chance(0.7)
        ? random.pick(bench.targets)
        : { cluster: `cluster-${random.int(4)}`, namespace: `ns-${random.int(Math.max(8, Math.round(bench.n / 8)))}` };
    const app = `${random.pick(APPS)}-${random.int(64)}`;
    const hash = (0x10000000 + random.int(0x70000000)).toString(16).slice(0, 9);
    pods.push({
      cluster: place.cluster,
      namespace: place.namespace,
      name: `${app}-${hash}-${i.toString(36).padStart(5, 'x')}`,
      labels: { app, team: `team-${random.int(64)}`, tier: random.pick(TIERS), 'pod-template-hash': hash },
      images: [`${random.pick(REGISTRIES)}${app}:${random.pick(['1.27', 'v2.3.1', 'latest'])}`, random.pick(SIDECARS)],
      command: random.pick(COMMANDS),
    });
  }
  return pods;
}

const execTemplate = fixture(EXEC_FIXTURE);
const createTemplate = fixture(CREATE_FIXTURE);

/** CONNECT pods/exec into the pod's first container. */
export function execReview(pod: BenchPod, uid: string, dryRun = false): Record<string, any> {
  const review = structuredClone(execTemplate);
  const request = review.request;
  request.uid = uid;
  request.namespace = pod.namespace;
  request.name = pod.name;
  request.dryRun = dryRun;
  request.object.container = 'app';
  request.object.command = [...pod.command];
  return review;
}

/** CREATE of the pod (explicit name, so that later execs resolve it by name) with an app and a sidecar container. */
export function createReview(pod: BenchPod, uid: string, dryRun = false): Record<string, any> {
  const review = structuredClone(createTemplate);
  const request = review.request;
  request.uid = uid;
  request.namespace = pod.namespace;
  request.name = pod.name;
  request.dryRun = dryRun;
  const metadata = request.object.metadata;
  metadata.namespace = pod.namespace;
  metadata.name = pod.name;
  metadata.labels = { ...pod.labels };
  const [template] = request.object.spec.containers as Array<Record<string, unknown>>;
  request.object.spec.containers = pod.images.map((image, i) => ({ ...template, name: i === 0 ? 'app' : 'sidecar', image }));
  return review;
}

/** The review of one kind for one pod. */
export function reviewFor(kind: ReviewKind, pod: BenchPod, uid: string, dryRun = false): Record<string, any> {
  return kind === 'exec' ? execReview(pod, uid, dryRun) : createReview(pod, uid, dryRun);
}
