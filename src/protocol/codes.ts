/** Packet type numbers (src/Core/Protocol.h; docs/protocol.md §2). Every packet starts with one as a VarUInt. */

export const ClientPacket = {
  Hello: 0,
  Query: 1,
  Data: 2,
  Cancel: 3,
  Ping: 4,
  TablesStatusRequest: 5,
  KeepAlive: 6,
} as const;

export const ServerPacket = {
  Hello: 0,
  Data: 1,
  Exception: 2,
  Progress: 3,
  Pong: 4,
  EndOfStream: 5,
  ProfileInfo: 6,
  Totals: 7,
  Extremes: 8,
  TablesStatusResponse: 9,
  Log: 10,
  TableColumns: 11,
  PartUUIDs: 12,
  ReadTaskRequest: 13,
  ProfileEvents: 14,
  MergeTreeAllRangesAnnouncement: 15,
  MergeTreeReadTaskRequest: 16,
  TimezoneUpdate: 17,
  SSHChallenge: 18,
} as const;

/** Stage 2 = Complete: the server runs the whole query (what every ordinary client sends). */
export const QUERY_STAGE_COMPLETE = 2;

/** ClientInfo.query_kind INITIAL_QUERY. */
export const QUERY_KIND_INITIAL = 1;

/** ClientInfo.interface TCP. */
export const INTERFACE_TCP = 1;
