#!/usr/bin/env python3
"""Serve ClickHouse 26.7 over the native protocol (and HTTP) from chdb's libchdb.so, for the test harness.

    python3 chdb-serve.py --lib LIBCHDB --path DATA_DIR --tcp-port P [--http-port P] [--config-file FILE]
                          [--parent-pid PID]

libchdb.so holds clickhouse-local, and clickhouse-local 26.x can open the server's listeners: with --tcp_port
(--http_port) and `SYSTEM START LISTEN TCP` (HTTP) it serves connections for as long as its own query runs. So the
last statement of our command line is a query that sleeps for decades at no CPU cost; stopping this process stops
the server. The Node harness (test/harness/chdb-server.ts) starts this script, waits for the port and stops it.

Failed logins. clickhouse-local installs an error handler (class KillingErrorHandler) that calls std::terminate()
for any exception escaping a connection thread, and a failed login (AUTHENTICATION_FAILED, code 516) is one: the
whole server would die of a wrong password. Before the server starts we neutralise that handler in this process's
memory: its three exception() methods are replaced by those of its base class Poco::ErrorHandler, which ignore the
exception (the connection is already answered and closed by then). This is a patch of one exact build: the build id
must be one we verified (KNOWN_BUILDS), the two classes are found by their RTTI in the loaded library (no fixed
addresses), and every step checks what it finds; anything unexpected ends this script with exit code 3 and a
message, before a server exists. The harness then proves the guard live (a wrong password, then a query).

Lifetime. The server must not outlive the test runner: PR_SET_PDEATHSIG makes the kernel kill us when the parent
dies, and a thread exits the process when stdin (a pipe from the parent) closes.
"""
import argparse
import ctypes
import mmap
import os
import signal
import struct
import sys
import threading

# Builds whose KillingErrorHandler we verified: a failed login is an ordinary error after the guard.
# build id (readelf -n libchdb.so) -> what it is.
KNOWN_BUILDS = {
    "d3d8f5517577ad52775b52318a193784b2fb5317": "chdb 3.4.0, @chdb/lib-linux-x64-gnu 26.7.3-stable.1 (ClickHouse 26.7.2.1)",
}

# Itanium C++ ABI mangled names: the strings a type_info object points to.
KILLING_HANDLER_NAME = b"19KillingErrorHandler"
POCO_HANDLER_NAME = b"N4Poco12ErrorHandlerE"
# Poco::ErrorHandler's virtual functions: 0, 1 destructors; 2 exception(const Poco::Exception&),
# 3 exception(const std::exception&), 4 exception(...).
EXCEPTION_SLOTS = (2, 3, 4)

PT_LOAD, PT_NOTE = 1, 4
PF_X, PF_W = 1, 2
NT_GNU_BUILD_ID = 3
PR_SET_PDEATHSIG = 1
GUARD_FAILED = 3


class GuardError(Exception):
    pass


def fail(message, code=GUARD_FAILED):
    print(f"chdb-serve: {message}", file=sys.stderr, flush=True)
    os._exit(code)


def read_segments(path):
    """The ELF64 little-endian program headers: [(type, flags, offset, vaddr, filesz, memsz)], and the build id."""
    with open(path, "rb") as f:
        header = f.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
            raise GuardError(f"{path} is not a 64-bit little-endian ELF file")
        phoff, = struct.unpack_from("<Q", header, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
        segments = []
        for i in range(phnum):
            p_type, p_flags, p_offset, p_vaddr, _paddr, p_filesz, p_memsz, _align = struct.unpack_from(
                "<IIQQQQQQ", table, i * phentsize)
            segments.append((p_type, p_flags, p_offset, p_vaddr, p_filesz, p_memsz))
        build_id = None
        for p_type, _flags, offset, _vaddr, filesz, _memsz in segments:
            if p_type != PT_NOTE:
                continue
            f.seek(offset)
            notes = f.read(filesz)
            pos = 0
            while pos + 12 <= len(notes):
                namesz, descsz, n_type = struct.unpack_from("<III", notes, pos)
                name_end = pos + 12 + ((namesz + 3) & ~3)
                desc = notes[name_end:name_end + descsz]
                if n_type == NT_GNU_BUILD_ID and notes[pos + 12:pos + 12 + namesz].rstrip(b"\0") == b"GNU":
                    build_id = desc.hex()
                pos = name_end + ((descsz + 3) & ~3)
    return segments, build_id


def load_base(lib):
    """Where the dynamic loader put the library: dladdr() of an exported function."""
    class DlInfo(ctypes.Structure):
        _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                    ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]
    libc = ctypes.CDLL(None)
    libc.dladdr.argtypes = [ctypes.c_void_p, ctypes.POINTER(DlInfo)]
    info = DlInfo()
    if libc.dladdr(ctypes.cast(lib.query_stable_v2, ctypes.c_void_p), ctypes.byref(info)) == 0 or not info.dli_fbase:
        raise GuardError("dladdr() cannot place libchdb.so in memory")
    return info.dli_fbase


