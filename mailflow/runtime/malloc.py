"""glibc malloc tuned for a long-running process that now and then holds a few very large buffers.

A 27 MB mail passes through several large buffers (the raw bytes, the decoded attachment, SQLite's
record). glibc serves large requests with their own memory mappings, given back to the system when
freed, but after the first such free it raises its mmap threshold (up to 32 MB): later buffers of the
same size land in the heap, and a heap rarely shrinks. Fixing the threshold keeps every buffer over
1 MB in its own mapping, so a big mail's memory is returned as soon as it is processed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_MMAP_THRESHOLD = -3  # mallopt parameter numbers, from glibc's <malloc.h>
LARGE_BUFFER = 1 << 20


@functools.cache
def return_large_buffers(threshold: int = LARGE_BUFFER) -> bool:
    """Set glibc's mmap threshold once per process; False where there is no glibc (musl, macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, threshold))
