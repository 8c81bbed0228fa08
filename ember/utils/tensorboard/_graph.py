"""add_graph: run the model once, record every op, and emit a TensorBoard GraphDef.

PyTorch gets its graph from the JIT tracer.  ember has no tracer, but every op
goes through ``Op.__call__`` and every module through ``Module.__call__``; both
are wrapped for the duration of one forward pass (zero cost otherwise).  The
module hierarchy becomes name scopes spelled the way PyTorch spells them,
``Net/Sequential[model]/Conv2d[0]/...``, so TensorBoard folds each module into a
box; parameters and buffers become ``prim::GetAttr`` nodes inside their module,
inputs and outputs ``IO Node``s named ``input/<forward's argument>`` and
``output/output.<k>``.

The forward runs with autograd recording, on inputs that require grad: ember's
fast paths skip ``Op.__call__`` when no graph is needed, and the autograd graph
also tells which op last wrote a tensor that was modified in place.
"""
import inspect
import re

from ...autograd import op as _opmod
from ...autograd.grad_mode import enable_grad


def aten_name(grad_fn_name):
    """'MaxPool2DWithIndicesBackward0' -> 'max_pool2d_with_indices'."""
    base = re.sub(r"Backward\d*(_copy)?$", "", grad_fn_name)
    return re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", base).lower()


def _module_scopes(model):
    """{id(module): 'Net/Sequential[features]/Conv2d[0]'} and the same by qualified name."""
    by_name = {"": type(model).__name__}
    for name, mod in model.named_modules():
        if name:
            parent, _, leaf = name.rpartition(".")
            by_name[name] = f"{by_name[parent]}/{type(mod).__name__}[{leaf}]"
    by_id = {id(m): by_name[n] for n, m in model.named_modules()}
    return by_id, by_name


