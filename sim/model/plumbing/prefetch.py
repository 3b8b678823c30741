"""Cache-line prefetch hints for compiled loops (LLVM's ``llvm.prefetch``).

The stock arrays are stores x SKUs cells (4.8 MB each at 6,000 stores and 200 SKUs, several
read per unit), beyond the caches of a large network. The store-sales loop reads a store's
row at the SKUs its units draw and the pick loop reads cells of random nodes, in orders no
hardware prefetcher follows, so each such read waited for memory. Fetching a row or a cell a
little ahead, while the loop works on the current one, took the store-sales kernel from
~1.3 s to ~0.6 s and the pick kernel from ~0.24 s to ~0.16 s over 4 weeks of 6,000 stores
(2026-12-06), the results the same to the bit: a hint reads nothing into the program.
Prefetching the next line's candidate cells in the routing loop made it slower: finding
those cells costs more than the waits it saves.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

from sim.model.plumbing.jit import inline_kernel


@intrinsic
def prefetch(typingctx: object, arr: types.Array, idx: types.Integer
             ) -> tuple[types.Type, Callable[..., object]]:
    """Hint that ``arr[idx]`` (1-D) will be read soon: its cache line is fetched, nothing else.

    A hint only: nothing is read into the program, and no bounds are checked (callers pass
    an index inside the array). ``llvm.prefetch.p0`` is the intrinsic's name in the LLVM of
    numba 0.68 (the version pyproject.toml asks for at least), whose pointers are opaque:
    it reads llvmlite's typed byte pointer as one. Older LLVMs name it ``...p0i8``.
    The index is typed ``intp`` whatever integer the caller passes (numba converts it).
    """
    def codegen(context, builder, sig, args):
        aryty = sig.args[0]
        ary = context.make_array(aryty)(context, builder, args[0])
        ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [args[1]],
                                       wraparound=False)
        # One declaration per module for every element type: the pointer as bytes (llvmlite
        # types pointers by element, and a second dtype in one kernel would not match).
        byte_ptr = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [byte_ptr, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        # read (0), keep in every cache level (3), data cache (1)
        builder.call(fn, [builder.bitcast(ptr, byte_ptr), ir.Constant(i32, 0),
                          ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return types.void(arr, types.intp), codegen


#: Bytes of a cache line (x86-64 and most ARM cores).
LINE_BYTES = 64


@inline_kernel
def prefetch_span(arr: np.ndarray, lo: int, hi: int) -> None:
    """Prefetch every cache line of ``arr[lo:hi]`` (1-D; ``lo < hi``)."""
    step = max(LINE_BYTES // arr.itemsize, 1)
    for i in range(lo, hi, step):
        prefetch(arr, i)
    prefetch(arr, hi - 1)  # the last line, when the span does not start on a line