def check_build(lib_path, allow_unknown_build):
    """The library's segments and build id; refuses a build we have not verified (before loading it)."""
    segments, build_id = read_segments(lib_path)
    known = KNOWN_BUILDS.get(build_id or "")
    if known is None and not allow_unknown_build:
        raise GuardError(
            f"{lib_path} (build id {build_id}) is not a libchdb.so build whose failed-login handler the harness has "
            f"verified (known: {', '.join(KNOWN_BUILDS)}). Without the guard a wrong password ends the whole server. "
            "After checking a failed login by hand on this build, add its build id to KNOWN_BUILDS in "
            "test/harness/chdb-serve.py (or set CLICKHOUSE_CHDB_UNKNOWN_BUILD=1 to try the guard anyway: the "
            "harness still checks it live).")
    return segments, build_id, known


def guard_failed_logins(lib, lib_path, segments, build_id, known):
    """Makes KillingErrorHandler ignore exceptions, as Poco::ErrorHandler does. Returns a one-line report."""
    base = load_base(lib)
    loads = [s for s in segments if s[0] == PT_LOAD]
    readonly = [s for s in loads if not s[1] & (PF_X | PF_W)]
    writable = [s for s in loads if s[1] & PF_W]
    executable = [(base + s[3], base + s[3] + s[5]) for s in loads if s[1] & PF_X]
    if not readonly or not writable or not executable:
        raise GuardError("unexpected segment layout of libchdb.so")

    # The type_info objects and vtables are relocated data: search them in the loaded (relocated) memory.
    data_ranges = [(base + s[3], ctypes.string_at(base + s[3], s[5])) for s in writable]

    def pointers_to(value):
        needle = struct.pack("<Q", value)
        found = []
        for start, mem in data_ranges:
            i = mem.find(needle)
            while i != -1:
                if (start + i) % 8 == 0:
                    found.append(start + i)
                i = mem.find(needle, i + 1)
        return found

    def word(address):
        return struct.unpack("<Q", ctypes.string_at(address, 8))[0]

    with open(lib_path, "rb") as f, mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ) as file_bytes:
        def name_strings(mangled):
            """Addresses of the NUL-terminated string `mangled` in the read-only segments."""
            found = []
            for _t, _f, offset, vaddr, filesz, _m in readonly:
                i = file_bytes.find(mangled + b"\0", offset, offset + filesz)
                while i != -1:
                    if file_bytes[i - 1] == 0:
                        found.append(base + vaddr + (i - offset))
                    i = file_bytes.find(mangled + b"\0", i + 1, offset + filesz)
            return found

        def type_info(mangled):
            # A type_info is {vptr, name}: the word after its vptr points to the name string.
            infos = {slot - 8 for name in name_strings(mangled) for slot in pointers_to(name)}
            if len(infos) != 1:
                raise GuardError(f"expected one type_info for {mangled.decode()}, found {len(infos)}")
            return infos.pop()

        def primary_vtable(info):
            # A vtable is {offset_to_top, type_info*, functions...}; the primary one has offset_to_top 0.
            tables = {slot + 8 for slot in pointers_to(info) if word(slot - 8) == 0}
            if len(tables) != 1:
                raise GuardError(f"expected one primary vtable for type_info {info:#x}, found {len(tables)}")
            return tables.pop()

        killing_info = type_info(KILLING_HANDLER_NAME)
        poco_info = type_info(POCO_HANDLER_NAME)
    # KillingErrorHandler derives from Poco::ErrorHandler alone: a __si_class_type_info {vptr, name, base}.
    if word(killing_info + 16) != poco_info:
        raise GuardError("KillingErrorHandler's type_info does not name Poco::ErrorHandler as its base")
    killing = primary_vtable(killing_info)
    poco = primary_vtable(poco_info)

    def code(address):
        return any(lo <= address < hi for lo, hi in executable)

    for table, who in ((killing, "KillingErrorHandler"), (poco, "Poco::ErrorHandler")):
        for slot in (0, 1, *EXCEPTION_SLOTS):
            if not code(word(table + 8 * slot)):
                raise GuardError(f"{who}'s virtual function {slot} does not point into code")
    if all(word(killing + 8 * s) == word(poco + 8 * s) for s in EXCEPTION_SLOTS):
        return f"build {build_id}: handler already neutral"

    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    page = mmap.PAGESIZE
    first = (killing + 8 * EXCEPTION_SLOTS[0]) & ~(page - 1)
    last = (killing + 8 * EXCEPTION_SLOTS[-1] + 8 + page - 1) & ~(page - 1)
    if libc.mprotect(first, last - first, mmap.PROT_READ | mmap.PROT_WRITE) != 0:
        raise GuardError(f"mprotect: {os.strerror(ctypes.get_errno())}")
    for s in EXCEPTION_SLOTS:
        ctypes.c_uint64.from_address(killing + 8 * s).value = word(poco + 8 * s)
    libc.mprotect(first, last - first, mmap.PROT_READ)
    if any(word(killing + 8 * s) != word(poco + 8 * s) for s in EXCEPTION_SLOTS):
        raise GuardError("the vtable did not take the patch")
    return f"build {build_id} ({known or 'UNKNOWN build, tried on request'}): failed-login guard applied"


