"""ember.autograd.functional: Jacobians, Hessians and their products for whole functions.

Everything here is built on ``ember.autograd.grad``.  Forward-mode products (jvp, hvp) use the
double-backward trick: the vjp ``u -> J^T u`` is linear in ``u``, so differentiating it with
respect to ``u`` (a dummy zero tensor that requires grad) in direction ``v`` gives ``J v``.

Output structure follows the inputs: a function of one Tensor gets Tensor results, a function
of a tuple of Tensors gets tuples; ``jacobian``/``hessian`` nest one tuple level per side that
was a tuple.
"""
import ember as _ember

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


# ---------------------------------------------------------------- argument handling

def _tupled(obj, what, fn_name):
    """(was_tuple, tuple_of_tensors); raises TypeError naming the offending entry."""
    was_tuple = isinstance(obj, tuple)
    items = obj if was_tuple else (obj,)
    for i, el in enumerate(items):
        if not isinstance(el, _ember.Tensor):
            where = f"value at index {i}" if was_tuple else f"given {what}"
            raise TypeError(f"The {what} given to {fn_name} must be either a Tensor or a tuple "
                            f"of Tensors but the {where} has type {type(el)}.")
    return was_tuple, items


def _untuple(res, was_tuple):
    """Undo ``_tupled``: a pair of flags strips both levels of a nested result."""
    if isinstance(was_tuple, tuple):
        outer, inner = was_tuple
        if not inner:
            res = tuple(row[0] for row in res)
        return res if outer else res[0]
    return res if was_tuple else res[0]


def _fresh(tensors, create_graph, need_graph):
    """New Tensor objects for the function to see.

    A new object is always made so that gradients w.r.t. *these* tensors never mix with the
    same tensors captured by ``func`` from an outer scope.  With create_graph, inputs that
    require grad stay connected (a view) so the result can be differentiated further.
    """
    out = []
    for t in tensors:
        if create_graph and t.requires_grad:
            out.append(t.view_as(t))
        else:
            out.append(t.detach().requires_grad_(need_graph))
    return tuple(out)


def _finish(tensors, create_graph):
    """Drop history the caller did not ask for (recurses into nested tuples)."""
    if isinstance(tensors[0], _ember.Tensor):
        return tensors if create_graph else tuple(t.detach() for t in tensors)
    return tuple(_finish(t, create_graph) for t in tensors)


def _check_v(v, ref, ref_was_tuple):
    if len(v) != len(ref):
        if ref_was_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(ref)} but got "
                               f"{len(v)}.")
        raise RuntimeError("The given v should contain a single Tensor.")
    for i, (a, b) in enumerate(zip(v, ref)):
        if tuple(a.shape) != tuple(b.shape):
            prefix = f"Entry {i} in " if ref_was_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be torch.Size("
                               f"{list(b.shape)}) but got torch.Size({list(a.shape)}).")


def _prepare_v(v, ref, ref_was_tuple, fn_name, create_graph, none_msg):
    if v is None:
        if len(ref) != 1 or ref[0].numel() != 1:
            raise RuntimeError(none_msg)
        return None
    _, v = _tupled(v, "v", fn_name)
    v = _fresh(v, create_graph, need_graph=False)
    _check_v(v, ref, ref_was_tuple)
    return v


_STRICT_NOT_REQ = {
    "outputs": ("Output {i} of the user-provided function does not require gradients. The "
                "outputs must be computed in a differentiable manner from the input when "
                "running in strict mode."),
    "grad_inputs": ("The gradient with respect to input {i} is independent of the inputs of "
                    "the user-provided function. This is not allowed in strict mode."),
    "jacobian": ("While computing the hessian, found that the jacobian of the user-provided "
                 "function with respect to input {i} is independent of the input. This is not "
                 "allowed in strict mode. You should ensure that your function is twice "
                 "differentiable and that the jacobian depends on the inputs (this would be "
                 "violated by a linear function for example)."),
    "hessian": ("The hessian of the user-provided function with respect to input {i} is "
                "independent of the input. This is not allowed in strict mode. You should "
                "ensure that your function is thrice differentiable and that the hessian "
                "depends on the inputs."),
}


def _strict_check(tensors, kind, strict):
    """In strict mode every entry must exist and require grad."""
    if not strict:
        return
    for i, t in enumerate(tensors):
        if t is None:
            raise RuntimeError(f"The output of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode.")
        if not t.requires_grad:
            raise RuntimeError(_STRICT_NOT_REQ[kind].format(i=i))