def _tensors(obj):
    """The tensors in an argument: itself, or those inside lists, tuples and dicts."""
    if hasattr(obj, "_data") and hasattr(obj, "grad_fn"):
        return [obj]
    if isinstance(obj, (list, tuple)):
        return [t for o in obj for t in _tensors(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _tensors(o)]
    return []


def _short(v):
    """A keyword argument as shown in the node's attributes (tensors and arrays left out)."""
    if isinstance(v, (bool, int, float, str, type(None))) or (
            isinstance(v, tuple) and all(isinstance(x, (int, float, tuple)) for x in v)):
        r = repr(v)
        return r if len(r) <= 80 else None
    return None


class _Tracer:
    def __init__(self, model):
        self.scope_by_id, scope_by_name = _module_scopes(model)
        self.scope = scope_by_name[""]
        self.nodes = []          # dicts: name, op, inputs, shapes, dtypes, attr
        self.by_node = {}        # id(autograd node) -> recorded name
        self.by_tensor = {}      # id(tensor) -> (recorded name or 'name:k', its grad_fn then)
        self.keep = []           # what the ids above refer to, kept alive
        self.counter = 0
        # parameters and buffers become nodes when an op first reads them
        self.attrs = {}
        for getter in (model.named_parameters, model.named_buffers):
            for qual, t in getter():
                owner, _, leaf = qual.rpartition(".")
                self.attrs[id(t)] = (f"{scope_by_name[owner]}/{leaf}", t)

    def emit(self, name, op, inputs, outs, attr=""):
        self.nodes.append(dict(name=name, op=op, inputs=inputs,
                               shapes=[tuple(o.shape) for o in outs],
                               dtypes=[o.dtype.name for o in outs], attr=attr))
        for k, o in enumerate(outs):
            self.by_tensor[id(o)] = (name if k == 0 else f"{name}:{k}", o.grad_fn)
        self.keep.extend(outs)

    def source(self, t):
        """The recorded name that produced tensor ``t``, creating attribute nodes."""
        fn = t.grad_fn
        entry = self.by_tensor.get(id(t))
        if entry is not None and entry[1] is fn:
            return entry[0]
        if fn is not None and id(fn) in self.by_node:  # written in place since
            name = self.by_node[id(fn)]
            return name if t._output_nr == 0 else f"{name}:{t._output_nr}"
        if entry is not None:
            return entry[0]
        if id(t) not in self.attrs:
            return None  # made inside forward without an op (a constant): no edge
        name, attr = self.attrs.pop(id(t))
        self.emit(name, "prim::GetAttr", [], [attr], "{ name : %s }" % name.rsplit("/")[-1])
        return name

    def passthrough(self, module, scope, args, out):
        """A module that ran no op (Dropout in eval mode, Identity) still gets its node,
        as in PyTorch's graph, so its box sits on the path its input takes."""
        ins = [t for t in _tensors(args) if self.source(t) is not None]
        outs = _tensors(out)
        if not ins or not outs:
            return
        self.counter += 1
        base = aten_name(type(module).__name__)
        self.emit(f"{scope}/{base}.{self.counter}", f"aten::{base}",
                  [self.source(t) for t in ins], outs)

    def record(self, op, args, kw, out):
        ins = [t for a in list(args) + list(kw.values()) for t in _tensors(a)]
        names = [n for n in (self.source(t) for t in ins) if n is not None]
        # an empty non-differentiable output is a placeholder for something not computed
        # (max pooling's indices when nobody needs them): left out
        outs = [o for k, o in enumerate(out if isinstance(out, tuple) else (out,))
                if hasattr(o, "_data")
                and not (k in op.nondiff_outputs and k and o._data.size == 0)]
        if not outs:
            return
        self.counter += 1
        base = aten_name(op.name)
        name = f"{self.scope}/{base}.{self.counter}"
        shown = {k: _short(v) for k, v in kw.items()}
        attr = ", ".join(f"{k} : {v}" for k, v in shown.items() if v is not None)
        attr = "{ " + attr + " }" if attr else "{}"
        self.emit(name, f"aten::{base}", names, outs, attr)
        fn = outs[0].grad_fn
        if fn is not None:
            self.by_node[id(fn)] = name
            self.keep.append(fn)


def _input_names(model, n):
    try:
        params = [p.name for p in inspect.signature(model.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):
        params = []
    return [params[i] if i < len(params) else f"input.{i}" for i in range(n)]


def _traceable(x):
    """A copy of input ``x`` that autograd follows (float tensors only), not a leaf so that
    the model may still write into it in place."""
    if hasattr(x, "_data") and (x.dtype.is_floating_point or x.dtype.is_complex):
        return x.detach().requires_grad_(True).clone()
    return x


def trace(model, inputs):
    """The nodes recorded in one forward pass of ``model`` on ``inputs`` (eval mode)."""
    from ...nn.modules.module import Module
    args = inputs if isinstance(inputs, tuple) else () if inputs is None else (inputs,)
    tracer = _Tracer(model)
    with enable_grad():
        args = tuple(_traceable(a) if hasattr(a, "_data") else a for a in args)
    for i, (a, pname) in enumerate(zip(args, _input_names(model, len(args)))):
        ts = _tensors(a)
        for j, t in enumerate(ts):
            tracer.emit(f"input/{pname}" if len(ts) == 1 else f"input/{pname}.{j}",
                        "IO Node", [], [t])

    original_op_call = _opmod.Op.__call__
    original_module_call = Module.__call__

    def traced_op(self, *a, **kw):
        out = original_op_call(self, *a, **kw)
        tracer.record(self, a, kw, out)
        return out

    def traced_module(self, *a, **kw):
        scope = tracer.scope_by_id.get(id(self))
        if scope is None:  # a module made inside forward: its ops join the caller's scope
            return original_module_call(self, *a, **kw)
        saved, tracer.scope, before = tracer.scope, scope, tracer.counter
        try:
            out = original_module_call(self, *a, **kw)
        finally:
            tracer.scope = saved
        if tracer.counter == before:
            tracer.passthrough(self, scope, a, out)
        return out

    was_training = model.training
    model.train(False)
    _opmod.Op.__call__, Module.__call__ = traced_op, traced_module
    try:
        with enable_grad():
            out = model(*args)
    except RuntimeError as e:
        print(e)
        print("Error occurs, No graph saved")
        raise
    finally:
        _opmod.Op.__call__, Module.__call__ = original_op_call, original_module_call
        model.train(was_training)
    for i, o in enumerate(_tensors(out)):
        src = tracer.source(o)
        tracer.nodes.append(dict(name=f"output/output.{i + 1}", op="IO Node",
                                 inputs=[] if src is None else [src], shapes=[tuple(o.shape)],
                                 dtypes=[o.dtype.name], attr=""))
    return tracer.nodes


def graph(model, inputs, verbose=False):
    """(GraphDef, RunMetadata) for TensorBoard's graph plugin."""
    from tensorboard.compat.proto import (attr_value_pb2, config_pb2, graph_pb2,
                                          node_def_pb2, step_stats_pb2, tensor_shape_pb2,
                                          versions_pb2)
    nodes = trace(model, inputs)
    if verbose:
        for n in nodes:
            print(f"{n['name']} = {n['op']}({', '.join(n['inputs'])}) {n['attr']} "
                  f"# {', '.join(f'{d}{list(s)}' for s, d in zip(n['shapes'], n['dtypes']))}")
    protos = []
    for n in nodes:
        shapes = [tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in shape])
            for shape in n["shapes"]]
        attr = {"_output_shapes": attr_value_pb2.AttrValue(
            list=attr_value_pb2.AttrValue.ListValue(shape=shapes))}
        if n["attr"]:
            attr["attr"] = attr_value_pb2.AttrValue(s=n["attr"].encode())
        protos.append(node_def_pb2.NodeDef(name=n["name"], op=n["op"], input=n["inputs"],
                                           attr=attr))
    # PyTorch labels every node as run on the CPU, whatever ran it; so does ember
    stats = config_pb2.RunMetadata(step_stats=step_stats_pb2.StepStats(
        dev_stats=[step_stats_pb2.DeviceStepStats(device="/device:CPU:0")]))
    return graph_pb2.GraphDef(node=protos, versions=versions_pb2.VersionDef(producer=22)), stats
