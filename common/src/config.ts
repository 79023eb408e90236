import fs from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';

/**
 * Loads one validated config object: defaults file ← optional operator file ← CONVENE_* env.
 *
 * Environment overrides use `CONVENE_` + the key path in upper case with `__` between levels:
 * `CONVENE_HTTP__PORT=9000` sets `http.port`; `CONVENE_STORE__REDIS_URL=redis://h:6379` sets
 * `store.redisUrl` (each single `_` becomes the next letter upper-cased). Values are read as YAML
 * scalars, so numbers, booleans and `null` come through typed.
 */
export class ConfigError extends Error {
  readonly code = 'invalid_config';
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions<S extends z.ZodType> {
  schema: S;
  defaultsFile: string;
  /** Operator's file (from --config or CONVENE_CONFIG). */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

type Tree = Record<string, unknown>;

const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);

export function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) {
    out[k] = isTree(v) && isTree(out[k]) ? deepMerge(out[k] as Tree, v) : v;
  }
  return out;
}

function readYamlFile(file: string, problems: string[]): Tree {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    problems.push(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    return {};
  }
  try {
    const doc = YAML.parse(text) as unknown;
    if (doc === null || doc === undefined) return {};
    if (!isTree(doc)) {
      problems.push(`${file}: the top level must be a mapping of settings`);
      return {};
    }
    return doc;
  } catch (err) {
    problems.push(`${file}: not valid YAML (${(err as Error).message.split('\n')[0]})`);
    return {};
  }
}

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function envOverrides(env: NodeJS.ProcessEnv): Tree {
  const out: Tree = {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('CONVENE_') || raw === undefined || name === 'CONVENE_CONFIG') continue;
    const path = name.slice('CONVENE_'.length).split('__').map(camel);
    if (path.some((p) => p === '')) continue;
    let node = out;
    for (const key of path.slice(0, -1)) {
      if (!isTree(node[key])) node[key] = {};
      node = node[key] as Tree;
    }
    let value: unknown = raw;
    try {
      value = YAML.parse(raw) as unknown;
    } catch {
      // Not YAML: keep the raw string.
    }
    node[path[path.length - 1]!] = value;
  }
  return out;
}

export function loadConfig<S extends z.ZodType>(opts: LoadConfigOptions<S>): z.output<S> {
  const problems: string[] = [];
  const defaults = readYamlFile(opts.defaultsFile, problems);
  const file = opts.file ? readYamlFile(opts.file, problems) : {};
  if (problems.length) throw new ConfigError(problems);
  const merged = deepMerge(deepMerge(defaults, file), envOverrides(opts.env ?? process.env));
  const result = opts.schema.safeParse(merged);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return result.data;
}