def _grad(outputs, inputs, grad_outputs=None, create_graph=False, retain_graph=None):
    """autograd.grad that skips outputs which are None or carry no graph (giving None grads)."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs)
             if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outs, gos = zip(*pairs)
    return _ember.autograd.grad(outs, inputs, gos, allow_unused=True,
                                create_graph=create_graph, retain_graph=retain_graph)


_MISSING = {
    "back": "The output of the user-provided function is independent of input {i}. This is "
            "not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the "
                  "grad_outputs when using the double backward trick to compute forward mode "
                  "gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. "
                   "This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian. This is not allowed in strict mode as it "
                         "prevents from using the double backward trick to replace forward "
                         "mode AD.",
}


def _zeros_for_none(grads, refs, strict, create_graph, stage):
    """None grads become zeros shaped like ``refs`` (or a strict-mode error)."""
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_MISSING[stage].format(i=i))
            g = _ember.zeros_like(refs[i])
        elif strict and create_graph and not g.requires_grad:
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               f"create_graph=True.")
        res.append(g)
    return tuple(res)


def _call(func, inputs, fn_name, strict):
    was_tuple, outputs = _tupled(func(*inputs), "outputs of the user-provided function",
                                 fn_name)
    _strict_check(outputs, "outputs", strict)
    return was_tuple, outputs


def _single_output(outputs, was_tuple, fn_name):
    if was_tuple or not isinstance(outputs[0], _ember.Tensor):
        raise RuntimeError(f"The function given to {fn_name} should return a single Tensor")
    if outputs[0].numel() != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn_name} should "
                           f"contain a single element")


_V_NONE_INPUT = ("The vector v can only be None if the input to the user-provided function is "
                 "a single Tensor with a single element.")


# ---------------------------------------------------------------- products

def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T J)``: the vector-Jacobian product at ``inputs``.

    ``v`` matches the outputs of ``func``; it may be omitted when ``func`` returns a single
    one-element Tensor.  The product has the shapes of ``inputs``.
    """
    with _ember.enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "vjp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        out_tuple, outputs = _call(func, inputs, "vjp", strict)
        if v is None:
            if len(outputs) != 1 or outputs[0].numel() != 1:
                raise RuntimeError("The vector v can only be None if the user-provided "
                                   "function returns a single Tensor with a single element.")
        else:
            _, v = _tupled(v, "v", "vjp")
            v = _fresh(v, create_graph, need_graph=False)
            _check_v(v, outputs, out_tuple)
    with _ember.set_grad_enabled(create_graph or _ember.is_grad_enabled()):
        res = _zeros_for_none(_grad(outputs, inputs, v, create_graph=create_graph),
                              inputs, strict, create_graph, "back")
    return (_untuple(_finish(outputs, create_graph), out_tuple),
            _untuple(_finish(res, create_graph), in_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), J v)``: the Jacobian-vector product, by the double-backward trick.

    ``v`` matches ``inputs``; it may be omitted when the input is a single one-element
    Tensor.  The product has the shapes of the outputs.
    """
    with _ember.enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "jvp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, in_tuple, "jvp", create_graph, _V_NONE_INPUT)
        out_tuple, outputs = _call(func, inputs, "jvp", strict)
        # any finite value works for the dummy cotangent: the vjp is linear in it
        dummies = tuple(_ember.zeros_like(o, requires_grad=True) for o in outputs)
        vjps = _grad(outputs, inputs, dummies, create_graph=True)
        _strict_check(vjps, "grad_inputs", strict)
    with _ember.set_grad_enabled(True if create_graph else _ember.is_grad_enabled()):
        res = _zeros_for_none(_grad(vjps, dummies, v, create_graph=create_graph),
                              outputs, strict, create_graph, "back_trick")
    return (_untuple(_finish(outputs, create_graph), out_tuple),
            _untuple(_finish(res, create_graph), out_tuple))


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), v^T H)`` for a function returning a one-element Tensor."""
    with _ember.enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "vhp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, in_tuple, "vhp", create_graph, _V_NONE_INPUT)
        out_tuple, outputs = _call(func, inputs, "vhp", strict)
        _single_output(outputs, out_tuple, "vhp")
        jac = _grad(outputs, inputs, create_graph=True)
        _strict_check(jac, "jacobian", strict)
    with _ember.set_grad_enabled(create_graph or _ember.is_grad_enabled()):
        res = _zeros_for_none(_grad(jac, inputs, v, create_graph=create_graph),
                              inputs, strict, create_graph, "double_back")
    return (_untuple(_finish(outputs, create_graph), out_tuple),
            _untuple(_finish(res, create_graph), in_tuple))


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """``(func(*inputs), H v)`` for a function returning a one-element Tensor.

    Equal to ``vhp`` for twice continuously differentiable functions; computed by the
    double-backward trick, so slower.
    """
    with _ember.enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "hvp")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        v = _prepare_v(v, inputs, in_tuple, "hvp", create_graph, _V_NONE_INPUT)
        out_tuple, outputs = _call(func, inputs, "hvp", strict)
        _single_output(outputs, out_tuple, "hvp")
        jac = _grad(outputs, inputs, create_graph=True)
        _strict_check(jac, "jacobian", strict)
        dummies = tuple(_ember.zeros_like(t, requires_grad=True) for t in inputs)
        double_back = _grad(jac, inputs, dummies, create_graph=True)
        _strict_check(jac, "hessian", strict)
    with _ember.set_grad_enabled(create_graph or _ember.is_grad_enabled()):
        res = _zeros_for_none(_grad(double_back, dummies, v, create_graph=create_graph),
                              inputs, strict, create_graph, "double_back_trick")
    return (_untuple(_finish(outputs, create_graph), out_tuple),
            _untuple(_finish(res, create_graph), in_tuple))


