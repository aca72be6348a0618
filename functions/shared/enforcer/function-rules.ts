import { createHash } from 'node:crypto';
import {
  compileFunctionRules,
  compileSnapshot,
  workloadAttributes,
  type CompiledSnapshot,
  type ConfigSnapshot,
  type EnforcerGroup,
  type FunctionRuleTable,
} from '../../../layers/core/index.js';
import { ValidationError, type ErrorDetail } from '../errors.js';
import { enforcerBundle } from './bundle.js';

/** Bounds of the facts a caller sends: far above real names, low enough to bound the work per request. */
export const FUNCTION_FACT_LIMITS = { text: 256, tags: 50, tagsText: 4096 } as const;

/** The facts of one function, from the query string of `GET /v1/enforcers/rules`. */
export interface FunctionFacts {
  readonly function: string;
  readonly runtime: string | undefined;
  readonly region: string | undefined;
  readonly account: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  /** Names the facts in the entity tag: another function of the group gets another table. */
  readonly digest: string;
}

const hasControlCharacter = (text: string): boolean => [...text].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/** Reads and bounds the facts; a bad one is a 400 naming its query parameter. */
export function functionFactsOf(query: Readonly<Record<string, string | undefined>>): FunctionFacts {
  const details: ErrorDetail[] = [];
  const text = (name: string, required: boolean): string | undefined => {
    const value = query[name];
    if (value === undefined || value === '') {
      if (required) details.push({ path: name, message: 'required: the function name (AWS_LAMBDA_FUNCTION_NAME)' });
      return undefined;
    }
    if (value.length > FUNCTION_FACT_LIMITS.text) details.push({ path: name, message: `at most ${FUNCTION_FACT_LIMITS.text} characters` });
    else if (hasControlCharacter(value)) details.push({ path: name, message: 'must not contain control characters' });
    return value;
  };
  const fn = text('function', true);
  const runtime = text('runtime', false);
  const region = text('region', false);
  const account = text('account', false);
  const tags: Record<string, string> = {};
  const rawTags = query.tags ?? '';
  if (rawTags.length > FUNCTION_FACT_LIMITS.tagsText)
    details.push({ path: 'tags', message: `at most ${FUNCTION_FACT_LIMITS.tagsText} characters` });
  else if (hasControlCharacter(rawTags)) details.push({ path: 'tags', message: 'must not contain control characters' });
  else if (rawTags !== '') {
    const pairs = rawTags.split(',');
    if (pairs.length > FUNCTION_FACT_LIMITS.tags) details.push({ path: 'tags', message: `at most ${FUNCTION_FACT_LIMITS.tags} tags` });
    for (const pair of pairs) {
      const eq = pair.indexOf('=');
      if (eq <= 0) {
        details.push({ path: 'tags', message: `"${pair.slice(0, 40)}" is not key=value (tags are key=value,key2=value2)` });
        break;
      }
      tags[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
    }
  }
  if (details.length > 0 || fn === undefined) throw new ValidationError('the function facts are invalid', details);
  const canonical = JSON.stringify([fn, runtime ?? null, region ?? null, account ?? null, Object.entries(tags).sort()]);
  const digest = createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, 16);
  return { function: fn, runtime, region, account, tags, digest };
}

/** Groups whose compiled bundle is kept per revision: one compilation serves every function of a group. */
const KEPT_GROUPS = 64;

/**
 * Compiles rule tables from the group's bundle (the same folded policies the Node layer receives), so a
 * function gets from here exactly what the Node layer would decide for it. The compiled bundle of a group is
 * kept until the revision changes.
 */
export class FunctionRuleCache {
  private revision = -1;
  private readonly compiled = new Map<string, CompiledSnapshot>();

  table(snapshot: ConfigSnapshot, group: EnforcerGroup, facts: FunctionFacts): FunctionRuleTable {
    if (snapshot.revision !== this.revision) {
      this.compiled.clear();
      this.revision = snapshot.revision;
    }
    let compiled = this.compiled.get(group.name);
    if (!compiled) {
      const bundle = enforcerBundle(snapshot, group);
      compiled = compileSnapshot({
        revision: bundle.revision,
        policies: bundle.policies,
        applicationScopes: bundle.applicationScopes,
        settings: snapshot.settings,
        groups: [group],
      });
      if (this.compiled.size >= KEPT_GROUPS) this.compiled.delete(this.compiled.keys().next().value!);
      this.compiled.set(group.name, compiled);
    }
    const workload = workloadAttributes(
      {
        'function.name': facts.function,
        'function.runtime': facts.runtime,
        'cloud.region': facts.region,
        'cloud.awsaccount': facts.account,
        'enforcer.group': group.name,
      },
      { 'function.tag': facts.tags },
    );
    return compileFunctionRules({ bundle: { revision: snapshot.revision, snapshot: compiled, group }, workload });
  }
}
