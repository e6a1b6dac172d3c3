/** This package's version, sent to the server in Hello and ClientInfo (visible in system.query_log). */
export const VERSION = { major: 0, minor: 1, patch: 0 } as const;
export const CLIENT_NAME = 'clickhouse-native';
