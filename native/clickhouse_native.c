/*
 * clickhouse-native's optional addon: LZ4 block compression and decompression and CityHash128 v1.0.2, the work of
 * ClickHouse's compressed frames (docs/protocol.md section 5.2), done in C into memory the caller provides.
 *
 * Everything here is the project's own code, written from the LZ4 block format description (the rules are
 * summarised in src/compression/lz4hc.ts) and from our TypeScript CityHash (src/compression/cityhash.ts). Nothing
 * is included but <stddef.h>, <stdint.h> and <string.h>, and the few Node-API functions used are declared below:
 * Node-API is a stable C ABI, so `cc -O3 -shared -fPIC` builds this file with no headers and no download, and the
 * one binary loads in every Node version (and in Bun and Deno, which implement the same ABI).
 *
 * Every function checks its bounds: a hostile frame can make decompression fail, never read or write outside the
 * buffers it was given. The TypeScript fallback (the same functions in src/compression) stays complete: the loader
 * (src/compression/native.ts) uses this addon only when it loads and passes a self-check.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "clickhouse-native's addon reads little-endian words directly; build without it on a big-endian machine"
#endif

/* ---- the Node-API functions used (js_native_api.h, a stable ABI) ---- */
typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status; /* napi_ok is 0 */
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
enum { NAPI_UINT8_ARRAY = 1 }; /* napi_typedarray_type: napi_int8_array = 0, napi_uint8_array = 1 */

extern napi_status napi_get_cb_info(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv,
                                    napi_value *this_arg, void **data);
extern napi_status napi_get_typedarray_info(napi_env env, napi_value typedarray, int *type, size_t *length,
                                            void **data, napi_value *arraybuffer, size_t *byte_offset);
extern napi_status napi_get_value_double(napi_env env, napi_value value, double *result);
extern napi_status napi_create_double(napi_env env, double value, napi_value *result);
extern napi_status napi_create_function(napi_env env, const char *name, size_t length, napi_callback cb, void *data,
                                        napi_value *result);
extern napi_status napi_set_named_property(napi_env env, napi_value object, const char *name, napi_value value);
extern napi_status napi_throw_type_error(napi_env env, const char *code, const char *msg);
extern napi_status napi_throw_range_error(napi_env env, const char *code, const char *msg);

#define EXPORT __attribute__((visibility("default")))

/* Bumped whenever a function's contract changes, so that a stale build is not used (native.ts checks it). */
#define ADDON_ABI 1

/* ---- little-endian access ---- */
static inline uint32_t read32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
static inline uint64_t read64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}
static inline void write32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void write64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* ==== CityHash128 v1.0.2 (the version ClickHouse checksums frames with; v1.1 differs) ==== */

static const uint64_t K0 = 0xc3a5c85c97cb3127ULL;
static const uint64_t K1 = 0xb492b66fbe98f273ULL;
static const uint64_t K2 = 0x9ae16a3b2f90404fULL;
static const uint64_t K3 = 0xc949d7c7509e6557ULL; /* gone in v1.1 */

static inline uint64_t rotate(uint64_t v, int s) { return s == 0 ? v : (v >> s) | (v << (64 - s)); }
static inline uint64_t shift_mix(uint64_t v) { return v ^ (v >> 47); }

/* Hash128to64 (HashLen16). */
static inline uint64_t hash_len16(uint64_t u, uint64_t v) {
  const uint64_t mul = 0x9ddfea08eb382d69ULL;
  uint64_t a = (u ^ v) * mul;
  a ^= a >> 47;
  uint64_t b = (v ^ a) * mul;
  b ^= b >> 47;
  return b * mul;
}

static uint64_t hash_len0to16(const uint8_t *s, size_t len) {
  if (len > 8) {
    uint64_t a = read64(s);
    uint64_t b = read64(s + len - 8);
    return hash_len16(a, rotate(b + len, (int)len)) ^ b;
  }
  if (len >= 4) {
    uint64_t a = read32(s);
    return hash_len16(len + (a << 3), read32(s + len - 4));
  }
  if (len > 0) {
    uint32_t y = (uint32_t)s[0] + ((uint32_t)s[len >> 1] << 8);
    uint32_t z = (uint32_t)len + ((uint32_t)s[len - 1] << 2);
    return shift_mix(y * K2 ^ z * K3) * K2;
  }
  return K2;
}

