"""einsum and tensordot, lowered onto permute / diagonal / bmm exactly as PyTorch lowers them.

Following PyTorch's steps (operands aligned to one label order, contracted left to right,
each pair through ``bmm``) gives the same results, views and ``grad_fn`` chains as torch,
and the gradients come from the ops used.
"""
from .. import _errors
from . import shape as S
from ._util import Tensor
from .linalg import _out, _prod, _reshape, bmm, dot, mm

def _letter_index(c):
    return ord(c) - ord("A") if c.isupper() else ord(c) - ord("a") + 26


def _parse_operands(lhs, n_ops):
    """Each operand's labels as a list of label ids, with '...' as the id 52."""
    labels, cur, seen_ell = [[]], 0, False
    i = 0
    while i < len(lhs):
        c = lhs[i]
        if c == " ":
            pass
        elif c == ".":
            if seen_ell:
                raise RuntimeError(f"einsum(): found '.' for operand {cur} for which an "
                                   "ellipsis was already found")
            if lhs[i:i + 3] != "...":
                raise RuntimeError(f"einsum(): found '.' for operand {cur} that is not part "
                                   "of any ellipsis")
            labels[cur].append(52)
            seen_ell = True
            i += 2
        elif c == ",":
            cur += 1
            if cur >= n_ops:
                raise RuntimeError("einsum(): fewer operands were provided than specified in "
                                   "the equation")
            labels.append([])
            seen_ell = False
        elif c.isascii() and c.isalpha():
            labels[cur].append(_letter_index(c))
        else:
            raise RuntimeError(f"einsum(): invalid subscript given at index {i} in the "
                               "equation string, subscripts must be in [a-zA-Z]")
        i += 1
    if cur != n_ops - 1:
        raise RuntimeError("einsum(): more operands were provided than specified in the "
                           "equation")
    return labels


def _sumproduct_pair(left, right, sum_dims):
    """(left * right).sum(sum_dims, keepdim=True) through one bmm, as PyTorch lowers it."""
    if not sum_dims:
        return left * right
    ls, rs = left._data.shape, right._data.shape
    lro, lo, ro = [], [], []
    sum_size = 1
    for i in range(len(ls)):
        sl, sr = ls[i] != 1, rs[i] != 1
        if i in sum_dims:
            if sl and sr:
                if ls[i] != rs[i]:
                    raise RuntimeError("non-broadcast dimensions must match")
                sum_size *= ls[i]
            elif sl:
                left = left.sum(i, keepdim=True)
            elif sr:
                right = right.sum(i, keepdim=True)
        elif sl and sr:
            lro.append(i)
        elif sl:
            lo.append(i)
        else:
            ro.append(i)
    ls, rs = left._data.shape, right._data.shape
    lro_n, lo_n, ro_n = (_prod(ls[i] for i in lro), _prod(ls[i] for i in lo),
                         _prod(rs[i] for i in ro))
    out_size = [ls[d] for d in lro] + [ls[d] for d in lo] + [1] * len(sum_dims) + \
        [rs[d] for d in ro]
    lperm = lro + lo + list(sum_dims) + ro
    rperm = lro + list(sum_dims) + ro + lo
    operm = [0] * len(lperm)
    for pos, d in enumerate(lperm):
        operm[d] = pos
    a = _reshape(left.permute(lperm), lro_n, lo_n, sum_size)
    b = _reshape(right.permute(rperm), lro_n, sum_size, ro_n)
    return bmm(a, b).view(out_size).permute(operm)