def die_with_parent(parent_pid):
    """Kernel: kill us when the parent dies. Thread: exit when the parent's pipe on stdin closes."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent died before prctl() took effect

    def watch_stdin():
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        os._exit(0)
    threading.Thread(target=watch_stdin, daemon=True).start()


class QueryResult(ctypes.Structure):
    # struct local_result_v2 of chdb's C API
    _fields_ = [("buf", ctypes.c_char_p), ("len", ctypes.c_size_t), ("_vec", ctypes.c_void_p),
                ("elapsed", ctypes.c_double), ("rows_read", ctypes.c_uint64),
                ("bytes_read", ctypes.c_uint64), ("error_message", ctypes.c_char_p)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lib", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--tcp-port", type=int, required=True)
    parser.add_argument("--http-port", type=int)
    parser.add_argument("--config-file")
    parser.add_argument("--parent-pid", type=int)
    args = parser.parse_args()
    die_with_parent(args.parent_pid)

    try:
        segments, build_id, known = check_build(args.lib, os.environ.get("CLICKHOUSE_CHDB_UNKNOWN_BUILD") == "1")
        lib = ctypes.CDLL(args.lib)
        print(f"chdb-serve: {guard_failed_logins(lib, args.lib, segments, build_id, known)}", flush=True)
    except GuardError as err:
        fail(f"refusing to start: {err}")

    # sleepEachRow sleeps at most 3 s per block (function_sleep_max_microseconds_per_block): one row per block of
    # one second each. sum() keeps the column alive: an unused sleepEachRow would be pruned and the query would spin.
    keep_alive = ("SELECT sum(sleepEachRow(1)) FROM numbers(1000000000) "
                  "SETTINGS max_block_size = 1, max_threads = 1")
    sql = "SYSTEM START LISTEN TCP; " + ("SYSTEM START LISTEN HTTP; " if args.http_port else "") + keep_alive
    argv = ["clickhouse", f"--path={args.path}", f"--tcp_port={args.tcp_port}", "--listen_host=127.0.0.1",
            "--multiquery", f"--query={sql}", "--output-format=TSV"]
    if args.http_port:
        argv.append(f"--http_port={args.http_port}")
    if args.config_file:
        argv.append(f"--config-file={args.config_file}")
    lib.query_stable_v2.restype = ctypes.POINTER(QueryResult)
    c_argv = (ctypes.c_char_p * len(argv))(*[a.encode() for a in argv])
    print(f"chdb-serve: pid {os.getpid()}, native 127.0.0.1:{args.tcp_port}"
          + (f", http 127.0.0.1:{args.http_port}" if args.http_port else "") + f", data {args.path}", flush=True)
    result = lib.query_stable_v2(len(argv), c_argv)
    if result and result.contents.error_message:
        fail(f"clickhouse-local stopped: {result.contents.error_message.decode(errors='replace')}", 1)
    fail("the keep-alive query ended: server stopped", 1)


if __name__ == "__main__":
    main()