# ---------------------------------------------------------------- full Jacobians

def _jacobian_rows(outputs, inputs, create_graph, strict):
    """jac[i][j]: list of d(outputs[i].flat[k]) / d(inputs[j]) rows, one backward per k.

    None marks a row where the output element does not reach that input.
    """
    jac = []
    for i, out in enumerate(outputs):
        rows = [[] for _ in inputs]
        flat = out.reshape(-1)
        for k in range(out.numel()):
            grads = _grad((flat[k],), inputs, retain_graph=True, create_graph=create_graph)
            for j, g in enumerate(grads):
                if g is None:
                    if strict:
                        raise RuntimeError(f"Output {i} of the user-provided function is "
                                           f"independent of input {j}. This is not allowed "
                                           f"in strict mode.")
                elif strict and create_graph and not g.requires_grad:
                    # torch names the output index here as "input"; kept for identical text
                    raise RuntimeError(f"The jacobian of the user-provided function is "
                                       f"independent of input {i}. This is not allowed in "
                                       f"strict mode when create_graph=True.")
                rows[j].append(g)
        jac.append(rows)
    return jac


def _jacobian_loop(outputs, inputs, create_graph, strict):
    res = []
    for out, rows in zip(outputs, _jacobian_rows(outputs, inputs, create_graph, strict)):
        res.append(tuple(
            _ember.stack([_ember.zeros_like(inp) if g is None else g for g in col], dim=0)
            .view(tuple(out.shape) + tuple(inp.shape))
            for inp, col in zip(inputs, rows)))
    return tuple(res)


def _jacobian_batched(outputs, inputs, create_graph):
    """What the vectorized path returns, computed row by row.

    Per input, one (total output numel, *input.shape) block split across the outputs; an
    input no output reaches gets one expanded zero tensor, as a batched grad would give.
    """
    numels = [o.numel() for o in outputs]
    total = sum(numels)
    if total == 0:
        # a batched grad over an empty batch has no first row to index
        raise IndexError("index 0 is out of bounds for dimension 0 with size 0")
    jac = _jacobian_rows(outputs, inputs, create_graph, strict=False)
    per_input = []
    for j, inp in enumerate(inputs):
        rows = [g for i in range(len(outputs)) for g in jac[i][j]]
        if all(g is None for g in rows):
            block = _ember.zeros_like(inp).expand((total,) + tuple(inp.shape))
        else:
            block = _ember.stack([_ember.zeros_like(inp) if g is None else g for g in rows])
        per_input.append([piece.view(tuple(o.shape) + tuple(inp.shape))
                          for piece, o in zip(block.split(numels, dim=0), outputs)])
    return tuple(zip(*per_input))


