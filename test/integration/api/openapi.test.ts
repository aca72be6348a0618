import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { routes } from '../../../functions/shared/routes.js';
import { MAX_PAGE_BYTES } from '../../../functions/shared/storage/config-reads.js';
import { useApi } from '../../support/api.js';

const api = useApi();

describe('GET /v1/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const response = await api.call('GET', '/v1/openapi.json', { token: null });
    expect(response.status).toBe(200);
    const validator = new Validator();
    const result = await validator.validate(response.body);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('documents every route of the API with its schemas', async () => {
    const document = (await api.call('GET', '/v1/openapi.json', { token: null })).body;
    for (const route of routes)
      expect(document.paths[route.path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined();
    expect(document.components.schemas.Policy.oneOf ?? document.components.schemas.Policy.anyOf).toHaveLength(3);
  });

  it('says that configuration list pages also end by size, with the bound the store applies', async () => {
    const document = (await api.call('GET', '/v1/openapi.json', { token: null })).body;
    for (const path of ['/v1/policies', '/v1/application-scopes', '/v1/enforcer-groups', '/v1/clusters']) {
      const limit = document.paths[path].get.parameters.find((parameter: { name: string }) => parameter.name === 'limit');
      expect(limit.description, path).toContain(`${MAX_PAGE_BYTES / (1024 * 1024)} MiB`);
    }
  });

  it("says that a PUT or PATCH that changes nothing answers the save-time advice of the item's save, and validates that answer", async () => {
    const document = (await api.call('GET', '/v1/openapi.json', { token: null })).body;
    const advised = { '/v1/policies/{name}': 'save-time warnings', '/v1/enforcer-groups/{name}': 'clustersToReissue and warnings' };
    for (const [path, advice] of Object.entries(advised)) {
      expect(document.paths[path].put.description, `PUT ${path}`).toContain(`answers 200 with it and the ${advice} a save of it answers`);
      const patch = document.paths[path].patch.requestBody.content['application/merge-patch+json'].schema;
      expect(patch.description, `PATCH ${path}`).toContain(`answers 200 with it and the ${advice} a save of it answers`);
    }
    for (const path of ['/v1/application-scopes/{name}', '/v1/settings/enforcer'])
      expect(document.paths[path].put.description, `PUT ${path}`).toContain('answers 200 with it, at the same version');

    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'openapi', components: document.components });
    await api.call('POST', '/v1/policies', {
      body: { name: 'documented-unchanged', type: 'container', controls: { limitContainerPrivileges: { enabled: true } } },
    });
    for (const [path, route] of [
      ['/v1/policies/documented-unchanged', '/v1/policies/{name}'],
      ['/v1/enforcer-groups/default-ke', '/v1/enforcer-groups/{name}'],
    ] as const) {
      const unchanged = await api.call('PUT', path, { body: (await api.call('GET', path)).body });
      expect(unchanged.status, path).toBe(200);
      const schema = JSON.parse(
        JSON.stringify(document.paths[route].put.responses['200'].content['application/json'].schema).replaceAll(
          '"#/components',
          '"openapi#/components',
        ),
      );
      const validate = ajv.compile(schema);
      expect(validate(unchanged.body) ? [] : validate.errors, path).toEqual([]);
    }
  });

  it('describes the control catalog and the policy templates as they are answered (the console builds its forms from them)', async () => {
    const document = (await api.call('GET', '/v1/openapi.json', { token: null })).body;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addSchema({ $id: 'openapi', components: document.components });
    for (const [path, answer] of [
      ['/v1/controls', document.paths['/v1/controls'].get.responses['200']],
      ['/v1/policy-templates', document.paths['/v1/policy-templates'].get.responses['200']],
      ['/v1/policy-templates/default', document.paths['/v1/policy-templates/{id}'].get.responses['200']],
    ] as const) {
      const schema = JSON.parse(
        JSON.stringify(answer.content['application/json'].schema).replaceAll('"#/components', '"openapi#/components'),
      );
      const response = await api.call('GET', path);
      expect(response.status, path).toBe(200);
      const validate = ajv.compile(schema);
      expect(validate(response.body) ? [] : validate.errors, path).toEqual([]);
    }
    expect(document.paths['/v1/controls'].get.responses['200'].content['application/json'].schema.properties.items.items).toEqual({
      $ref: '#/components/schemas/Control',
    });
  });
});
