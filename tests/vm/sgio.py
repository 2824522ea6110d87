#!/usr/bin/env python3
"""One SCSI command through SG_IO, with the raw sense decoded exactly.

    sgio.py DEV read  LBA BLOCKS BLOCK_SIZE [OUT]   READ(16); data to OUT
    sgio.py DEV write LBA BLOCKS BLOCK_SIZE IN      WRITE(16) of IN's bytes
    sgio.py DEV cdb HEX [IN_LEN | -w FILE]          any CDB (hex bytes)

DEV is a /dev/sdX or /dev/sgN. Prints one line and exits 0 when the status
is GOOD, 3 on CHECK CONDITION, 4 on another status or a transport error:

    status=GOOD resid=0
    status=CHECK_CONDITION key=0x0b asc=0x10 ascq=0x01 info=0x2a fmt=fixed

info= is the INFORMATION field (fixed format with VALID set, or the
information descriptor of descriptor-format sense), "none" without one.
Scenarios parse this line instead of sg3-utils' prose.
"""
import ctypes
import fcntl
import os
import sys

SG_IO = 0x2285
SG_DXFER_NONE, SG_DXFER_TO_DEV, SG_DXFER_FROM_DEV = -1, -2, -3


class SgIoHdr(ctypes.Structure):
    _fields_ = [
        ("interface_id", ctypes.c_int),
        ("dxfer_direction", ctypes.c_int),
        ("cmd_len", ctypes.c_ubyte),
        ("mx_sb_len", ctypes.c_ubyte),
        ("iovec_count", ctypes.c_ushort),
        ("dxfer_len", ctypes.c_uint),
        ("dxferp", ctypes.c_void_p),
        ("cmdp", ctypes.c_void_p),
        ("sbp", ctypes.c_void_p),
        ("timeout", ctypes.c_uint),
        ("flags", ctypes.c_uint),
        ("pack_id", ctypes.c_int),
        ("usr_ptr", ctypes.c_void_p),
        ("status", ctypes.c_ubyte),
        ("masked_status", ctypes.c_ubyte),
        ("msg_status", ctypes.c_ubyte),
        ("sb_len_wr", ctypes.c_ubyte),
        ("host_status", ctypes.c_ushort),
        ("driver_status", ctypes.c_ushort),
        ("resid", ctypes.c_int),
        ("duration", ctypes.c_uint),
        ("info", ctypes.c_uint),
    ]


def decode_sense(sb):
    """(key, asc, ascq, info or None, format name) of fixed or descriptor sense."""
    if len(sb) < 8:
        return None
    code = sb[0] & 0x7F
    if code in (0x70, 0x71):
        key, asc, ascq = sb[2] & 0x0F, sb[12] if len(sb) > 12 else 0, sb[13] if len(sb) > 13 else 0
        info = int.from_bytes(sb[3:7], "big") if sb[0] & 0x80 else None
        return key, asc, ascq, info, "fixed"
    if code in (0x72, 0x73):
        key, asc, ascq = sb[1] & 0x0F, sb[2], sb[3]
        info, off, end = None, 8, min(len(sb), 8 + sb[7])
        while off + 2 <= end:
            dtype, dlen = sb[off], sb[off + 1]
            # Information descriptor: type 0, length 0x0a, VALID in byte 2.
            if dtype == 0x00 and dlen >= 0x0A and off + 12 <= len(sb) and sb[off + 2] & 0x80:
                info = int.from_bytes(sb[off + 4:off + 12], "big")
            off += 2 + dlen
        return key, asc, ascq, info, "descriptor"
    return None


def sg_io(dev, cdb, direction, buf):
    sense = ctypes.create_string_buffer(252)
    cdbbuf = ctypes.create_string_buffer(bytes(cdb), len(cdb))
    hdr = SgIoHdr()
    hdr.interface_id = ord("S")
    hdr.dxfer_direction = direction
    hdr.cmd_len = len(cdb)
    hdr.mx_sb_len = ctypes.sizeof(sense)
    hdr.dxfer_len = len(buf) if buf is not None else 0
    hdr.dxferp = ctypes.addressof(buf) if buf is not None else None
    hdr.cmdp = ctypes.addressof(cdbbuf)
    hdr.sbp = ctypes.addressof(sense)
    hdr.timeout = 60000
    fd = os.open(dev, os.O_RDWR | os.O_NONBLOCK)
    try:
        fcntl.ioctl(fd, SG_IO, hdr)
    finally:
        os.close(fd)
    return hdr, sense.raw[:hdr.sb_len_wr]


def report(hdr, sb):
    if hdr.host_status or (hdr.driver_status & ~0x08):
        print(f"status=TRANSPORT host=0x{hdr.host_status:x} driver=0x{hdr.driver_status:x}")
        return 4
    if hdr.status == 0:
        print(f"status=GOOD resid={hdr.resid}")
        return 0
    if hdr.status == 0x02:
        d = decode_sense(sb)
        if d is None:
            print(f"status=CHECK_CONDITION sense={sb.hex() or 'none'}")
            return 3
        key, asc, ascq, info, fmt = d
        info_s = "none" if info is None else f"0x{info:x}"
        print(f"status=CHECK_CONDITION key=0x{key:02x} asc=0x{asc:02x} ascq=0x{ascq:02x} "
              f"info={info_s} fmt={fmt} sense={sb.hex()}")
        return 3
    print(f"status=0x{hdr.status:02x}")
    return 4


def rw16(op, lba, blocks):
    return bytes([op, 0]) + lba.to_bytes(8, "big") + blocks.to_bytes(4, "big") + bytes(2)


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    dev, what = argv[1], argv[2]
    if what == "read":
        lba, blocks, bs = int(argv[3], 0), int(argv[4], 0), int(argv[5], 0)
        buf = ctypes.create_string_buffer(blocks * bs)
        hdr, sb = sg_io(dev, rw16(0x88, lba, blocks), SG_DXFER_FROM_DEV, buf)
        rc = report(hdr, sb)
        if rc == 0 and len(argv) > 6:
            with open(argv[6], "wb") as f:
                f.write(buf.raw[:blocks * bs - hdr.resid])
        return rc
    if what == "write":
        lba, blocks, bs = int(argv[3], 0), int(argv[4], 0), int(argv[5], 0)
        with open(argv[6], "rb") as f:
            data = f.read(blocks * bs)
        if len(data) != blocks * bs:
            sys.exit(f"{argv[6]}: fewer than {blocks * bs} bytes")
        buf = ctypes.create_string_buffer(data, len(data))
        hdr, sb = sg_io(dev, rw16(0x8A, lba, blocks), SG_DXFER_TO_DEV, buf)
        return report(hdr, sb)
    if what == "cdb":
        cdb = bytes.fromhex(argv[3])
        if len(argv) > 5 and argv[4] == "-w":
            data = open(argv[5], "rb").read()
            buf = ctypes.create_string_buffer(data, len(data))
            hdr, sb = sg_io(dev, cdb, SG_DXFER_TO_DEV, buf)
        elif len(argv) > 4:
            buf = ctypes.create_string_buffer(int(argv[4], 0))
            hdr, sb = sg_io(dev, cdb, SG_DXFER_FROM_DEV, buf)
        else:
            hdr, sb = sg_io(dev, cdb, SG_DXFER_NONE, None)
        return report(hdr, sb)
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