typedef struct {
  uint64_t first, second;
} pair64;

/* WeakHashLen32WithSeeds over the four words at s. */
static inline pair64 weak_hash32(const uint8_t *s, uint64_t a, uint64_t b) {
  uint64_t w = read64(s), x = read64(s + 8), y = read64(s + 16), z = read64(s + 24);
  a += w;
  b = rotate(b + a + z, 21);
  uint64_t c = a;
  a += x;
  a += y;
  b += rotate(a, 44);
  pair64 r = {a + z, b + c};
  return r;
}

/* CityMurmur, for len < 128: the result's low half in first, high half in second. */
static pair64 city_murmur(const uint8_t *s, size_t len, uint64_t a, uint64_t b) {
  uint64_t c, d;
  if (len <= 16) {
    a = shift_mix(a * K1) * K1;
    c = b * K1 + hash_len0to16(s, len);
    d = shift_mix(a + (len >= 8 ? read64(s) : c));
  } else {
    c = hash_len16(read64(s + len - 8) + K1, a);
    d = hash_len16(b + len, c + read64(s + len - 16));
    a += d;
    long l = (long)len - 16;
    do {
      a ^= shift_mix(read64(s) * K1) * K1;
      a *= K1;
      b ^= a;
      c ^= shift_mix(read64(s + 8) * K1) * K1;
      c *= K1;
      d ^= c;
      s += 16;
      l -= 16;
    } while (l > 0);
  }
  a = hash_len16(a, c);
  b = hash_len16(d, b);
  pair64 r = {a ^ b, hash_len16(b, a)};
  return r;
}

static pair64 city128_with_seed(const uint8_t *s, size_t len, uint64_t x, uint64_t y) {
  if (len < 128) return city_murmur(s, len, x, y);
  uint64_t z = len * K1;
  pair64 v, w;
  v.first = rotate(y ^ K1, 49) * K1 + read64(s);
  v.second = rotate(v.first, 42) * K1 + read64(s + 8);
  w.first = rotate(y + z, 35) * K1 + x;
  w.second = rotate(x + read64(s + 88), 53) * K1;
  /* Two 64-byte rounds per 128 bytes, as the reference loop does. */
  do {
    for (int round = 0; round < 2; round++) {
      x = rotate(x + y + v.first + read64(s + 16), 37) * K1;
      y = rotate(y + v.second + read64(s + 48), 42) * K1;
      x ^= w.second;
      y ^= v.first;
      z = rotate(z ^ w.first, 33);
      v = weak_hash32(s, v.second * K1, x + w.first);
      w = weak_hash32(s + 32, z + w.second, y);
      uint64_t t = z;
      z = x;
      x = t;
      s += 64;
    }
    len -= 128;
  } while (len >= 128);
  y += rotate(w.first, 37) * K0 + z;
  x += rotate(v.first + z, 49) * K0;
  /* Up to four 32-byte chunks from the end of the remaining 0..127 bytes. */
  for (size_t done = 0; done < len;) {
    done += 32;
    y = rotate(y - x, 42) * K0 + v.second;
    w.first += read64(s + len - done + 16);
    x = rotate(x, 49) * K0 + w.first;
    w.first += v.first;
    v = weak_hash32(s + len - done, v.first, v.second);
  }
  x = hash_len16(x, v.first);
  y = hash_len16(y, w.first);
  pair64 r = {hash_len16(x + v.second, w.second) + y, hash_len16(x + w.second, y + v.second)};
  return r;
}

static pair64 city128(const uint8_t *s, size_t len) {
  if (len >= 16) return city128_with_seed(s + 16, len - 16, read64(s) ^ K3, read64(s + 8));
  if (len >= 8) return city128_with_seed(s, 0, read64(s) ^ (len * K0), read64(s + len - 8) ^ K1);
  return city128_with_seed(s, len, K0, K1);
}

/* The 16 bytes a frame carries: low64 LE, then high64 LE. */
static void city128_write(const uint8_t *s, size_t len, uint8_t *out) {
  pair64 h = city128(s, len);
  write64(out, h.first);
  write64(out + 8, h.second);
}

/* ==== LZ4 block format ==== */

