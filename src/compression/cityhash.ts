/**
 * CityHash v1.0.2, the version ClickHouse vendors (`contrib/cityhash102`, namespace `CityHash_v1_0_2`).
 *
 * Why this version: every compressed frame carries a CityHash128 **v1.0.2** checksum of its header and payload
 * (docs/protocol.md §5.2, §5.3); Google's later v1.1 gives different results for most inputs, so a v1.1 library would
 * fail every checksum. SQL `cityHash64` is CityHash64 of the same version.
 *
 * Why 32-bit limbs: the 128-bit hash runs over every 1 MiB frame on the insert and select paths, and BigInt
 * arithmetic allocates per operation. Here every 64-bit value is a pair of int32 numbers (`…h` high half, `…l` low
 * half; int32 rather than uint32 so V8 keeps them unboxed). The cold paths (short inputs, the 64-bit hash, the
 * 128-bit tail) use small helpers that return their 64-bit result in the module registers `rh`/`rl`; the hot
 * 64-byte loop of CityHash128 is written out inline on locals (see `city128WithSeed`). BigInt appears only at the
 * public API edge (`cityHash128`, `cityHash64`).
 *
 * Arithmetic tricks, all exact: a carry comes from the low halves summed as unsigned doubles (below 2^53); a
 * 64x64 multiply (mod 2^64) is the full 32x32 product of the low halves from 16-bit partial products (Math.imul)
 * plus the two cross products mod 2^32.
 */

// Constants of v1.0.2 (k3 is gone in v1.1), split into high/low uint32 halves.
const K0H = 0xc3a5c85c | 0;
const K0L = 0x97cb3127 | 0;
const K1H = 0xb492b66f | 0;
const K1L = 0xbe98f273 | 0;
const K2H = 0x9ae16a3b | 0;
const K2L = 0x2f90404f | 0;
const K3H = 0xc949d7c7 | 0;
const K3L = 0x509e6557 | 0;
// kMul of Hash128to64.
const KMH = 0x9ddfea08 | 0;
const KML = 0xeb382d69 | 0;
// 16-bit halves of k1's low word, for the inlined multiply in the hot loop.
const K1L0 = K1L & 0xffff;
const K1L1 = K1L >>> 16;

/** Result registers of the 64-bit helpers (a scalar return without allocating an object). */
let rh = 0;
let rl = 0;
/** Second result pair, for WeakHashLen32WithSeeds (which returns two 64-bit values). */
let qh = 0;
let ql = 0;

/** Little-endian 32 bits at `p`, as int32 (the C code's Fetch32; Fetch64 is two of these, low half first). */
function u32(d: Uint8Array, p: number): number {
  return d[p]! | (d[p + 1]! << 8) | (d[p + 2]! << 16) | (d[p + 3]! << 24);
}

/** rh:rl = a + b (mod 2^64). */
function add(ah: number, al: number, bh: number, bl: number): void {
  // The unsigned low sum is an exact double below 2^33; its bit 32 is the carry. (Measured: this beats an unsigned
  // compare for the carry by far in V8.)
  const l = (al >>> 0) + (bl >>> 0);
  rl = l | 0;
  rh = (ah + bh + ((l / 4294967296) | 0)) | 0;
}

/** rh:rl = a - b (mod 2^64). */
function sub(ah: number, al: number, bh: number, bl: number): void {
  const l = (al >>> 0) - (bl >>> 0);
  rl = l | 0;
  rh = (ah - bh - (l < 0 ? 1 : 0)) | 0;
}

