/**
 * Version gates: which server features the run's ClickHouse has, decided from its real version (`SELECT version()`)
 * and its native protocol revision (the server's Hello). Plain functions, no vitest: global-setup.ts prints the gates
 * with them, and context.ts wraps them as `serverSupports(feature)` for tests.
 *
 * The thresholds are deliberately conservative (a release that surely has the feature without experimental
 * settings): a server just below a threshold loses a few live checks, while a threshold set too low would fail tests.
 * test/harness/features.test.ts checks every gate against what the run's server really accepts (FEATURE_PROBES), and
 * against chdb's modern engine, so a wrong threshold shows up on whichever server the tests run against.
 */

/** The features suites may gate on. */
export type ServerFeature =
  | 'async_insert'
  | 'insert_deduplication_token'
  | 'modern_types'
  | 'json_types'
  | 'error_names'
  | 'query_parameters'
  | 'settings_as_strings';

export interface FeatureGate {
  /** What the gate stands for. */
  description: string;
  /** Lowest server version [major, minor] that has it (compared with `SELECT version()`). */
  minVersion?: readonly [number, number];
  /** Lowest native protocol revision that has it (compared with the revision in the server's Hello). */
  minRevision?: number;
}

export const FEATURE_GATES: Readonly<Record<ServerFeature, FeatureGate>> = {
  async_insert: {
    description: 'settings async_insert / wait_for_async_insert',
    minVersion: [21, 11],
  },
  insert_deduplication_token: {
    description: 'setting insert_deduplication_token (and MergeTree non_replicated_deduplication_window)',
    minVersion: [22, 2],
  },
  modern_types: {
    description: 'Map, IPv4, IPv6, DateTime64, Int128/256, UInt128/256, Bool, Date32 columns, no experimental settings',
    minVersion: [22, 3],
  },
  json_types: {
    description: 'JSON, Variant and Dynamic columns without experimental settings (production-ready since 25.3)',
    minVersion: [25, 3],
  },
  error_names: {
    description:
      "error codes have names (errorCodeToName), and errors quoted inside a message read 'Code: N. DB::…: … (NAME) (version …)'",
    minVersion: [22, 3],
  },
  query_parameters: {
    description: 'query parameters ({name:Type}) sent over the native protocol',
    minRevision: 54459,
  },
  settings_as_strings: {
    description: 'query settings serialized as strings (older servers want the typed binary form)',
    minRevision: 54429,
  },
};

export const SERVER_FEATURES = Object.keys(FEATURE_GATES) as ServerFeature[];

/** What a gate needs to know of a server. */
export interface ServerVersionInfo {
  /** `SELECT version()`, e.g. '18.16.1' or '25.8.3.66'. */
  version?: string | undefined;
  /** Native protocol revision from the server's Hello, e.g. 54412. */
  revision?: number | undefined;
}

/** [major, minor] of a version string, or undefined when it is not one. */
export function parseServerVersion(version: string | undefined): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(version ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Why a feature is on or off for this server (undefined facts count as "off": a gate never guesses "on"). */
export function checkFeature(feature: ServerFeature, server: ServerVersionInfo): { ok: boolean; reason: string } {
  const gate = FEATURE_GATES[feature];
  if (gate === undefined) throw new Error(`unknown server feature ${JSON.stringify(feature)}`);
  const needs: string[] = [];
  let ok = true;
  if (gate.minVersion) {
    const [major, minor] = gate.minVersion;
    needs.push(`version >= ${major}.${minor}`);
    const v = parseServerVersion(server.version);
    if (!v || v[0] < major || (v[0] === major && v[1] < minor)) ok = false;
  }
  if (gate.minRevision !== undefined) {
    needs.push(`revision >= ${gate.minRevision}`);
    if (server.revision === undefined || server.revision < gate.minRevision) ok = false;
  }
  return { ok, reason: needs.join(' and ') };
}

/** True when the server has `feature` (see FEATURE_GATES). */
export function featureSupported(feature: ServerFeature, server: ServerVersionInfo): boolean {
  return checkFeature(feature, server).ok;
}

/** One line per gate, e.g. `async_insert: off (needs version >= 21.11)`, for the global setup's report. */
export function describeFeatureGates(server: ServerVersionInfo): string[] {
  return SERVER_FEATURES.map((f) => {
    const { ok, reason } = checkFeature(f, server);
    return `${f}: ${ok ? 'on' : 'off'} (needs ${reason})`;
  });
}

/**
 * SQL that succeeds exactly when a version-gated feature is there (`{t}` is a fresh table name; every statement
 * must succeed). Used by features.test.ts to hold the thresholds against the real server. Revision-gated features
 * have no SQL probe: the revision itself is the fact.
 */
export const FEATURE_PROBES: Readonly<Partial<Record<ServerFeature, readonly string[]>>> = {
  async_insert: ['SELECT 1 SETTINGS async_insert = 0, wait_for_async_insert = 1'],
  insert_deduplication_token: [
    "SELECT 1 SETTINGS insert_deduplication_token = 'probe'",
    'CREATE TABLE {t} (x UInt8) ENGINE = MergeTree ORDER BY x SETTINGS non_replicated_deduplication_window = 10',
    'DROP TABLE {t}',
  ],
  modern_types: [
    'CREATE TABLE {t} (m Map(String, UInt64), a IPv4, b IPv6, c DateTime64(3), d Int128, e Int256, f UInt128, ' +
      'g UInt256, h Bool, i Date32) ENGINE = Memory',
    "INSERT INTO {t} SELECT map('k', 1), toIPv4('1.2.3.4'), toIPv6('::1'), toDateTime64('2020-01-01 00:00:00', 3), " +
      "-1, -2, 3, 4, true, toDate32('1950-01-01')",
    'DROP TABLE {t}',
  ],
  error_names: ["SELECT throwIf(errorCodeToName(60) != 'UNKNOWN_TABLE')"],
  json_types: [
    'CREATE TABLE {t} (j JSON, v Variant(UInt64, String), d Dynamic) ENGINE = Memory',
    "INSERT INTO {t} SELECT '{\"a\": 1}', 42::UInt64, 'x'",
    'DROP TABLE {t}',
  ],
};
