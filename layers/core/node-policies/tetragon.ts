/**
 * The parts of Tetragon's v1.7 `cilium.io/v1alpha1` TracingPolicy and TracingPolicyNamespaced objects the
 * compiler writes, and the limits of the engine that the CRD schema does not state but the agent enforces
 * when it loads a policy.
 */

export const TETRAGON_API_VERSION = 'cilium.io/v1alpha1';

/** Limits the agent checks at load time; larger rule sets are split over several selectors or objects. */
export const TETRAGON_LIMITS = {
  selectorsPerHook: 5,
  matchArgsPerSelector: 5,
  /** Kept small so that one selector's maps stay well inside the agent's per-selector value maps. */
  valuesPerMatchArg: 64,
  prefixLength: 256,
  postfixLength: 128,
  equalLength: 256,
  tags: 16,
  messageLength: 256,
} as const;

export type StringOperator = 'Equal' | 'NotEqual' | 'Prefix' | 'NotPrefix' | 'Postfix' | 'NotPostfix';
export type ArgOperator = StringOperator | 'Mask' | 'SPort' | 'NotSAddr' | 'Family';

export interface MatchArg {
  readonly index: number;
  readonly operator: ArgOperator;
  readonly values: readonly string[];
}

export interface MatchBinary {
  readonly operator: 'In' | 'NotIn';
  readonly values: readonly string[];
}

export interface MatchPid {
  readonly operator: 'NotIn';
  readonly followForks: boolean;
  readonly isNamespacePID: boolean;
  readonly values: readonly number[];
}

export type MatchAction =
  { readonly action: 'Override'; readonly argError: number } | { readonly action: 'Post'; readonly rateLimit?: string };

export interface Selector {
  readonly matchArgs?: readonly MatchArg[];
  readonly matchBinaries?: readonly MatchBinary[];
  readonly matchPIDs?: readonly MatchPid[];
  readonly matchActions: readonly MatchAction[];
}

export type ArgType = 'linux_binprm' | 'file' | 'path' | 'dentry' | 'int' | 'sockaddr';

export interface LsmHook {
  readonly hook: string;
  readonly args: readonly { readonly index: number; readonly type: ArgType }[];
  readonly message: string;
  readonly tags: readonly string[];
  readonly selectors: readonly Selector[];
}

export interface LabelRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn';
  readonly values: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelRequirement[];
}

export interface TracingPolicySpec {
  readonly podSelector?: LabelSelector;
  readonly containerSelector?: LabelSelector;
  readonly hostSelector?: LabelSelector;
  readonly options: readonly { readonly name: 'policy-mode'; readonly value: 'enforce' | 'monitor' }[];
  readonly lsmhooks: readonly LsmHook[];
}

export interface TracingPolicyObject {
  readonly apiVersion: typeof TETRAGON_API_VERSION;
  readonly kind: 'TracingPolicy' | 'TracingPolicyNamespaced';
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
  };
  readonly spec: TracingPolicySpec;
}

/** The pod label key through which Tetragon's podSelector selects a namespace. */
export const NAMESPACE_LABEL_KEY = 'k8s:io.kubernetes.pod.namespace';