/** rh:rl = a * b (mod 2^64). */
function mul(ah: number, al: number, bh: number, bl: number): void {
  // High 32 bits of the unsigned 32x32 product al*bl from four 16x16 partial products (schoolbook); the cross terms
  // ah*bl and al*bh only matter mod 2^32, which Math.imul gives directly.
  const a0 = al & 0xffff;
  const a1 = al >>> 16;
  const b0 = bl & 0xffff;
  const b1 = bl >>> 16;
  const p01 = Math.imul(a0, b1);
  const p10 = Math.imul(a1, b0);
  const mid = (Math.imul(a0, b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  rh = (Math.imul(a1, b1) + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16) + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
  rl = Math.imul(al, bl);
}

/** rh:rl = rotate right of a by r, 0 < r < 64 (the C code's Rotate / RotateByAtLeast1). */
function rot(ah: number, al: number, r: number): void {
  if (r < 32) {
    rl = (al >>> r) | (ah << (32 - r));
    rh = (ah >>> r) | (al << (32 - r));
  } else if (r === 32) {
    rl = ah;
    rh = al;
  } else {
    const s = r - 32;
    rl = (ah >>> s) | (al << (32 - s));
    rh = (al >>> s) | (ah << (32 - s));
  }
}

/** rh:rl = Hash128to64(u, v): the 128-to-64 mix used everywhere (HashLen16). */
function hashLen16(uh: number, ul: number, vh: number, vl: number): void {
  mul(uh ^ vh, ul ^ vl, KMH, KML);
  const ah = rh;
  const al = rl ^ (rh >>> 15); // a ^= a >> 47
  mul(vh ^ ah, vl ^ al, KMH, KML);
  const bh = rh;
  const bl = rl ^ (rh >>> 15); // b ^= b >> 47
  mul(bh, bl, KMH, KML);
}

/** rh:rl = HashLen0to16(d[s .. s+len)). */
function hashLen0to16(d: Uint8Array, s: number, len: number): void {
  if (len > 8) {
    const al = u32(d, s);
    const ah = u32(d, s + 4);
    const bl = u32(d, s + len - 8);
    const bh = u32(d, s + len - 4);
    add(bh, bl, 0, len);
    rot(rh, rl, len);
    hashLen16(ah, al, rh, rl);
    rh = rh ^ bh;
    rl = rl ^ bl;
    return;
  }
  if (len >= 4) {
    const a = u32(d, s);
    // len + (a << 3) as a 64-bit value.
    add(a >>> 29, a << 3, 0, len);
    hashLen16(rh, rl, 0, u32(d, s + len - 4));
    return;
  }
  if (len > 0) {
    const y = d[s]! + (d[s + (len >>> 1)]! << 8);
    const z = len + (d[s + len - 1]! << 2);
    mul(0, y, K2H, K2L);
    const yh = rh;
    const yl = rl;
    mul(0, z, K3H, K3L);
    const xh = yh ^ rh;
    mul(xh, yl ^ rl ^ (xh >>> 15), K2H, K2L); // ShiftMix(y*k2 ^ z*k3) * k2
    return;
  }
  rh = K2H;
  rl = K2L;
}

/** rh:rl = HashLen17to32(d[s .. s+len)). */
function hashLen17to32(d: Uint8Array, s: number, len: number): void {
  mul(u32(d, s + 4), u32(d, s), K1H, K1L);
  const ah = rh;
  const al = rl;
  const bl = u32(d, s + 8);
  const bh = u32(d, s + 12);
  mul(u32(d, s + len - 4), u32(d, s + len - 8), K2H, K2L);
  const ch = rh;
  const cl = rl;
  mul(u32(d, s + len - 12), u32(d, s + len - 16), K0H, K0L);
  const dh = rh;
  const dl = rl;
  // u = Rotate(a - b, 43) + Rotate(c, 30) + d
  sub(ah, al, bh, bl);
  rot(rh, rl, 43);
  let uh = rh;
  let ul = rl;
  rot(ch, cl, 30);
  add(uh, ul, rh, rl);
  add(rh, rl, dh, dl);
  uh = rh;
  ul = rl;
  // v = a + Rotate(b ^ k3, 20) - c + len
  rot(bh ^ K3H, bl ^ K3L, 20);
  add(ah, al, rh, rl);
  sub(rh, rl, ch, cl);
  add(rh, rl, 0, len);
  hashLen16(uh, ul, rh, rl);
}

/**
 * WeakHashLen32WithSeeds(w, x, y, z, a, b) with w..z the four words at d[p ..p+32): first result in rh:rl,
 * second in qh:ql.
 */
function weakHash32(d: Uint8Array, p: number, ah: number, al: number, bh: number, bl: number): void {
  const wl = u32(d, p);
  const wh = u32(d, p + 4);
  const zl = u32(d, p + 24);
  const zh = u32(d, p + 28);
  // a += w
  add(ah, al, wh, wl);
  ah = rh;
  al = rl;
  // b = Rotate(b + a + z, 21)
  add(bh, bl, ah, al);
  add(rh, rl, zh, zl);
  rot(rh, rl, 21);
  bh = rh;
  bl = rl;
  // c = a; a += x; a += y
  const ch = ah;
  const cl = al;
  add(ah, al, u32(d, p + 12), u32(d, p + 8));
  add(rh, rl, u32(d, p + 20), u32(d, p + 16));
  ah = rh;
  al = rl;
  // b += Rotate(a, 44)
  rot(ah, al, 44);
  add(bh, bl, rh, rl);
  // second = b + c
  add(rh, rl, ch, cl);
  qh = rh;
  ql = rl;
  // first = a + z
  add(ah, al, zh, zl);
}

/** rh:rl = HashLen33to64(d[s .. s+len)). */
function hashLen33to64(d: Uint8Array, s: number, len: number): void {
  let zh = u32(d, s + 28);
  let zl = u32(d, s + 24);
  // a = Fetch64(s) + (len + Fetch64(s + len - 16)) * k0
  add(u32(d, s + len - 12), u32(d, s + len - 16), 0, len);
  mul(rh, rl, K0H, K0L);
  add(rh, rl, u32(d, s + 4), u32(d, s));
  let ah = rh;
  let al = rl;
  // b = Rotate(a + z, 52); c = Rotate(a, 37)
  add(ah, al, zh, zl);
  rot(rh, rl, 52);
  let bh = rh;
  let bl = rl;
  rot(ah, al, 37);
  let ch = rh;
  let cl = rl;
  // a += Fetch64(s + 8); c += Rotate(a, 7); a += Fetch64(s + 16)
  add(ah, al, u32(d, s + 12), u32(d, s + 8));
  ah = rh;
  al = rl;
  rot(ah, al, 7);
  add(ch, cl, rh, rl);
  ch = rh;
  cl = rl;
  add(ah, al, u32(d, s + 20), u32(d, s + 16));
  ah = rh;
  al = rl;
  // vf = a + z; vs = b + Rotate(a, 31) + c
  add(ah, al, zh, zl);
  const vfh = rh;
  const vfl = rl;
  rot(ah, al, 31);
  add(rh, rl, bh, bl);
  add(rh, rl, ch, cl);
  const vsh = rh;
  const vsl = rl;
  // a = Fetch64(s + 16) + Fetch64(s + len - 32); z = Fetch64(s + len - 8)
  add(u32(d, s + 20), u32(d, s + 16), u32(d, s + len - 28), u32(d, s + len - 32));
  ah = rh;
  al = rl;
  zh = u32(d, s + len - 4);
  zl = u32(d, s + len - 8);
  // b = Rotate(a + z, 52); c = Rotate(a, 37)
  add(ah, al, zh, zl);
  rot(rh, rl, 52);
  bh = rh;
  bl = rl;
  rot(ah, al, 37);
  ch = rh;
  cl = rl;
  // a += Fetch64(s + len - 24); c += Rotate(a, 7); a += Fetch64(s + len - 16)
  add(ah, al, u32(d, s + len - 20), u32(d, s + len - 24));
  ah = rh;
  al = rl;
  rot(ah, al, 7);
  add(ch, cl, rh, rl);
  ch = rh;
  cl = rl;
  add(ah, al, u32(d, s + len - 12), u32(d, s + len - 16));
  ah = rh;
  al = rl;
  // wf = a + z; ws = b + Rotate(a, 31) + c
  add(ah, al, zh, zl);
  const wfh = rh;
  const wfl = rl;
  rot(ah, al, 31);
  add(rh, rl, bh, bl);
  add(rh, rl, ch, cl);
  const wsh = rh;
  const wsl = rl;
  // r = ShiftMix((vf + ws) * k2 + (wf + vs) * k0)
  add(vfh, vfl, wsh, wsl);
  mul(rh, rl, K2H, K2L);
  const th = rh;
  const tl = rl;
  add(wfh, wfl, vsh, vsl);
  mul(rh, rl, K0H, K0L);
  add(th, tl, rh, rl);
  // ShiftMix(r * k0 + vs) * k2
  mul(rh, rl ^ (rh >>> 15), K0H, K0L);
  add(rh, rl, vsh, vsl);
  mul(rh, rl ^ (rh >>> 15), K2H, K2L);
}

/** CityHash64 v1.0.2 of d[s .. s+len) into rh:rl. */
function city64(d: Uint8Array, s: number, len: number): void {
  if (len <= 16) return hashLen0to16(d, s, len);
  if (len <= 32) return hashLen17to32(d, s, len);
  if (len <= 64) return hashLen33to64(d, s, len);

  // x = Fetch64(s); y = Fetch64(s + len - 16) ^ k1; z = Fetch64(s + len - 56) ^ k0
  let xh = u32(d, s + 4);
  let xl = u32(d, s);
  let yh = u32(d, s + len - 12) ^ K1H;
  let yl = u32(d, s + len - 16) ^ K1L;
  let zh = u32(d, s + len - 52) ^ K0H;
  let zl = u32(d, s + len - 56) ^ K0L;
  // v = WeakHashLen32WithSeeds(s + len - 64, len, y); w = WeakHashLen32WithSeeds(s + len - 32, len * k1, k0)
  weakHash32(d, s + len - 64, 0, len, yh, yl);
  let v1h = rh;
  let v1l = rl;
  let v2h = qh;
  let v2l = ql;
  mul(0, len, K1H, K1L);
  weakHash32(d, s + len - 32, rh, rl, K0H, K0L);
  let w1h = rh;
  let w1l = rl;
  let w2h = qh;
  let w2l = ql;
  // z += ShiftMix(v.second) * k1; x = Rotate(z + x, 39) * k1; y = Rotate(y, 33) * k1
  mul(v2h, v2l ^ (v2h >>> 15), K1H, K1L);
  add(zh, zl, rh, rl);
  zh = rh;
  zl = rl;
  add(zh, zl, xh, xl);
  rot(rh, rl, 39);
  mul(rh, rl, K1H, K1L);
  xh = rh;
  xl = rl;
  rot(yh, yl, 33);
  mul(rh, rl, K1H, K1L);
  yh = rh;
  yl = rl;

  // Whole 64-byte chunks from the start; the last (partial or full) chunk was folded in above.
  let left = (len - 1) & ~63;
  let p = s;
  do {
    // x = Rotate(x + y + v.first + Fetch64(s + 16), 37) * k1
    add(xh, xl, yh, yl);
    add(rh, rl, v1h, v1l);
    add(rh, rl, u32(d, p + 20), u32(d, p + 16));
    rot(rh, rl, 37);
    mul(rh, rl, K1H, K1L);
    xh = rh;
    xl = rl;
    // y = Rotate(y + v.second + Fetch64(s + 48), 42) * k1
    add(yh, yl, v2h, v2l);
    add(rh, rl, u32(d, p + 52), u32(d, p + 48));
    rot(rh, rl, 42);
    mul(rh, rl, K1H, K1L);
    yh = rh;
    yl = rl;
    // x ^= w.second; y ^= v.first; z = Rotate(z ^ w.first, 33)
    xh = xh ^ w2h;
    xl = xl ^ w2l;
    yh = yh ^ v1h;
    yl = yl ^ v1l;
    rot(zh ^ w1h, zl ^ w1l, 33);
    zh = rh;
    zl = rl;
    // v = WeakHashLen32WithSeeds(s, v.second * k1, x + w.first)
    mul(v2h, v2l, K1H, K1L);
    const sh = rh;
    const sl = rl;
    add(xh, xl, w1h, w1l);
    weakHash32(d, p, sh, sl, rh, rl);
    v1h = rh;
    v1l = rl;
    v2h = qh;
    v2l = ql;
    // w = WeakHashLen32WithSeeds(s + 32, z + w.second, y)
    add(zh, zl, w2h, w2l);
    weakHash32(d, p + 32, rh, rl, yh, yl);
    w1h = rh;
    w1l = rl;
    w2h = qh;
    w2l = ql;
    // swap(z, x)
    const th = zh;
    const tl = zl;
    zh = xh;
    zl = xl;
    xh = th;
    xl = tl;
    p += 64;
    left -= 64;
  } while (left !== 0);

  // HashLen16(HashLen16(v.first, w.first) + ShiftMix(y) * k1 + z, HashLen16(v.second, w.second) + x)
  hashLen16(v1h, v1l, w1h, w1l);
  const ah = rh;
  const al = rl;
  mul(yh, yl ^ (yh >>> 15), K1H, K1L);
  add(ah, al, rh, rl);
  add(rh, rl, zh, zl);
  const uh = rh;
  const ul = rl;
  hashLen16(v2h, v2l, w2h, w2l);
  add(rh, rl, xh, xl);
  hashLen16(uh, ul, rh, rl);
}

/**
 * CityMurmur(d[s .. s+len), seed a:b), for len < 128. Low half of the result in rh:rl, high half in qh:ql.
 */
function cityMurmur(d: Uint8Array, s: number, len: number, ah: number, al: number, bh: number, bl: number): void {
  let ch: number;
  let cl: number;
  let dh: number;
  let dl: number;
  if (len <= 16) {
    // a = ShiftMix(a * k1) * k1; c = b * k1 + HashLen0to16(s, len); d = ShiftMix(a + (len >= 8 ? Fetch64(s) : c))
    mul(ah, al, K1H, K1L);
    mul(rh, rl ^ (rh >>> 15), K1H, K1L);
    ah = rh;
    al = rl;
    hashLen0to16(d, s, len);
    const hh = rh;
    const hl = rl;
    mul(bh, bl, K1H, K1L);
    add(rh, rl, hh, hl);
    ch = rh;
    cl = rl;
    if (len >= 8) add(ah, al, u32(d, s + 4), u32(d, s));
    else add(ah, al, ch, cl);
    dh = rh;
    dl = rl ^ (rh >>> 15);
  } else {
    // c = HashLen16(Fetch64(s + len - 8) + k1, a); d = HashLen16(b + len, c + Fetch64(s + len - 16)); a += d
    add(u32(d, s + len - 4), u32(d, s + len - 8), K1H, K1L);
    hashLen16(rh, rl, ah, al);
    ch = rh;
    cl = rl;
    add(ch, cl, u32(d, s + len - 12), u32(d, s + len - 16));
    const th = rh;
    const tl = rl;
    add(bh, bl, 0, len);
    hashLen16(rh, rl, th, tl);
    dh = rh;
    dl = rl;
    add(ah, al, dh, dl);
    ah = rh;
    al = rl;
    let l = len - 16;
    let p = s;
    do {
      // a ^= ShiftMix(Fetch64(s) * k1) * k1; a *= k1; b ^= a
      mul(u32(d, p + 4), u32(d, p), K1H, K1L);
      mul(rh, rl ^ (rh >>> 15), K1H, K1L);
      mul(ah ^ rh, al ^ rl, K1H, K1L);
      ah = rh;
      al = rl;
      bh = bh ^ ah;
      bl = bl ^ al;
      // c ^= ShiftMix(Fetch64(s + 8) * k1) * k1; c *= k1; d ^= c
      mul(u32(d, p + 12), u32(d, p + 8), K1H, K1L);
      mul(rh, rl ^ (rh >>> 15), K1H, K1L);
      mul(ch ^ rh, cl ^ rl, K1H, K1L);
      ch = rh;
      cl = rl;
      dh = dh ^ ch;
      dl = dl ^ cl;
      p += 16;
      l -= 16;
    } while (l > 0);
  }
  // a = HashLen16(a, c); b = HashLen16(d, b); result = (a ^ b, HashLen16(b, a))
  hashLen16(ah, al, ch, cl);
  ah = rh;
  al = rl;
  hashLen16(dh, dl, bh, bl);
  bh = rh;
  bl = rl;
  hashLen16(bh, bl, ah, al);
  qh = rh;
  ql = rl;
  rh = ah ^ bh;
  rl = al ^ bl;
}

/** CityHash128WithSeed v1.0.2 of d[s .. s+len) with seed x:y. Low half in rh:rl, high half in qh:ql. */
function city128WithSeed(d: Uint8Array, s: number, len: number, xh: number, xl: number, yh: number, yl: number): void {
  if (len < 128) return cityMurmur(d, s, len, xh, xl, yh, yl);

  // z = len * k1 (len < 2^31, see MAX_INPUT)
  mul(0, len, K1H, K1L);
  let zh = rh;
  let zl = rl;
  // v.first = Rotate(y ^ k1, 49) * k1 + Fetch64(s); v.second = Rotate(v.first, 42) * k1 + Fetch64(s + 8)
  rot(yh ^ K1H, yl ^ K1L, 49);
  mul(rh, rl, K1H, K1L);
  add(rh, rl, u32(d, s + 4), u32(d, s));
  let v1h = rh;
  let v1l = rl;
  rot(v1h, v1l, 42);
  mul(rh, rl, K1H, K1L);
  add(rh, rl, u32(d, s + 12), u32(d, s + 8));
  let v2h = rh;
  let v2l = rl;
  // w.first = Rotate(y + z, 35) * k1 + x; w.second = Rotate(x + Fetch64(s + 88), 53) * k1
  add(yh, yl, zh, zl);
  rot(rh, rl, 35);
  mul(rh, rl, K1H, K1L);
  add(rh, rl, xh, xl);
  let w1h = rh;
  let w1l = rl;
  add(xh, xl, u32(d, s + 92), u32(d, s + 88));
  rot(rh, rl, 53);
  mul(rh, rl, K1H, K1L);
  let w2h = rh;
  let w2l = rl;

  // The hot loop: every byte of a 1 MiB frame goes through it. Written out on int32 locals so TurboFan keeps the
  // whole state in registers, reading through a DataView (one load per word at any alignment). Measured on 1 MiB:
  // ~2 GB/s, against ~0.22 GB/s with the helpers above, whose module registers live in memory.
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  let p = s;
  let left = len;
  // Seeded with 0 so that TurboFan types them as small integers from the start, though the loop assigns them first.
  /* eslint-disable no-useless-assignment */
  let t = 0,
    a0 = 0,
    a1 = 0,
    p01 = 0,
    p10 = 0;
  let s0h = 0,
    s0l = 0,
    s1h = 0,
    s1l = 0,
    s2h = 0,
    s2l = 0,
    s3h = 0,
    s3l = 0;
  let s4h = 0,
    s4l = 0,
    s5h = 0,
    s5l = 0,
    s6h = 0,
    s6l = 0,
    s7h = 0,
    s7l = 0;
  let tah = 0,
    tal = 0,
    tbh = 0,
    tbl = 0,
    tch = 0,
    tcl = 0,
    teh = 0,
    tel = 0;
  /* eslint-enable no-useless-assignment */
  // The C loop runs its two rounds while len >= 128: that is 2 * floor(len / 128) chunks of 64 bytes.
  const end = s + (left >>> 7) * 128;
  left &= 127;
  do {
    // x = Rotate(x + y + v.first + Fetch64(s + 16), 37) * k1
    s2l = dv.getInt32(p + 16, true);
    s2h = dv.getInt32(p + 20, true);
    t = (xl >>> 0) + (yl >>> 0) + (v1l >>> 0) + (s2l >>> 0);
    xh = (xh + yh + v1h + s2h + ((t / 4294967296) | 0)) | 0;
    xl = t | 0;
    t = (xh >>> 5) | (xl << 27);
    xh = (xl >>> 5) | (xh << 27);
    xl = t;
    a0 = xl & 0xffff;
    a1 = xl >>> 16;
    p01 = Math.imul(a0, K1L1);
    p10 = Math.imul(a1, K1L0);
    t = (Math.imul(a0, K1L0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    xh = (Math.imul(a1, K1L1) + (p01 >>> 16) + (p10 >>> 16) + (t >>> 16) + Math.imul(xh, K1L) + Math.imul(xl, K1H)) | 0;
    xl = Math.imul(xl, K1L);
    // y = Rotate(y + v.second + Fetch64(s + 48), 42) * k1
    s6l = dv.getInt32(p + 48, true);
    s6h = dv.getInt32(p + 52, true);
    t = (yl >>> 0) + (v2l >>> 0) + (s6l >>> 0);
    yh = (yh + v2h + s6h + ((t / 4294967296) | 0)) | 0;
    yl = t | 0;
    t = (yh >>> 10) | (yl << 22);
    yh = (yl >>> 10) | (yh << 22);
    yl = t;
    a0 = yl & 0xffff;
    a1 = yl >>> 16;
    p01 = Math.imul(a0, K1L1);
    p10 = Math.imul(a1, K1L0);
    t = (Math.imul(a0, K1L0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    yh = (Math.imul(a1, K1L1) + (p01 >>> 16) + (p10 >>> 16) + (t >>> 16) + Math.imul(yh, K1L) + Math.imul(yl, K1H)) | 0;
    yl = Math.imul(yl, K1L);
    // x ^= w.second; y ^= v.first; z = Rotate(z ^ w.first, 33)
    xh = xh ^ w2h;
    xl = xl ^ w2l;
    yh = yh ^ v1h;
    yl = yl ^ v1l;
    zh = zh ^ w1h;
    zl = zl ^ w1l;
    t = (zh >>> 1) | (zl << 31);
    zh = (zl >>> 1) | (zh << 31);
    zl = t;
    // v = WeakHashLen32WithSeeds(s, v.second * k1, x + w.first)
    s0l = dv.getInt32(p, true);
    s0h = dv.getInt32(p + 4, true);
    s1l = dv.getInt32(p + 8, true);
    s1h = dv.getInt32(p + 12, true);
    s3l = dv.getInt32(p + 24, true);
    s3h = dv.getInt32(p + 28, true);
    a0 = v2l & 0xffff;
    a1 = v2l >>> 16;
    p01 = Math.imul(a0, K1L1);
    p10 = Math.imul(a1, K1L0);
    t = (Math.imul(a0, K1L0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    tah =
      (Math.imul(a1, K1L1) + (p01 >>> 16) + (p10 >>> 16) + (t >>> 16) + Math.imul(v2h, K1L) + Math.imul(v2l, K1H)) | 0;
    tal = Math.imul(v2l, K1L);
    t = (xl >>> 0) + (w1l >>> 0);
    tbh = (xh + w1h + ((t / 4294967296) | 0)) | 0;
    tbl = t | 0;
    //   a += w; b = Rotate(b + a + z, 21); c = a
    t = (tal >>> 0) + (s0l >>> 0);
    tah = (tah + s0h + ((t / 4294967296) | 0)) | 0;
    tal = t | 0;
    t = (tbl >>> 0) + (tal >>> 0) + (s3l >>> 0);
    tbh = (tbh + tah + s3h + ((t / 4294967296) | 0)) | 0;
    tbl = t | 0;
    t = (tbl >>> 21) | (tbh << 11);
    tbh = (tbh >>> 21) | (tbl << 11);
    tbl = t;
    tch = tah;
    tcl = tal;
    //   a += x + y; b += Rotate(a, 44); result = (a + z, b + c)
    t = (tal >>> 0) + (s1l >>> 0) + (s2l >>> 0);
    tah = (tah + s1h + s2h + ((t / 4294967296) | 0)) | 0;
    tal = t | 0;
    t = (tah >>> 12) | (tal << 20);
    teh = (tal >>> 12) | (tah << 20);
    tel = t;
    t = (tbl >>> 0) + (tel >>> 0);
    tbh = (tbh + teh + ((t / 4294967296) | 0)) | 0;
    tbl = t | 0;
    t = (tal >>> 0) + (s3l >>> 0);
    v1h = (tah + s3h + ((t / 4294967296) | 0)) | 0;
    v1l = t | 0;
    t = (tbl >>> 0) + (tcl >>> 0);
    v2h = (tbh + tch + ((t / 4294967296) | 0)) | 0;
    v2l = t | 0;
    // w = WeakHashLen32WithSeeds(s + 32, z + w.second, y)
    s4l = dv.getInt32(p + 32, true);
    s4h = dv.getInt32(p + 36, true);
    s5l = dv.getInt32(p + 40, true);
    s5h = dv.getInt32(p + 44, true);
    s7l = dv.getInt32(p + 56, true);
    s7h = dv.getInt32(p + 60, true);
    t = (zl >>> 0) + (w2l >>> 0);
    tah = (zh + w2h + ((t / 4294967296) | 0)) | 0;
    tal = t | 0;
    tbh = yh;
    tbl = yl;
    //   a += w; b = Rotate(b + a + z, 21); c = a
    t = (tal >>> 0) + (s4l >>> 0);
    tah = (tah + s4h + ((t / 4294967296) | 0)) | 0;
    tal = t | 0;
    t = (tbl >>> 0) + (tal >>> 0) + (s7l >>> 0);
    tbh = (tbh + tah + s7h + ((t / 4294967296) | 0)) | 0;
    tbl = t | 0;
    t = (tbl >>> 21) | (tbh << 11);
    tbh = (tbh >>> 21) | (tbl << 11);
    tbl = t;
    tch = tah;
    tcl = tal;
    //   a += x + y; b += Rotate(a, 44); result = (a + z, b + c)
    t = (tal >>> 0) + (s5l >>> 0) + (s6l >>> 0);
    tah = (tah + s5h + s6h + ((t / 4294967296) | 0)) | 0;
    tal = t | 0;
    t = (tah >>> 12) | (tal << 20);
    teh = (tal >>> 12) | (tah << 20);
    tel = t;
    t = (tbl >>> 0) + (tel >>> 0);
    tbh = (tbh + teh + ((t / 4294967296) | 0)) | 0;
    tbl = t | 0;
    t = (tal >>> 0) + (s7l >>> 0);
    w1h = (tah + s7h + ((t / 4294967296) | 0)) | 0;
    w1l = t | 0;
    t = (tbl >>> 0) + (tcl >>> 0);
    w2h = (tbh + tch + ((t / 4294967296) | 0)) | 0;
    w2l = t | 0;
    // swap(z, x)
    t = zh;
    zh = xh;
    xh = t;
    t = zl;
    zl = xl;
    xl = t;
    p += 64;
  } while (p < end);

  // y += Rotate(w.first, 37) * k0 + z; x += Rotate(v.first + z, 49) * k0
  rot(w1h, w1l, 37);
  mul(rh, rl, K0H, K0L);
  add(rh, rl, zh, zl);
  add(yh, yl, rh, rl);
  yh = rh;
  yl = rl;
  add(v1h, v1l, zh, zl);
  rot(rh, rl, 49);
  mul(rh, rl, K0H, K0L);
  add(xh, xl, rh, rl);
  xh = rh;
  xl = rl;
  // Up to four 32-byte chunks from the end of the remaining 0..127 bytes (they may overlap bytes already hashed).
  for (let done = 0; done < left;) {
    done += 32;
    const q = p + left - done;
    // y = Rotate(y - x, 42) * k0 + v.second
    sub(yh, yl, xh, xl);
    rot(rh, rl, 42);
    mul(rh, rl, K0H, K0L);
    add(rh, rl, v2h, v2l);
    yh = rh;
    yl = rl;
    // w.first += Fetch64(s + len - tail_done + 16)
    add(w1h, w1l, u32(d, q + 20), u32(d, q + 16));
    w1h = rh;
    w1l = rl;
    // x = Rotate(x, 49) * k0 + w.first
    rot(xh, xl, 49);
    mul(rh, rl, K0H, K0L);
    add(rh, rl, w1h, w1l);
    xh = rh;
    xl = rl;
    // w.first += v.first
    add(w1h, w1l, v1h, v1l);
    w1h = rh;
    w1l = rl;
    // v = WeakHashLen32WithSeeds(s + len - tail_done, v.first, v.second)
    weakHash32(d, q, v1h, v1l, v2h, v2l);
    v1h = rh;
    v1l = rl;
    v2h = qh;
    v2l = ql;
  }
  // x = HashLen16(x, v.first); y = HashLen16(y, w.first)
  hashLen16(xh, xl, v1h, v1l);
  xh = rh;
  xl = rl;
  hashLen16(yh, yl, w1h, w1l);
  yh = rh;
  yl = rl;
  // high = HashLen16(x + w.second, y + v.second)
  add(yh, yl, v2h, v2l);
  const th = rh;
  const tl = rl;
  add(xh, xl, w2h, w2l);
  hashLen16(rh, rl, th, tl);
  const hh = rh;
  const hl = rl;
  // low = HashLen16(x + v.second, w.second) + y
  add(xh, xl, v2h, v2l);
  hashLen16(rh, rl, w2h, w2l);
  add(rh, rl, yh, yl);
  qh = hh;
  ql = hl;
}

/** CityHash128 v1.0.2 of d[s .. s+len). Low half in rh:rl, high half in qh:ql. */
function city128(d: Uint8Array, s: number, len: number): void {
  if (len >= 16) {
    // seed = (Fetch64(s) ^ k3, Fetch64(s + 8)), then the rest of the input
    city128WithSeed(d, s + 16, len - 16, u32(d, s + 4) ^ K3H, u32(d, s) ^ K3L, u32(d, s + 12), u32(d, s + 8));
  } else if (len >= 8) {
    // seed = (Fetch64(s) ^ (len * k0), Fetch64(s + len - 8) ^ k1), empty input
    mul(0, len, K0H, K0L);
    city128WithSeed(d, s, 0, u32(d, s + 4) ^ rh, u32(d, s) ^ rl, u32(d, s + len - 4) ^ K1H, u32(d, s + len - 8) ^ K1L);
  } else {
    city128WithSeed(d, s, len, K0H, K0L, K1H, K1L);
  }
}

/** Longest input accepted: lengths are handled as int32 inside (a frame is at most 1 GiB, docs/protocol.md §5.2). */
const MAX_INPUT = 0x7fffffff;

function checkRange(data: Uint8Array, start: number, end: number): void {
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= data.length)) {
    throw new RangeError(`Invalid range [${start}, ${end}) for ${data.length} bytes`);
  }
  if (end - start > MAX_INPUT) throw new RangeError(`Cannot hash ${end - start} bytes: the limit is ${MAX_INPUT}`);
}

function writeU32LE(out: Uint8Array, o: number, v: number): void {
  out[o] = v & 0xff;
  out[o + 1] = (v >>> 8) & 0xff;
  out[o + 2] = (v >>> 16) & 0xff;
  out[o + 3] = v >>> 24;
}

/**
 * CityHash128 v1.0.2 of data[start .. end), written into out[outOffset .. outOffset+16) the way a compressed frame
 * carries it: low64 as UInt64 LE, then high64 as UInt64 LE (docs/protocol.md §5.3). Allocates nothing.
 */
export function cityHash128Into(data: Uint8Array, start: number, end: number, out: Uint8Array, outOffset = 0): void {
  checkRange(data, start, end);
  if (!(Number.isInteger(outOffset) && outOffset >= 0 && outOffset + 16 <= out.length)) {
    throw new RangeError(`No room for 16 bytes at offset ${outOffset} of a ${out.length}-byte buffer`);
  }
  city128(data, start, end - start);
  writeU32LE(out, outOffset, rl);
  writeU32LE(out, outOffset + 4, rh);
  writeU32LE(out, outOffset + 8, ql);
  writeU32LE(out, outOffset + 12, qh);
}

/**
 * True when out[outOffset .. outOffset+16) holds the CityHash128 v1.0.2 of data[start .. end) in frame byte order.
 * Allocates nothing (the frame reader's per-frame check).
 */
export function cityHash128Equals(
  data: Uint8Array,
  start: number,
  end: number,
  expected: Uint8Array,
  expectedOffset = 0,
): boolean {
  checkRange(data, start, end);
  city128(data, start, end - start);
  return (
    u32(expected, expectedOffset) === rl &&
    u32(expected, expectedOffset + 4) === rh &&
    u32(expected, expectedOffset + 8) === ql &&
    u32(expected, expectedOffset + 12) === qh
  );
}

/** CityHash128 v1.0.2 of data[start .. end) as the pair ClickHouse names (first = low64, second = high64). */
export function cityHash128(data: Uint8Array, start = 0, end = data.length): { low: bigint; high: bigint } {
  checkRange(data, start, end);
  city128(data, start, end - start);
  return {
    low: (BigInt(rh >>> 0) << 32n) | BigInt(rl >>> 0),
    high: (BigInt(qh >>> 0) << 32n) | BigInt(ql >>> 0),
  };
}

/** CityHash64 v1.0.2 of data[start .. end): what ClickHouse's SQL `cityHash64(s)` returns for one String. */
export function cityHash64(data: Uint8Array, start = 0, end = data.length): bigint {
  checkRange(data, start, end);
  city64(data, start, end - start);
  return (BigInt(rh >>> 0) << 32n) | BigInt(rl >>> 0);
}

/**
 * CityHash64 v1.0.2 of data[start .. end) into out[2*index] (low 32 bits) and out[2*index+1] (high 32 bits): an
 * Int32Array over a BigUint64Array's buffer receives the UInt64 in place. Allocates nothing (column-wise hashing).
 */
export function cityHash64Into(data: Uint8Array, start: number, end: number, out: Int32Array, index: number): void {
  city64(data, start, end - start);
  out[2 * index] = rl;
  out[2 * index + 1] = rh;
}

/** acc[i] = Hash128to64(low = acc[i], high = next[i]) for i < rows, on UInt64s held as int32 pairs (low first). */
export function hash128to64Columns(acc: Int32Array, next: Int32Array, rows: number): void {
  for (let i = 0; i < rows; i++) {
    const j = 2 * i;
    hashLen16(acc[j + 1]!, acc[j]!, next[j + 1]!, next[j]!);
    acc[j] = rl;
    acc[j + 1] = rh;
  }
}

/** out[i] = a[i] * b (mod 2^64) for a UInt64 column held as int32 pairs (low first) and a constant bh:bl. */
export function multiply64Columns(a: Int32Array, bh: number, bl: number, rows: number): void {
  for (let i = 0; i < rows; i++) {
    const j = 2 * i;
    mul(a[j + 1]!, a[j]!, bh, bl);
    a[j] = rl;
    a[j + 1] = rh;
  }
}
