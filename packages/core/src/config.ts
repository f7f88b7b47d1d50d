/**
 * Configuration: normalising Django's upper-case fields to ours and validating everything at
 * once (docs/contract.md §1). Unlike Django, which silently ignores bad values and falls back to 300
 * (django/core/cache/backends/base.py), a bad value throws `ImproperlyConfigured` naming the alias and field.
 */
import type { Clock } from './clock.ts'
import { ImproperlyConfigured } from './errors.ts'
import { defaultKeyFunction, type KeyFunction } from './keys.ts'
import type { AnyCacheConfig, CacheInit } from './types.ts'

/** An alias's settings after defaults and validation. */
export interface ResolvedInit {
  location: string | string[]
  timeout: number | null
  keyPrefix: string
  version: number
  keyFunction: KeyFunction
  maxEntries: number
  cullFrequency: number
  timeoutMs: number
  ignoreErrors: boolean
  clock: Clock | undefined
  options: Record<string, unknown>
}

const COMMON_OPTIONS = new Set(['maxEntries', 'cullFrequency', 'timeoutMs', 'ignoreErrors', 'clock'])
const UPPER_OPTIONS: Record<string, string> = {
  MAX_ENTRIES: 'maxEntries',
  CULL_FREQUENCY: 'cullFrequency',
  max_entries: 'maxEntries',
  cull_frequency: 'cullFrequency',
}
const FIELDS: Record<string, keyof AnyCacheConfig> = {
  backend: 'backend',
  BACKEND: 'backend',
  location: 'location',
  LOCATION: 'location',
  timeout: 'timeout',
  TIMEOUT: 'timeout',
  keyPrefix: 'keyPrefix',
  KEY_PREFIX: 'keyPrefix',
  version: 'version',
  VERSION: 'version',
  keyFunction: 'keyFunction',
  KEY_FUNCTION: 'keyFunction',
  options: 'options',
  OPTIONS: 'options',
}

/** Say something about configuration without stopping (a process warning where one exists). */
export function configWarning(message: string): void {
  const proc = (globalThis as { process?: { emitWarning?: (m: string, t: string) => void } }).process
  if (proc && typeof proc.emitWarning === 'function') proc.emitWarning(message, 'CacheConfigWarning')
  else console.warn(`CacheConfigWarning: ${message}`)
}

/**
 * Map one alias's config (either spelling) onto the camelCase fields, warning about unknown
 * fields. Throws `ImproperlyConfigured` when both spellings of one field disagree.
 */
export function normalizeConfig(alias: string, raw: AnyCacheConfig): AnyCacheConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ImproperlyConfigured(`CACHES['${alias}'] must be an object, got ${describe(raw)}`)
  }
  const out: Record<string, unknown> = {}
  for (const [field, value] of Object.entries(raw)) {
    const name = FIELDS[field]
    if (name === undefined) {
      configWarning(`CACHES['${alias}'] has an unknown field '${field}'; it is ignored`)
      continue
    }
    if (name in out && out[name] !== value) {
      throw new ImproperlyConfigured(
        `CACHES['${alias}'] sets '${name}' twice with different values (camelCase and upper-case)`,
      )
    }
    out[name] = value
  }
  if (out.options !== undefined) {
    const o = out.options
    if (typeof o !== 'object' || o === null || Array.isArray(o)) {
      throw new ImproperlyConfigured(`CACHES['${alias}'].options must be an object, got ${describe(o)}`)
    }
    const opts: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(o)) opts[UPPER_OPTIONS[k] ?? k] = v
    out.options = opts
  }
  return out as AnyCacheConfig
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  return `a ${typeof v}`
}

function bad(alias: string, field: string, what: string, v: unknown): ImproperlyConfigured {
  return new ImproperlyConfigured(`CACHES['${alias}'].${field} ${what}, got ${describe(v)}`)
}

// Inits the registry already normalised and validated (and warned about): not warned twice.
const validated = new WeakSet<object>()

/** Mark a normalised init as validated, so constructing from it does not warn again. */
export function markValidated(init: CacheInit): CacheInit {
  validated.add(init)
  return init
}

/** What `resolveInit` needs to know about the backend class. */
interface BackendInfo {
  backendName: string
  knownOptions?: readonly string[]
  validateOptions?(options: Record<string, unknown>): string | undefined
}

/** Validate an alias's settings for one backend and fill in the defaults. */
export function resolveInit(alias: string, init: CacheInit, backend: BackendInfo): ResolvedInit {
  const warn = !validated.has(init)
  const i = warn ? normalizeConfig(alias, init as AnyCacheConfig) : (init as AnyCacheConfig)
  const location = i.location ?? ''
  if (
    typeof location !== 'string' &&
    !(Array.isArray(location) && location.every((l) => typeof l === 'string'))
  ) {
    throw bad(alias, 'location', 'must be a string or an array of strings', location)
  }
  const timeout = i.timeout === undefined ? 300 : i.timeout
  if (timeout !== null && (typeof timeout !== 'number' || Number.isNaN(timeout))) {
    throw bad(alias, 'timeout', 'must be a number of seconds or null', timeout)
  }
  const keyPrefix = i.keyPrefix ?? ''
  if (typeof keyPrefix !== 'string') throw bad(alias, 'keyPrefix', 'must be a string', keyPrefix)
  const version = i.version ?? 1
  if (!Number.isSafeInteger(version)) throw bad(alias, 'version', 'must be an integer', version)
  const keyFunction = i.keyFunction ?? defaultKeyFunction
  if (typeof keyFunction !== 'function') {
    throw bad(alias, 'keyFunction', 'must be a function (key, keyPrefix, version) => string', keyFunction)
  }
  const options: Record<string, unknown> = { ...(i.options ?? {}) }
  const num = (field: string, dflt: number, min: number, integer: boolean): number => {
    const v = options[field] ?? dflt
    if (typeof v !== 'number' || Number.isNaN(v) || v < min || (integer && !Number.isInteger(v))) {
      throw bad(alias, `options.${field}`, `must be ${integer ? 'an integer' : 'a number'} >= ${min}`, v)
    }
    return v
  }
  const maxEntries = num('maxEntries', 300, 1, true)
  const cullFrequency = num('cullFrequency', 3, 0, true)
  const timeoutMs = num('timeoutMs', 1000, 1, false)
  const ignoreErrors = options.ignoreErrors ?? false
  if (typeof ignoreErrors !== 'boolean')
    throw bad(alias, 'options.ignoreErrors', 'must be a boolean', ignoreErrors)
  const clock = options.clock as Clock | undefined
  if (clock !== undefined && (typeof clock !== 'object' || typeof clock.now !== 'function')) {
    throw bad(alias, 'options.clock', 'must be an object with now(): number', clock)
  }
  const known = new Set(backend.knownOptions ?? [])
  for (const k of Object.keys(options)) {
    if (warn && !COMMON_OPTIONS.has(k) && !known.has(k)) {
      configWarning(
        `CACHES['${alias}'].options has an unknown option '${k}' for the ${backend.backendName} backend; it is ignored`,
      )
    }
  }
  const problem = backend.validateOptions?.(options)
  if (problem) throw new ImproperlyConfigured(`CACHES['${alias}'].options: ${problem}`)
  return {
    location,
    timeout,
    keyPrefix,
    version,
    keyFunction,
    maxEntries,
    cullFrequency,
    timeoutMs,
    ignoreErrors,
    clock,
    options,
  }
}