#define MIN_MATCH 4
#define LAST_LITERALS 5 /* the last 5 bytes of a block are literals */
#define MF_LIMIT 12     /* a match starts at least 12 bytes before the end */
#define MAX_OFFSET 65535
#define MAX_HASH_LOG 14 /* 16 Ki positions x 4 bytes: 64 KiB, in L2 */
#define SKIP_TRIGGER 6  /* after 64 misses, step 2 bytes, after 128 three... (incompressible data goes fast) */

/* The most bytes an LZ4 block of n input bytes can take (LZ4_COMPRESSBOUND). */
static inline size_t lz4_bound(size_t n) { return n + n / 255 + 16; }

static inline uint32_t hash4(uint32_t seq, int shift) { return (seq * 2654435761U) >> shift; }

/* Appends a length's extension bytes (the part past the token's 15). */
static inline uint8_t *put_length(uint8_t *op, size_t rest) {
  for (; rest >= 255; rest -= 255) *op++ = 255;
  *op++ = (uint8_t)rest;
  return op;
}

/*
 * One LZ4 block of src[0..n) into dst[0..cap): its size, or 0 when it does not fit (a block is never empty: an
 * empty input gives one token). Greedy matching over a hash table of 4-byte sequences (`table`, 1 << hash_log
 * entries, cleared here), stepping faster the longer nothing matches. The format's end rules hold: a match starts
 * before n - MF_LIMIT, ends by n - LAST_LITERALS, and the block ends with a literals-only sequence.
 */
static size_t lz4_compress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap, uint32_t *table, int hash_log) {
  const uint8_t *const iend = src + n;
  const uint8_t *anchor = src;
  uint8_t *op = dst;
  uint8_t *const oend = dst + cap;
  if (n > MF_LIMIT) {
    const uint8_t *const mf_limit = iend - MF_LIMIT;
    const uint8_t *const match_limit = iend - LAST_LITERALS;
    const int shift = 32 - hash_log;
    memset(table, 0, sizeof(uint32_t) << hash_log);
    const uint8_t *ip = src + 1;
    for (;;) {
      /* Find a match: a table hit whose 4 bytes equal ours, within the 64 KiB window. */
      const uint8_t *match;
      uint32_t attempts = 1u << SKIP_TRIGGER;
      for (;;) {
        if (ip >= mf_limit) goto last_literals;
        uint32_t seq = read32(ip);
        uint32_t h = hash4(seq, shift);
        match = src + table[h];
        table[h] = (uint32_t)(ip - src);
        if ((size_t)(ip - match) <= MAX_OFFSET && match < ip && read32(match) == seq) break;
        ip += attempts++ >> SKIP_TRIGGER;
      }
      /* Extend it backwards over literals not yet emitted, then forwards up to match_limit. */
      while (ip > anchor && match > src && ip[-1] == match[-1]) {
        ip--;
        match--;
      }
      const uint8_t *p = ip + MIN_MATCH;
      const uint8_t *m = match + MIN_MATCH;
      while (p + 8 <= match_limit) {
        uint64_t diff = read64(p) ^ read64(m);
        if (diff) {
          p += __builtin_ctzll(diff) >> 3;
          goto counted;
        }
        p += 8;
        m += 8;
      }
      while (p < match_limit && *p == *m) {
        p++;
        m++;
      }
    counted:;
      size_t literals = (size_t)(ip - anchor);
      size_t extra = (size_t)(p - ip) - MIN_MATCH;
      /* token, literal length, literals, offset, match length */
      if ((size_t)(oend - op) < 1 + literals / 255 + 1 + literals + 2 + extra / 255 + 1) return 0;
      uint8_t *token = op++;
      *token = (uint8_t)((literals >= 15 ? 15 : literals) << 4);
      if (literals >= 15) op = put_length(op, literals - 15);
      memcpy(op, anchor, literals);
      op += literals;
      size_t offset = (size_t)(ip - match);
      *op++ = (uint8_t)offset;
      *op++ = (uint8_t)(offset >> 8);
      *token |= (uint8_t)(extra >= 15 ? 15 : extra);
      if (extra >= 15) op = put_length(op, extra - 15);
      ip = p;
      anchor = p;
      if (ip >= mf_limit) break;
      /* The position two back goes in too: it finds the next match sooner in repetitive data. */
      table[hash4(read32(ip - 2), shift)] = (uint32_t)(ip - 2 - src);
    }
  }
last_literals:;
  size_t literals = (size_t)(iend - anchor);
  if ((size_t)(oend - op) < 1 + literals / 255 + 1 + literals) return 0;
  *op++ = (uint8_t)((literals >= 15 ? 15 : literals) << 4);
  if (literals >= 15) op = put_length(op, literals - 15);
  memcpy(op, anchor, literals);
  op += literals;
  return (size_t)(op - dst);
}

