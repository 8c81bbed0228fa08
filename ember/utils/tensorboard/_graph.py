"""add_graph: run the model once, record every op, and emit a TensorBoard GraphDef.

Ops are recorded by wrapping ``Op.__call__`` for the duration of one forward pass
(zero cost otherwise); the module hierarchy becomes name scopes the way PyTorch
names them, ``Net/Sequential[model]/Conv2d[0]/...``, so TensorBoard folds each
module into a box.
"""
import re

from ...autograd import op as _opmod
from ...autograd.grad_mode import no_grad


def _snake(name):
    base = re.sub(r"Backward\d*$", "", name)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", base).lower()


class _Tracer:
    def __init__(self, model):
        self.model = model
        self.scope = [type(model).__name__]
        self.nodes = []            # (name, op, inputs, shape, dtype)
        self.producer = {}         # id(tensor) -> node name
        self.keep = []             # tensors whose ids are in producer
        self.counter = 0

    def name(self, base):
        self.counter += 1
        return f"{'/'.join(self.scope)}/{base}.{self.counter}"

    def add(self, name, op, inputs, tensor):
        self.nodes.append((name, op, inputs, tuple(tensor.shape), tensor.dtype.name))
        self.producer[id(tensor)] = name
        self.keep.append(tensor)

    def inputs_of(self, args):
        names = []
        for a in args:
            n = self.producer.get(id(a)) if hasattr(a, "_data") else None
            if n is not None:
                names.append(n)
        return names


def _module_scopes(model):
    """'features.0' -> ['Net', 'Sequential[features]', 'Conv2d[0]'] for every submodule."""
    scopes = {"": [type(model).__name__]}
    for name, mod in model.named_modules():
        if name:
            parent, _, leaf = name.rpartition(".")
            scopes[name] = scopes[parent] + [f"{type(mod).__name__}[{leaf}]"]
    return scopes


def trace(model, inputs):
    """The recorded nodes of one forward pass of ``model`` on ``inputs``."""
    from ...nn.modules.module import Module
    tracer = _Tracer(model)
    if not isinstance(inputs, (list, tuple)):
        inputs = (inputs,)
    for i, x in enumerate(inputs):
        if hasattr(x, "_data"):
            tracer.add(f"input/input.{i}", "IO Node", [], x)
    scopes = _module_scopes(model)
    for pname, p in model.named_parameters():
        owner, _, leaf = pname.rpartition(".")
        name = "/".join(scopes[owner]) + f"/{leaf}"
        tracer.nodes.append((name, "prim::GetAttr", [], tuple(p.shape), p.dtype.name))
        tracer.producer[id(p)] = name
    by_id = {id(m): scopes[n] for n, m in model.named_modules()}

    original_call = _opmod.Op.__call__
    original_module_call = Module.__call__

    def traced_op(self, *args, **kw):
        out = original_call(self, *args, **kw)
        ins = tracer.inputs_of(args)
        outs = out if isinstance(out, tuple) else (out,)
        for o in outs:
            if hasattr(o, "_data"):
                tracer.add(tracer.name(_snake(self.name)), f"aten::{_snake(self.name)}",
                           ins, o)
        return out

    def traced_module(self, *args, **kw):
        scope = by_id.get(id(self))
        if scope is None:
            return original_module_call(self, *args, **kw)
        saved, tracer.scope = tracer.scope, list(scope)
        try:
            return original_module_call(self, *args, **kw)
        finally:
            tracer.scope = saved

    _opmod.Op.__call__ = traced_op
    Module.__call__ = traced_module
    try:
        with no_grad():
            out = original_module_call(model, *inputs)
    finally:
        _opmod.Op.__call__ = original_call
        Module.__call__ = original_module_call
    outs = out if isinstance(out, (list, tuple)) else (out,)
    for i, o in enumerate(outs):
        if hasattr(o, "_data") and id(o) in tracer.producer:
            tracer.nodes.append((f"output/output.{i}", "IO Node", [tracer.producer[id(o)]],
                                 tuple(o.shape), o.dtype.name))
    return tracer.nodes


_DT = {"float32": "DT_FLOAT", "float64": "DT_DOUBLE", "float16": "DT_HALF",
       "int64": "DT_INT64", "int32": "DT_INT32", "uint8": "DT_UINT8", "bool": "DT_BOOL"}


def graph_protos(model, inputs):
    """(GraphDef, RunMetadata) for TensorBoard's graph plugin."""
    from tensorboard.compat.proto import (attr_value_pb2, config_pb2, graph_pb2,
                                          node_def_pb2, step_stats_pb2, tensor_shape_pb2,
                                          versions_pb2)
    nodes = []
    for name, op, ins, shape, dtype in trace(model, inputs):
        shape_proto = tensor_shape_pb2.TensorShapeProto(
            dim=[tensor_shape_pb2.TensorShapeProto.Dim(size=s) for s in shape])
        attr = {"_output_shapes": attr_value_pb2.AttrValue(
            list=attr_value_pb2.AttrValue.ListValue(shape=[shape_proto]))}
        if op != "IO Node":
            attr["attr"] = attr_value_pb2.AttrValue(s=f"{{ dtype : {dtype} }}".encode())
        nodes.append(node_def_pb2.NodeDef(name=name, op=op, input=ins, attr=attr,
                                          device="/device:CPU:0"))
    graph = graph_pb2.GraphDef(node=nodes, versions=versions_pb2.VersionDef(producer=22))
    stats = config_pb2.RunMetadata(step_stats=step_stats_pb2.StepStats(
        dev_stats=[step_stats_pb2.DeviceStepStats(device="/device:CPU:0")]))
    return graph, stats