def _jacobian_forward(func, inputs, strict, vectorize, primals_tracked=False):
    if strict:
        raise RuntimeError('torch.autograd.functional.jacobian: `strict=True` and '
                           '`strategy="forward-mode"` are not supported together (yet). Please '
                           'either set `strict=False` or `strategy="reverse-mode"`.')
    in_tuple, inputs = _tupled(inputs, "inputs", "jacobian")
    if not vectorize:
        raise NotImplementedError("Computing Jacobian using forward-AD or forward-over-reverse "
                                  "Hessian isonly implemented for `vectorize=True`.")
    # ember has no forward-mode AD: take the same Jacobian in reverse mode, then give it the
    # dtype (the output's) and memory layout that pushing tangents forward would produce.
    # Forward tangents carry autograd history when the primals require grad (hessian's outer
    # forward pass makes them), so the rows keep their graph in exactly that case.
    tracked = primals_tracked or any(t.requires_grad for t in inputs)
    with _ember.enable_grad():
        leaves = _fresh(inputs, tracked, need_graph=True)
        out_tuple, outputs = _tupled(func(*leaves), "outputs", "jacobian")
        blocks = _jacobian_loop(outputs, leaves, tracked, False)
        res = []
        for out, row in zip(outputs, blocks):
            cells = []
            for inp, block in zip(inputs, row):
                if not tracked:
                    block = block.detach()
                n_in = inp.numel()
                tangents = block.reshape(out.numel(), n_in).t().contiguous() \
                    .view((n_in,) + tuple(out.shape))
                cells.append(tangents.permute(*range(1, tangents.dim()), 0)
                             .reshape(tuple(out.shape) + tuple(inp.shape)).to(out.dtype))
            res.append(tuple(cells))
    return _untuple(tuple(res), (out_tuple, in_tuple))


def _check_strategy(strategy, create_graph):
    if strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                             'Hint: If your function has more outputs than inputs, '
                             '"forward-mode" tends to be more performant. Otherwise, prefer to '
                             'use "reverse-mode".')
    if strategy == "forward-mode" and create_graph:
        raise NotImplementedError('torch.autograd.functional.jacobian: `create_graph=True` '
                                  'and `strategy="forward-mode"` are not supported together '
                                  '(yet). Please either set `create_graph=False` or '
                                  '`strategy="reverse-mode"`.')


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``.

    ``result[i][j]`` has shape ``outputs[i].shape + inputs[j].shape`` (with a tuple level
    dropped for each side that was a single Tensor).  ``vectorize=True`` gives the same
    values as the loop; ember computes it row by row too.
    """
    _check_strategy(strategy, create_graph)
    if strategy == "forward-mode":
        return _jacobian_forward(func, inputs, strict, vectorize)

    with _ember.enable_grad():
        in_tuple, inputs = _tupled(inputs, "inputs", "jacobian")
        inputs = _fresh(inputs, create_graph, need_graph=True)
        out_tuple, outputs = _call(func, inputs, "jacobian", strict)
        if vectorize:
            if strict:
                raise RuntimeError("torch.autograd.functional.jacobian: `strict=True` and "
                                   "`vectorized=True` are not supported together. Please "
                                   "either set `strict=False` or `vectorize=False`.")
            res = _jacobian_batched(outputs, inputs, create_graph)
        else:
            res = _jacobian_loop(outputs, inputs, create_graph, strict)
        return _untuple(_finish(res, create_graph), (out_tuple, in_tuple))


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The Hessian of a function returning a one-element Tensor, as the Jacobian of its
    gradient: ``result[i][j]`` has shape ``inputs[i].shape + inputs[j].shape``."""
    in_tuple, inputs = _tupled(inputs, "inputs", "hessian")
    if outer_jacobian_strategy not in ("forward-mode", "reverse-mode"):
        raise AssertionError('Expected strategy to be either "forward-mode" or "reverse-mode".')

    def scalar_func(*args):
        out = func(*args)
        was_tuple, outs = _tupled(out, "outputs of the user-provided function", "hessian")
        _strict_check(outs, "outputs", strict)
        if was_tuple or not isinstance(out, _ember.Tensor):
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return out.squeeze()

    def gradient_func(*args):
        jac = jacobian(scalar_func, args, create_graph=True)
        _strict_check(jac, "jacobian", strict)
        return jac

    if outer_jacobian_strategy == "forward-mode":
        _check_strategy(outer_jacobian_strategy, create_graph)
        res = _jacobian_forward(gradient_func, inputs, strict, vectorize, primals_tracked=True)
    else:
        res = jacobian(gradient_func, inputs, create_graph=create_graph, strict=strict,
                       vectorize=vectorize)
    return _untuple(res, (in_tuple, in_tuple))
