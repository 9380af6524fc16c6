import { createRequire } from 'node:module';
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv';

/** A JSON Schema (draft-07 / 2019-09 subset that Ajv understands). */
export type JsonSchema = Record<string, unknown> | boolean;

/** Returns a description of what is wrong with `input`, or undefined when it is valid. */
export type InputValidator = (input: unknown) => string | undefined;

let ajv: Ajv | undefined;

/** Ajv is loaded on first use: a pod whose agent declares no schemas starts ~40 ms sooner. */
function validator(): Ajv {
  if (!ajv) {
    const { Ajv: AjvClass } = createRequire(import.meta.url)('ajv') as { Ajv: new (options: object) => Ajv };
    ajv = new AjvClass({ allErrors: false, strict: false, coerceTypes: false, useDefaults: false });
  }
  return ajv;
}

/**
 * Compiles a method's input schema. Throws with a message naming `where` when
 * the schema itself is invalid, so an agent with a broken schema fails at load,
 * not on its first call.
 */
export function compileInputSchema(schema: JsonSchema, where: string): InputValidator {
  const validate = compileSchema(schema, `the input schema of ${where}`);
  return (input) => {
    if (validate(input === undefined ? null : input)) return undefined;
    const first = validate.errors?.[0];
    return first ? describeSchemaError(first) : 'input does not match the schema';
  };
}

/** Checks that a method's output schema (declared for documentation, never applied) is a valid JSON schema; throws naming `where`. */
export function checkOutputSchema(schema: JsonSchema, where: string): void {
  compileSchema(schema, `the output schema of ${where}`);
}

function compileSchema(schema: JsonSchema, what: string): ValidateFunction {
  try {
    return validator().compile(schema);
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new Error(`${what} is not a valid JSON schema: ${detail}`, { cause });
  }
}

function fieldPath(root: string, instancePath: string, child?: string): string {
  const parts = instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (child !== undefined) parts.push(child);
  return parts.reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), root);
}

/**
 * Turns one Ajv error into a sentence that names the field, e.g.
 * `field "by" must be integer`. `root` prefixes paths (`spec` → `spec.scaling.minReplicas`).
 */
export function describeSchemaError(error: ErrorObject, root = ''): string {
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required') {
    return `field "${fieldPath(root, error.instancePath, String(params.missingProperty))}" is required`;
  }
  if (error.keyword === 'additionalProperties') {
    return `field "${fieldPath(root, error.instancePath, String(params.additionalProperty))}" is not allowed`;
  }
  if (error.keyword === 'enum') {
    const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
    return `field "${fieldPath(root, error.instancePath)}" must be one of ${allowed}`;
  }
  const path = fieldPath(root, error.instancePath);
  const subject = path ? `field "${path}"` : 'the input';
  return `${subject} ${error.message ?? 'is invalid'}`;
}