static int hash_log_for(size_t n) {
  int log = 8;
  while (log < MAX_HASH_LOG && ((size_t)1 << log) < n) log++;
  return log;
}

/*
 * The extension bytes of a literal or match length that reached 15 in its token: each is added, and a byte of 255
 * means another follows. -1 when the block ends first.
 */
static inline int add_length_bytes(const uint8_t **ip, const uint8_t *iend, size_t *length) {
  unsigned b;
  do {
    if (*ip >= iend) return -1;
    b = *(*ip)++;
    *length += b;
  } while (b == 255);
  return 0;
}

/*
 * Decodes the LZ4 block src[0..n) into dst[0..cap): the bytes written, or -1 for a malformed block (a length or
 * offset pointing outside src, dst or the output made so far, or a block that does not end with literals). Bytes
 * of dst past the result may have been written: the caller passes exactly the decompressed size.
 */
static ptrdiff_t lz4_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t cap) {
  const uint8_t *ip = src;
  const uint8_t *const iend = src + n;
  uint8_t *op = dst;
  uint8_t *const oend = dst + cap;
  for (;;) {
    if (ip >= iend) return -1; /* a block ends with a literals-only sequence, never after a match */
    unsigned token = *ip++;
    size_t literals = token >> 4;
    size_t offset, length;
    if (literals < 15 && iend - ip >= 32 && oend - op >= 32) {
      /*
       * The common short sequence, far from both ends: literals and offset are inside src, and 18 bytes of match
       * fit in dst. ClickHouse's blocks of a UInt64 column counting up are all 1 literal + a 7-byte match at
       * offset 8 (8 bytes per sequence).
       */
      memcpy(op, ip, 16);
      op += literals;
      ip += literals;
      offset = (size_t)ip[0] | ((size_t)ip[1] << 8);
      ip += 2;
      length = token & 15;
      if (length <= 4 && offset >= 8 && offset <= (size_t)(op - dst)) {
        /* A match of at most 8 bytes: one 8-byte move from output already made (offset >= 8). */
        memcpy(op, op - offset, 8);
        op += length + MIN_MATCH;
        continue;
      }
      goto match;
    }
    if (literals == 15 && add_length_bytes(&ip, iend, &literals) < 0) return -1;
    if (literals > (size_t)(iend - ip) || literals > (size_t)(oend - op)) return -1;
    if (literals <= 16 && iend - ip >= 16 && oend - op >= 16) {
      memcpy(op, ip, 16); /* one 16-byte move; the bytes past `literals` are overwritten next */
    } else {
      memcpy(op, ip, literals);
    }
    op += literals;
    ip += literals;
    if (ip == iend) break; /* the last sequence: literals only */
    if (iend - ip < 2) return -1;
    offset = (size_t)ip[0] | ((size_t)ip[1] << 8);
    ip += 2;
    length = token & 15;
  match:
    if (offset == 0 || offset > (size_t)(op - dst)) return -1;
    if (length == 15 && add_length_bytes(&ip, iend, &length) < 0) return -1;
    length += MIN_MATCH;
    if (length > (size_t)(oend - op)) return -1;
    const uint8_t *m = op - offset;
    uint8_t *const end = op + length;
    if (offset >= 16 && (size_t)(oend - op) >= length + 16) {
      /* Chunks never overlap their source (offset >= 16), and the last one may run past `end` within dst. */
      do {
        memcpy(op, m, 16);
        op += 16;
        m += 16;
      } while (op < end);
    } else if (offset >= 8 && (size_t)(oend - op) >= length + 8) {
      do {
        memcpy(op, m, 8);
        op += 8;
        m += 8;
      } while (op < end);
    } else if (offset == 1) {
      memset(op, *m, length); /* a run of one byte */
    } else {
      while (op < end) *op++ = *m++; /* a short repeating pattern, or near the end of dst */
    }
    op = end;
  }
  return op - dst;
}

