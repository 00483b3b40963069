#!/usr/bin/env python3
"""Regenerates v1/0000000000000001.wal: a version-1 WAL segment with two kBatch records whose
payloads are plain text (the framing test does not open them). Kept so old segments keep
replaying; never regenerate it for a newer version - add v2/ instead."""
import struct, pathlib

def crc32c(data, crc=0):
    crc ^= 0xffffffff
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82f63b78 if crc & 1 else 0)
    return crc ^ 0xffffffff

def mask(c):
    return (((c >> 15) | (c << 17)) + 0xa282ead8) & 0xffffffff

def record(t, payload):
    crc = mask(crc32c(bytes([t]) + payload))
    return struct.pack('<II', crc, len(payload)) + bytes([t]) + payload

seg = record(1, b'VBWAL' + struct.pack('<HHQ', 1, 1, 1))
seg += record(2, b'golden record one') + record(2, b'golden record two')
out = pathlib.Path(__file__).parent / 'v1' / '0000000000000001.wal'
out.write_bytes(seg)
print(out, len(seg))
