import { describe, expect, it } from 'vitest';
import { defaultEnforcerSettings, enforcerSettingsSchema } from '../../layers/core/index.js';

describe('defaultEnforcerSettings', () => {
  it('is what the settings schema makes of an empty document', () => {
    expect(defaultEnforcerSettings()).toEqual(enforcerSettingsSchema.parse({}));
  });

  it('hands out a fresh copy each time', () => {
    const settings = defaultEnforcerSettings();
    settings.bypassScopes.pop();
    expect(defaultEnforcerSettings().bypassScopes).toHaveLength(2);
  });
});