/*
 * LZ4 frames (docs/protocol.md 5.2) of src[0..n), frame_input bytes each, into dst[0..cap): checksum (16), method
 * 0x82, compressed_size (UInt32 LE, header included), decompressed_size, the block. The bytes written, or -1 when
 * they do not fit.
 */
static int64_t pack_lz4_frames(const uint8_t *src, size_t n, size_t frame_input, uint8_t *dst, size_t cap) {
  uint32_t table[1 << MAX_HASH_LOG];
  size_t pos = 0;
  for (size_t at = 0; at < n; at += frame_input) {
    size_t len = n - at < frame_input ? n - at : frame_input;
    if (cap - pos < 25) return -1;
    size_t block = lz4_compress(src + at, len, dst + pos + 25, cap - pos - 25, table, hash_log_for(len));
    if (block == 0) return -1;
    dst[pos + 16] = 0x82;
    write32(dst + pos + 17, (uint32_t)(9 + block));
    write32(dst + pos + 21, (uint32_t)len);
    city128_write(dst + pos + 16, 9 + block, dst + pos); /* the checksum covers header and block */
    pos += 25 + block;
  }
  return (int64_t)pos;
}

/*
 * Verifies and decodes one whole LZ4 frame (checksum first) into dst, which must be exactly its decompressed size:
 * that size, or -1 for a checksum mismatch, -2 for a header that does not describe this frame and dst, -3 for a
 * malformed block or one that decodes to another size.
 */
static int64_t decode_lz4_frame(const uint8_t *frame, size_t n, uint8_t *dst, size_t cap) {
  if (n < 25 || frame[16] != 0x82) return -2;
  uint32_t compressed = read32(frame + 17);
  uint32_t decompressed = read32(frame + 21);
  if ((size_t)compressed != n - 16 || (size_t)decompressed != cap) return -2;
  pair64 h = city128(frame + 16, n - 16);
  if (h.first != read64(frame) || h.second != read64(frame + 8)) return -1;
  ptrdiff_t got = lz4_decompress(frame + 25, n - 25, dst, cap);
  return got == (ptrdiff_t)cap ? (int64_t)got : -3;
}

/* ==== JavaScript bindings ==== */

typedef struct {
  uint8_t *data;
  size_t length;
} bytes;

static int arg_bytes(napi_env env, napi_value value, bytes *out, const char *what) {
  int type = -1;
  void *data = NULL;
  size_t length = 0;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, NULL, NULL) != 0 || type != NAPI_UINT8_ARRAY) {
    napi_throw_type_error(env, NULL, what);
    return 0;
  }
  static uint8_t empty[1];
  out->data = data ? (uint8_t *)data : empty;
  out->length = length;
  return 1;
}

/* An integer in [min, max]. */
static int arg_index(napi_env env, napi_value value, double min, double max, size_t *out, const char *what) {
  double d;
  if (napi_get_value_double(env, value, &d) != 0 || !(d >= min && d <= max) || d != (double)(int64_t)d) {
    napi_throw_range_error(env, NULL, what);
    return 0;
  }
  *out = (size_t)d;
  return 1;
}

static int overlap(const bytes *a, const bytes *b) {
  return a->length > 0 && b->length > 0 && a->data < b->data + b->length && b->data < a->data + a->length;
}

static napi_value number(napi_env env, double v) {
  napi_value result = NULL;
  napi_create_double(env, v, &result);
  return result;
}

