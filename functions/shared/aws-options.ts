import { BOUNDED_ATTEMPTS } from './call-budget.js';
import type { RuntimeConfig } from './runtime-config.js';

/**
 * The options every SDK client of the AWS adapters is built with: the deployment's region, and attempts that
 * fail when late (the call budget then bounds their retries).
 */
export function awsOptions(config: RuntimeConfig): { region?: string; requestHandler: typeof BOUNDED_ATTEMPTS } {
  return { ...(config.region ? { region: config.region } : {}), requestHandler: BOUNDED_ATTEMPTS };
}
