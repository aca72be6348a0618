/** Controls of the product's function (serverless) runtime policies: the honeypot credentials. */
import { unique, type Json, type Source } from './source.js';

/** The honeypot placements Vigil has; the product's other ones (e.g. a layer) are reported. */
function honeypotPlacement(entry: string): 'environment' | 'file' | undefined {
  const lower = entry.toLowerCase();
  if (lower.includes('env')) return 'environment';
  if (lower.includes('file')) return 'file';
  return undefined;
}

export function readFunctionControls(source: Source, controls: Json, applies: (key: string) => boolean): void {
  if (applies('honeypot') && source.control('tripwire')) {
    const honeypot: Json = { enabled: source.flag('tripwire.enabled') };
    const accessKeyId = source.string('tripwire.user_id');
    if (accessKeyId) honeypot.accessKeyId = accessKeyId;
    const secret = source.string('tripwire.user_password');
    if (secret) honeypot.secretAccessKey = secret;
    const applyOn = source.strings('tripwire.apply_on') ?? [];
    const placements: string[] = [];
    applyOn.forEach((entry, index) => {
      const placement = honeypotPlacement(entry);
      if (placement) placements.push(placement);
      else source.report(`tripwire.apply_on.${index}`);
    });
    if (placements.length > 0) honeypot.applyOn = unique(placements);
    controls.honeypot = honeypot;
  }
}