def einsum(*args):
    if not args:
        raise TypeError("einsum(): must specify the equation string and at least one operand, "
                        "or at least one operand and its subscripts list")
    if not isinstance(args[0], str):
        return einsum(*_sublist_to_equation(args))
    equation, operands = args[0], args[1:]
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    n_ops = len(operands)
    arrow = equation.find("->")
    lhs = equation if arrow < 0 else equation[:arrow]
    op_labels = _parse_operands(lhs, n_ops)
    count = [0] * 52
    ell_dims = 0
    for i, (t, labels) in enumerate(zip(operands, op_labels)):
        n_lab = len(labels)
        has_ell = 52 in labels
        if has_ell:
            n_lab -= 1
            ell_dims = max(ell_dims, t.dim() - n_lab)
        for lab in labels:
            if lab != 52:
                count[lab] += 1
        if (n_lab > t.dim()) if has_ell else (n_lab != t.dim()):
            raise RuntimeError(
                f"einsum(): the number of subscripts in the equation ({n_lab}) "
                + ("is more than" if has_ell else "does not match")
                + f" the number of dimensions ({t.dim()}) for operand {i}"
                + ("" if has_ell else " and no ellipsis was given"))
    # every label gets a position: output labels first, then the ones to sum out
    pos = [-1] * 52
    idx, ell_at, ell_out = 0, 0, False
    if arrow < 0:
        idx, ell_out = ell_dims, True
        for lab in range(52):
            if count[lab] == 1:
                pos[lab] = idx
                idx += 1
    else:
        rhs = equation[arrow + 2:]
        i = 0
        while i < len(rhs):
            c = rhs[i]
            if c == " ":
                pass
            elif c == ".":
                if ell_out:
                    raise RuntimeError("einsum(): found '.' for output but an ellipsis (...) "
                                       "was already found")
                if rhs[i:i + 3] != "...":
                    raise RuntimeError("einsum(): found '.' for output that is not part of "
                                       "any ellipsis (...)")
                ell_at, ell_out = idx, True
                idx += ell_dims
                i += 2
            elif c.isascii() and c.isalpha():
                lab = _letter_index(c)
                if count[lab] == 0 or pos[lab] != -1:
                    raise RuntimeError(
                        f"einsum(): output subscript {c}" +
                        (" appears more than once in the output" if pos[lab] != -1 else
                         " does not appear in the equation for any input operand"))
                pos[lab] = idx
                idx += 1
            else:
                raise RuntimeError(f"einsum(): invalid subscript given at index "
                                   f"{len(lhs) + 2 + i} in the equation string, subscripts "
                                   "must be in [a-zA-Z]")
            i += 1
    n_out = idx
    if not ell_out:
        ell_at = idx
        idx += ell_dims
    for lab in range(52):
        if count[lab] and pos[lab] == -1:
            pos[lab] = idx
            idx += 1
    total = idx
    # align every operand to `total` dims: diagonals for repeats, unsqueeze for missing labels
    lab_size = [1] * 52
    ell_size = [1] * ell_dims
    dim_counts = [0] * total
    ops = []
    for i, (t, labels) in enumerate(zip(operands, op_labels)):
        perm = [-1] * total
        op = t
        dim = 0
        for lab in labels:
            if lab == 52:
                nd = t.dim() - (len(labels) - 1)
                for j in range(ell_dims - nd, ell_dims):
                    s = op._data.shape[dim]
                    if s != 1:
                        if ell_size[j] != 1 and ell_size[j] != s:
                            raise RuntimeError(
                                f"einsum(): dimension {dim} covered by ellipsis in operand {i}"
                                f"has size {s} which does not broadcast with previously seen "
                                f"ellipsis with size {ell_size[j]} for the respective "
                                "dimension")
                        ell_size[j] = s
                        dim_counts[ell_at + j] += 1
                    perm[ell_at + j] = dim
                    dim += 1
            elif perm[pos[lab]] == -1:
                s = op._data.shape[dim]
                if s != 1:
                    if lab_size[lab] != 1 and lab_size[lab] != s:
                        raise RuntimeError(
                            f"einsum(): subscript {_label_char(lab)} has size {s} for operand "
                            f"{i} which does not broadcast with previously seen size "
                            f"{lab_size[lab]}")
                    lab_size[lab] = s
                    dim_counts[pos[lab]] += 1
                perm[pos[lab]] = dim
                dim += 1
            else:
                prev = perm[pos[lab]]
                s, sp = op._data.shape[dim], op._data.shape[prev]
                if s != sp:
                    raise RuntimeError(f"einsum(): subscript {_label_char(lab)} is repeated "
                                       f"for operand {i} but the sizes don't match, {s} != {sp}")
                op = S.movedim(S.diagonal(op, 0, prev, dim), -1, prev)
        for k in range(total):
            if perm[k] == -1:
                op = op.unsqueeze(dim)
                perm[k] = dim
                dim += 1
        ops.append(op.permute(perm))
    # contract left to right, summing each label as soon as no later operand has it
    while len(ops) > 1:
        a, b = ops[0], ops[1]
        del ops[:2]
        sum_dims, a_sum, b_sum = [], [], []
        for d in range(n_out, total):
            sa, sb = a._data.shape[d] != 1, b._data.shape[d] != 1
            if sa and sb:
                dim_counts[d] -= 1
                if dim_counts[d] == 1:
                    sum_dims.append(d)
                    dim_counts[d] = 0
            elif dim_counts[d] == 1:
                if sa:
                    a_sum.append(d)
                    dim_counts[d] = 0
                elif sb:
                    b_sum.append(d)
                    dim_counts[d] = 0
        if a_sum:
            a = a.sum(a_sum, keepdim=True)
        if b_sum:
            b = b.sum(b_sum, keepdim=True)
        ops.insert(0, _sumproduct_pair(a, b, sum_dims))
    res = ops[0]
    if total > n_out:
        if n_ops > 1:
            return res.view(res._data.shape[:n_out])
        return res.sum(list(range(n_out, total)))
    return res


