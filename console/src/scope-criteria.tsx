// The criteria of a scope, shared by the policy editor (a policy's scope) and the application-scope editor:
// variables v1, v2, … and the formula over them, checked while typed by the core's own parser, so that the
// browser and the API cannot disagree about it.

import { useMemo } from 'preact/hooks';
import { attributeCatalog, type AttributeDefinition } from '../../layers/core/attributes.js';
import { ScopeParseError, parseScopeExpression, SCOPE_LIMITS } from '../../layers/core/scope/expression.js';
import type { ApplicationScope } from './api';
import { FieldErrors, fieldAria, fieldId, Hint } from './forms';

export type Variable = ApplicationScope['variables'][number];

export interface Criteria {
  readonly expression: string;
  readonly variables: readonly Variable[];
}

/** What the formula's parser says of it, live, before anything is sent. */
export function expressionProblem(expression: string, variableCount: number): string | undefined {
  if (expression.trim() === '') return undefined;
  try {
    parseScopeExpression(expression, Math.min(variableCount, SCOPE_LIMITS.maxVariables));
    return undefined;
  } catch (error) {
    if (error instanceof ScopeParseError) return `${error.message} (at character ${error.position + 1})`;
    throw error;
  }
}

/**
 * The criteria as the API takes them. A key typed for a labelled attribute is dropped once the variable's
 * attribute has no key: the input is no longer shown, so the API's "remove name" would point at nothing.
 */
export function criteriaBody(criteria: Criteria): Criteria {
  return {
    expression: criteria.expression,
    variables: criteria.variables.map(({ name, ...variable }) =>
      attributeCatalog.find((a) => a.attribute === variable.attribute)?.keyed === true ? { ...variable, name: name ?? '' } : variable,
    ),
  };
}

interface CriteriaFieldsProps {
  /** The JSON path of the criteria in the API's body: `scope.` in a policy, empty in an application scope. */
  readonly prefix: string;
  readonly criteria: Criteria;
  /** The attributes a variable may use (a policy's type narrows them). */
  readonly attributes: readonly AttributeDefinition[];
  /** The API's messages at a JSON path, from the last refused save. */
  readonly messages: (path: string) => string[];
  readonly onChange: (criteria: Criteria) => void;
}

/** The variables and the formula, each with its messages: the parser's live and the API's after a save. */
export function CriteriaFields({ prefix, criteria, attributes, messages, onChange }: CriteriaFieldsProps) {
  const { variables, expression } = criteria;
  const liveProblem = useMemo(() => expressionProblem(expression, variables.length), [expression, variables.length]);
  const setVariable = (index: number, change: Partial<Variable>): void =>
    onChange({ ...criteria, variables: variables.map((v, i) => (i === index ? { ...v, ...change } : v)) });
  const expressionPath = `${prefix}expression`;
  const expressionMessages = [...(liveProblem ? [liveProblem] : []), ...messages(expressionPath)];
  return (
    <>
      <h3>Variables</h3>
      {variables.length === 0 && <p class="hint">No variables.</p>}
      <ol class="variables">
        {variables.map((variable, index) => {
          const base = `${prefix}variables.${index}`;
          const keyed = attributeCatalog.find((a) => a.attribute === variable.attribute)?.keyed === true;
          return (
            <li key={index}>
              <span class="var-name">v{index + 1}</span>
              <div>
                <label for={fieldId(`${base}.attribute`)}>Attribute</label>
                <select
                  value={variable.attribute}
                  onChange={(e) => setVariable(index, { attribute: e.currentTarget.value })}
                  {...fieldAria(`${base}.attribute`, messages(`${base}.attribute`))}
                >
                  {attributes.map((a) => (
                    <option key={a.attribute} value={a.attribute}>
                      {a.attribute}
                    </option>
                  ))}
                </select>
                <FieldErrors path={`${base}.attribute`} messages={messages(`${base}.attribute`)} />
              </div>
              {keyed && (
                <div>
                  <label for={fieldId(`${base}.name`)}>Key</label>
                  <input
                    value={variable.name ?? ''}
                    onInput={(e) => setVariable(index, { name: e.currentTarget.value })}
                    {...fieldAria(`${base}.name`, messages(`${base}.name`))}
                  />
                  <FieldErrors path={`${base}.name`} messages={messages(`${base}.name`)} />
                </div>
              )}
              <div>
                <label for={fieldId(`${base}.value`)}>Value</label>
                <input
                  value={variable.value}
                  onInput={(e) => setVariable(index, { value: e.currentTarget.value })}
                  {...fieldAria(`${base}.value`, messages(`${base}.value`))}
                />
                <FieldErrors path={`${base}.value`} messages={messages(`${base}.value`)} />
              </div>
              <button
                type="button"
                class="secondary"
                aria-label={`Remove variable v${index + 1}`}
                onClick={() => onChange({ ...criteria, variables: variables.filter((_, i) => i !== index) })}
              >
                Remove
              </button>
              {/* A problem with the variable as a whole, e.g. that the formula does not use it. */}
              <FieldErrors path={base} messages={messages(base)} />
            </li>
          );
        })}
      </ol>
      <button
        type="button"
        class="secondary"
        disabled={variables.length >= SCOPE_LIMITS.maxVariables}
        onClick={() => onChange({ ...criteria, variables: [...variables, { attribute: attributes[0]?.attribute ?? '', value: '' }] })}
      >
        Add variable
      </button>
      <label for={fieldId(expressionPath)}>Formula</label>
      <input
        autocomplete="off"
        spellcheck={false}
        value={expression}
        onInput={(e) => onChange({ ...criteria, expression: e.currentTarget.value })}
        {...fieldAria(expressionPath, expressionMessages, true)}
      />
      <Hint path={expressionPath}>
        For example v1 && (v2 || !v3). Empty: every workload{prefix === '' ? '' : ' of the application scopes'}.
      </Hint>
      <FieldErrors path={expressionPath} messages={expressionMessages} />
    </>
  );
}
