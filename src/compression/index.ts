/** Compressed frames and their checksum (PROTOCOL.md §5). */
export * from './cityhash.js';
export * from './codecs.js';
export * from './frame.js';