def _label_char(lab):
    return chr(ord("A") + lab) if lab < 26 else chr(ord("a") + lab - 26)


def _sublist_to_equation(args):
    """einsum(op1, sublist1, op2, sublist2, ..., [out_sublist]) -> (equation, *operands)."""
    def sub(lst):
        return "".join("..." if s is Ellipsis else _label_char(s) for s in lst)
    ops, subs = list(args[0::2]), list(args[1::2])
    out = None
    if len(ops) > len(subs):  # a trailing output sublist sits at an even position
        out = ops.pop()
    eq = ",".join(sub(s) for s in subs)
    if out is not None:
        eq += "->" + sub(out)
    return (eq, *ops)


def tensordot(a, b, dims=2, out=None):
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > min(a.dim(), b.dim()):
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got "
                               f"dims={dims}")
        da, db = list(range(-dims, 0)), list(range(dims))
    elif isinstance(dims, (list, tuple)) and len(dims) == 2:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    else:
        raise RuntimeError("tensordot expects dims to be int or tuple[list[int], list[int]] or "
                           f"list[list[int]] containing two lists, but got dims={dims}")
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    if a.dtype is not b.dtype:
        raise RuntimeError("both inputs should have same dtype")
    na, nb = a.dim(), b.dim()
    wa = [_errors.wrap_dim(d, na) for d in da]
    wb = [_errors.wrap_dim(d, nb) for d in db]
    t1, t2 = a, b
    csize = 1
    for x, y, ox, oy in zip(wa, wb, da, db):
        s1, s2 = a._data.shape[x], b._data.shape[y]
        if s2 == 1:
            t1 = t1.sum(x, keepdim=True)
        elif s1 == 1:
            t2 = t2.sum(y, keepdim=True)
        elif s1 != s2:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {s1} "
                               f"in dim {ox} and second has size {s2} in dim {oy}")
        else:
            csize *= s1
    p1 = [i for i in range(na) if i not in wa]
    p2 = [i for i in range(nb) if i not in wb]
    rsizes = [t1._data.shape[i] for i in p1] + [t2._data.shape[i] for i in p2]
    size1 = _prod(t1._data.shape[i] for i in p1)
    size2 = _prod(t2._data.shape[i] for i in p2)
    if size1 == 1 and size2 == 1:
        # a full contraction is a dot product (PyTorch's fast path)
        t1, t2 = t1.permute(p1 + wa), t2.permute(wb + p2)
        if t1.is_contiguous() and t2.is_contiguous():
            return _out(dot(t1.flatten(), t2.flatten()).reshape(rsizes), out)
        return _out((t1.squeeze() * t2.squeeze()).sum(dtype=t1.dtype).reshape(rsizes), out)
    m1 = _reshape(t1.permute(p1 + wa), size1, csize)
    m2 = _reshape(t2.permute(wb + p2), csize, size2)
    return _out(mm(m1, m2).reshape(rsizes), out)
