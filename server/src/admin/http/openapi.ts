import { z } from 'zod';
import { errorCodes } from '../../errors.js';

interface OperationInput {
  method: string;
  path: string;
  summary: string;
  tag: string;
  roles?: readonly string[];
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response?: z.ZodType;
  status?: number;
  produces?: string;
  idempotent?: boolean;
  secured: boolean;
}

type JsonSchema = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'openapi-3.0' }) as JsonSchema;
}

/**
 * Builds the OpenAPI 3.0 document from the same zod schemas the routes validate with, so the
 * docs cannot drift from the behaviour.
 */
export class OpenApiBuilder {
  private readonly paths: Record<string, Record<string, unknown>> = {};

  constructor(private readonly prefix: string) {}

  addOperation(op: OperationInput): void {
    const path = (this.prefix + op.path).replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', op.params], ['query', op.query]] as const) {
      if (!schema) continue;
      const js = schemaOf(schema, 'input');
      const props = (js.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((js.required ?? []) as string[]);
      for (const [name, s] of Object.entries(props)) {
        parameters.push({ name, in: where, required: where === 'path' || required.has(name), schema: s });
      }
    }
    if (op.idempotent) {
      parameters.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 }, description: 'Retries with the same key return the first response.' });
    }
    const status = String(op.status ?? 200);
    const success = op.produces
      ? { description: 'OK', content: { [op.produces]: { schema: { type: 'string', format: 'binary' } } } }
      : { description: 'OK', content: { 'application/json': { schema: op.response ? schemaOf(op.response, 'output') : {} } } };
    const operation: Record<string, unknown> = {
      summary: op.summary,
      tags: [op.tag],
      parameters,
      responses: { [status]: success, default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
      ...(op.roles ? { 'x-roles': op.roles } : {}),
      ...(op.secured ? { security: [{ bearer: [] }] } : { security: [] }),
    };
    if (op.body) operation.requestBody = { required: true, content: { 'application/json': { schema: schemaOf(op.body, 'input') } } };
    this.paths[path] = { ...(this.paths[path] ?? {}), [op.method.toLowerCase()]: operation };
  }

  document(): Record<string, unknown> {
    return {
      openapi: '3.0.3',
      info: { title: 'Convene administration API', version: '1' },
      paths: this.paths,
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
        schemas: {
          Error: {
            type: 'object',
            required: ['error'],
            properties: {
              error: {
                type: 'object',
                required: ['code', 'message'],
                properties: { code: { type: 'string', enum: [...errorCodes().keys()] }, message: { type: 'string' }, details: { type: 'object' } },
              },
            },
          },
        },
      },
    };
  }
}