#define ARGS(count)                                                                     \
  size_t argc = count;                                                                  \
  napi_value argv[count];                                                               \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < count) {      \
    napi_throw_type_error(env, NULL, "clickhouse-native addon: expected " #count " arguments"); \
    return NULL;                                                                        \
  }

/* cityHash128(data, start, end, out, outOffset): writes the 16 checksum bytes at out[outOffset]. */
static napi_value js_city_hash128(napi_env env, napi_callback_info info) {
  ARGS(5);
  bytes data, out;
  size_t start, end, at;
  if (!arg_bytes(env, argv[0], &data, "cityHash128: data must be a Uint8Array")) return NULL;
  if (!arg_index(env, argv[1], 0, (double)data.length, &start, "cityHash128: start out of range")) return NULL;
  if (!arg_index(env, argv[2], (double)start, (double)data.length, &end, "cityHash128: end out of range")) return NULL;
  if (!arg_bytes(env, argv[3], &out, "cityHash128: out must be a Uint8Array")) return NULL;
  if (!arg_index(env, argv[4], 0, (double)out.length - 16, &at, "cityHash128: no room for 16 bytes")) return NULL;
  uint8_t hash[16];
  city128_write(data.data + start, end - start, hash);
  memcpy(out.data + at, hash, 16);
  return NULL;
}

/* lz4Compress(src, dst): the block's size in dst, or -1 when it does not fit. */
static napi_value js_lz4_compress(napi_env env, napi_callback_info info) {
  ARGS(2);
  bytes src, dst;
  if (!arg_bytes(env, argv[0], &src, "lz4Compress: src must be a Uint8Array")) return NULL;
  if (!arg_bytes(env, argv[1], &dst, "lz4Compress: dst must be a Uint8Array")) return NULL;
  if (overlap(&src, &dst)) return napi_throw_range_error(env, NULL, "lz4Compress: src and dst overlap"), NULL;
  uint32_t table[1 << MAX_HASH_LOG];
  size_t got = lz4_compress(src.data, src.length, dst.data, dst.length, table, hash_log_for(src.length));
  return number(env, got == 0 ? -1 : (double)got);
}

/* lz4Decompress(src, dst): the bytes decoded into dst, or -1 for a malformed block. */
static napi_value js_lz4_decompress(napi_env env, napi_callback_info info) {
  ARGS(2);
  bytes src, dst;
  if (!arg_bytes(env, argv[0], &src, "lz4Decompress: src must be a Uint8Array")) return NULL;
  if (!arg_bytes(env, argv[1], &dst, "lz4Decompress: dst must be a Uint8Array")) return NULL;
  if (overlap(&src, &dst)) return napi_throw_range_error(env, NULL, "lz4Decompress: src and dst overlap"), NULL;
  return number(env, (double)lz4_decompress(src.data, src.length, dst.data, dst.length));
}

/* packLz4Frames(src, frameInput, dst): the frames' total size in dst, or -1 when they do not fit. */
static napi_value js_pack_lz4_frames(napi_env env, napi_callback_info info) {
  ARGS(3);
  bytes src, dst;
  size_t frame_input;
  if (!arg_bytes(env, argv[0], &src, "packLz4Frames: src must be a Uint8Array")) return NULL;
  if (!arg_index(env, argv[1], 1, (double)(1u << 30), &frame_input, "packLz4Frames: frameInput out of range"))
    return NULL;
  if (!arg_bytes(env, argv[2], &dst, "packLz4Frames: dst must be a Uint8Array")) return NULL;
  if (overlap(&src, &dst)) return napi_throw_range_error(env, NULL, "packLz4Frames: src and dst overlap"), NULL;
  return number(env, (double)pack_lz4_frames(src.data, src.length, frame_input, dst.data, dst.length));
}

/* decodeLz4Frame(frame, dst): see decode_lz4_frame. */
static napi_value js_decode_lz4_frame(napi_env env, napi_callback_info info) {
  ARGS(2);
  bytes frame, dst;
  if (!arg_bytes(env, argv[0], &frame, "decodeLz4Frame: frame must be a Uint8Array")) return NULL;
  if (!arg_bytes(env, argv[1], &dst, "decodeLz4Frame: dst must be a Uint8Array")) return NULL;
  if (overlap(&frame, &dst)) return napi_throw_range_error(env, NULL, "decodeLz4Frame: frame and dst overlap"), NULL;
  return number(env, (double)decode_lz4_frame(frame.data, frame.length, dst.data, dst.length));
}

static int define(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  return napi_create_function(env, name, (size_t)-1, cb, NULL, &fn) == 0 &&
         napi_set_named_property(env, exports, name, fn) == 0;
}

EXPORT napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  if (!define(env, exports, "cityHash128", js_city_hash128) || !define(env, exports, "lz4Compress", js_lz4_compress) ||
      !define(env, exports, "lz4Decompress", js_lz4_decompress) ||
      !define(env, exports, "packLz4Frames", js_pack_lz4_frames) ||
      !define(env, exports, "decodeLz4Frame", js_decode_lz4_frame) ||
      napi_set_named_property(env, exports, "abi", number(env, ADDON_ABI)) != 0) {
    return NULL;
  }
  return exports;
}
