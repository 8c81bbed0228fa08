"""ember.vision.models against torchvision 0.29: structure (parameter counts, state_dict keys
and shapes, reprs), the default initialisation drawn in torchvision's order, outputs for the
same weights, builder arguments and the weights enums."""
import contextlib
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
tvm = pytest.importorskip("torchvision.models")

import ember  # noqa: E402
import ember.vision.models as evm  # noqa: E402

ALL = ["alexnet", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
       "vgg19_bn", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
       "resnext50_32x4d", "wide_resnet50_2", "googlenet", "mobilenet_v2", "mobilenet_v3_small",
       "mobilenet_v3_large", "squeezenet1_0", "squeezenet1_1", "densenet121",
       "shufflenet_v2_x1_0"]
# Forward-compared at 64x64 (the largest ones are checked for structure only).
FORWARD = ["resnet18", "resnet50", "resnext50_32x4d", "googlenet", "mobilenet_v2",
           "mobilenet_v3_small", "mobilenet_v3_large", "squeezenet1_0", "squeezenet1_1",
           "densenet121", "shufflenet_v2_x1_0"]
SIZE = {}
KW = {"googlenet": {"init_weights": True}}


@contextlib.contextmanager
def no_ember_init():
    """Skip the random draws (structure tests do not need values; ember's RNG is slower)."""
    init = ember.nn.init
    names = ["uniform_", "normal_", "kaiming_uniform_", "kaiming_normal_", "trunc_normal_"]
    saved = {n: getattr(init, n) for n in names}
    try:
        for n in names:
            setattr(init, n, lambda t, *a, **k: t)
        yield
    finally:
        for n, f in saved.items():
            setattr(init, n, f)


def torch_meta(name, **kw):
    with torch.device("meta"):
        return getattr(tvm, name)(**{**KW.get(name, {}), **kw})


def ember_fast(name, **kw):
    with no_ember_init():
        return getattr(evm, name)(**{**KW.get(name, {}), **kw})


@pytest.mark.parametrize("name", ALL)
def test_structure_matches_torchvision(name):
    t, e = torch_meta(name), ember_fast(name)
    t_sd, e_sd = t.state_dict(), e.state_dict()
    assert list(e_sd) == list(t_sd)
    assert [tuple(v.shape) for v in e_sd.values()] == [tuple(v.shape) for v in t_sd.values()]
    assert [v.dtype.name for v in e_sd.values()] == \
        [str(v.dtype).replace("torch.", "") for v in t_sd.values()]
    n = sum(p.numel() for p in e.parameters())
    assert n == sum(p.numel() for p in t.parameters())
    assert [k for k, _ in e.named_parameters()] == [k for k, _ in t.named_parameters()]
    assert repr(e).replace("ember.", "torch.") == repr(t)
    if name != "googlenet":  # the weights' count is without the auxiliary heads
        assert n == evm.get_model_weights(name).DEFAULT.meta["num_params"]


def test_known_parameter_counts():
    assert sum(p.numel() for p in ember_fast("vgg16").parameters()) == 138_357_544
    assert sum(p.numel() for p in ember_fast("resnet18").parameters()) == 11_689_512


@pytest.mark.parametrize("name", ["resnet18", "squeezenet1_1", "mobilenet_v3_small",
                                  "shufflenet_v2_x1_0"])
def test_default_init_bit_for_bit(name):
    torch.manual_seed(0)
    t = getattr(tvm, name)()
    ember.manual_seed(0)
    e = getattr(evm, name)()
    for (k, a), b in zip(t.state_dict().items(), e.state_dict().values()):
        np.testing.assert_array_equal(b.numpy(), a.numpy(), err_msg=k)
    assert ember.rand(2).tolist() == torch.rand(2).tolist()


def random_state_dict(model, seed=0):
    """Weights for a torch model built on the meta device: scaled normals, sane BN stats."""
    rs = np.random.default_rng(seed)
    out = {}
    for k, v in model.state_dict().items():
        shape = tuple(v.shape)
        if v.dtype == torch.int64:
            out[k] = np.array(3, np.int64)
        elif k.endswith(("running_mean", "bias")):
            out[k] = rs.standard_normal(shape, np.float32) * np.float32(0.1)
        elif len(shape) == 1:  # BN weights and running variances
            out[k] = rs.uniform(0.5, 1.5, shape).astype(np.float32)
        else:
            out[k] = rs.standard_normal(shape, np.float32) * \
                np.float32(1.0 / np.sqrt(np.prod(shape[1:])))
    return out


@pytest.mark.parametrize("name", FORWARD)
def test_forward_matches_with_same_weights(name):
    t = torch_meta(name).to_empty(device="cpu")
    sd = random_state_dict(t)
    t.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    e = ember_fast(name)
    e.load_state_dict({k: ember.tensor(v) for k, v in sd.items()})
    t.eval()
    e.eval()
    size = SIZE.get(name, 32)
    x = np.random.RandomState(1).rand(2, 3, size, size).astype(np.float32)
    with torch.no_grad():
        out_t = t(torch.from_numpy(x)).numpy()
    with ember.no_grad():
        out_e = e(ember.tensor(x))
    assert isinstance(out_e, ember.Tensor) and tuple(out_e.shape) == out_t.shape
    scale = np.abs(out_t).max()
    np.testing.assert_allclose(out_e.numpy(), out_t, rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.parametrize("name", ["alexnet", "vgg11_bn"])
def test_features_forward_match(name):
    # The classifiers are plain Linear stacks; comparing the convolutional trunk keeps the
    # 100M-parameter heads out of the test.
    t = torch_meta(name).to_empty(device="cpu")
    e = ember_fast(name)
    sd = random_state_dict(t.features, seed=2)
    t.features.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    e.features.load_state_dict({k: ember.tensor(v) for k, v in sd.items()})
    t.eval()
    e.eval()
    x = np.random.RandomState(1).rand(2, 3, 64, 64).astype(np.float32)
    with torch.no_grad():
        out_t = t.avgpool(t.features(torch.from_numpy(x))).numpy()
    with ember.no_grad():
        out_e = e.avgpool(e.features(ember.tensor(x))).numpy()
    np.testing.assert_allclose(out_e, out_t, rtol=1e-4, atol=1e-4 * np.abs(out_t).max())


def test_resnet_train_mode_forward_backward():
    t = torch_meta("resnet18", num_classes=7).to_empty(device="cpu")
    sd = random_state_dict(t, seed=3)
    t.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    e = ember_fast("resnet18", num_classes=7)
    e.load_state_dict({k: ember.tensor(v) for k, v in sd.items()})
    x = np.random.RandomState(2).rand(4, 3, 32, 32).astype(np.float32)
    y = np.array([0, 3, 6, 2])
    lt = torch.nn.functional.cross_entropy(t(torch.from_numpy(x)), torch.from_numpy(y))
    le = ember.nn.functional.cross_entropy(e(ember.tensor(x)), ember.tensor(y))
    lt.backward()
    le.backward()
    assert abs(le.item() - lt.item()) < 1e-4
    for (k, a), b in zip(t.named_parameters(), e.parameters()):
        a = a.grad.numpy()  # float32 rounding grows through 20 train-mode batch norms
        np.testing.assert_allclose(b.grad.numpy(), a, rtol=1e-3, atol=1e-3 * np.abs(a).max(),
                                   err_msg=k)
    # running statistics were updated the same way in train mode
    np.testing.assert_allclose(e.bn1.running_mean.numpy(), t.bn1.running_mean.numpy(),
                               rtol=1e-5, atol=1e-6)
    assert e.bn1.num_batches_tracked.item() == t.bn1.num_batches_tracked.item()


def test_googlenet_aux_outputs_and_transform_input():
    t = torch_meta("googlenet", transform_input=True).to_empty(device="cpu")
    sd = random_state_dict(t, seed=5)
    t.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    e = ember_fast("googlenet", transform_input=True)
    e.load_state_dict({k: ember.tensor(v) for k, v in sd.items()})
    x = np.random.RandomState(4).rand(2, 3, 32, 32).astype(np.float32)
    t.train()
    e.train()
    for m in (t, e):  # dropout off, batch statistics on
        for mod in m.modules():
            if type(mod).__name__ == "Dropout":
                mod.p = 0.0
    out_t, out_e = t(torch.from_numpy(x)), e(ember.tensor(x))
    assert type(out_e).__name__ == "GoogLeNetOutputs" and out_e._fields == out_t._fields
    for a, b in zip(out_t, out_e):  # batch statistics of 2 x 1x1 maps amplify rounding
        a = a.detach().numpy()
        np.testing.assert_allclose(b.detach().numpy(), a, rtol=1e-2, atol=1e-2 * np.abs(a).max())
    no_aux = ember_fast("googlenet", aux_logits=False)
    assert no_aux.aux1 is None and "aux1" not in dict(no_aux.named_children())
    assert repr(no_aux).replace("ember.", "torch.") == repr(torch_meta("googlenet",
                                                                       aux_logits=False))


def test_vgg16_edits_as_the_seed_program_does():
    t, e = torch_meta("vgg16"), ember_fast("vgg16")
    t.classifier.add_module("add_linear", torch.nn.Linear(1000, 10, device="meta"))
    e.classifier.add_module("add_linear", ember.nn.Linear(1000, 10))
    assert repr(e) == repr(t)
    t2, e2 = torch_meta("vgg16"), ember_fast("vgg16")
    t2.classifier[6] = torch.nn.Linear(4096, 10, device="meta")
    e2.classifier[6] = ember.nn.Linear(4096, 10)
    assert repr(e2) == repr(t2)
    assert list(e2.state_dict()) == list(t2.state_dict())


def capture(fn):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        try:
            out = fn()
        except Exception as exc:  # noqa: BLE001 - compared between the libraries
            out = exc
    return out, [str(w.message) for w in rec]


def test_legacy_pretrained_keyword_and_positional_arguments():
    for call in (lambda m: m.squeezenet1_1(pretrained=False),
                 lambda m: m.squeezenet1_1(False),
                 lambda m: m.squeezenet1_1(None, True),
                 lambda m: m.squeezenet1_1(weights=None, num_classes=5)):
        with torch.device("meta"):
            t_out, t_warn = capture(lambda: call(tvm))
        with no_ember_init():
            e_out, e_warn = capture(lambda: call(evm))
        assert e_warn == t_warn
        assert repr(e_out) == repr(t_out)
    # pretrained=True asks for the default weights; num_classes must then agree with them
    t_err, t_warn = capture(lambda: tvm.resnet18(pretrained=True, num_classes=10))
    e_err, e_warn = capture(lambda: evm.resnet18(pretrained=True, num_classes=10))
    assert type(e_err) is type(t_err) is ValueError and str(e_err) == str(t_err)
    assert e_warn == t_warn
    t_err, _ = capture(lambda: tvm.alexnet(weights="IMAGENET1K_V1", num_classes=3))
    e_err, _ = capture(lambda: evm.alexnet(weights="IMAGENET1K_V1", num_classes=3))
    assert str(e_err) == str(t_err)
    t_err, _ = capture(lambda: tvm.alexnet(weights=tvm.VGG16_Weights.DEFAULT))
    e_err, _ = capture(lambda: evm.alexnet(weights=evm.VGG16_Weights.DEFAULT))
    assert type(e_err) is TypeError and str(e_err) == str(t_err)


def test_builder_arguments():
    e = ember_fast("resnet50", zero_init_residual=True, replace_stride_with_dilation=[0, 1, 1])
    t = torch_meta("resnet50", zero_init_residual=True, replace_stride_with_dilation=[0, 1, 1])
    assert repr(e) == repr(t)
    assert repr(ember_fast("mobilenet_v3_large", width_mult=0.75, reduced_tail=True,
                           dilated=True)) == \
        repr(torch_meta("mobilenet_v3_large", width_mult=0.75, reduced_tail=True, dilated=True))
    assert repr(ember_fast("mobilenet_v2", width_mult=0.5, dropout=0.3)) == \
        repr(torch_meta("mobilenet_v2", width_mult=0.5, dropout=0.3))
    assert repr(ember_fast("vgg11", num_classes=7, dropout=0.1)) == \
        repr(torch_meta("vgg11", num_classes=7, dropout=0.1))
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1"):
        evm.ResNet(evm.resnet.BasicBlock, [2, 2, 2, 2], groups=2)
    with pytest.raises(ValueError, match="Unsupported SqueezeNet version 2_0"):
        evm.SqueezeNet("2_0")


def meta_without_docs(meta):
    return {k: v for k, v in meta.items() if k != "_docs"}


def test_weights_enums_meta_and_transforms():
    for name in ALL:
        t_enum, e_enum = tvm.get_model_weights(name), evm.get_model_weights(name)
        assert e_enum.__name__ == t_enum.__name__
        assert [w._name_ for w in e_enum] == [w._name_ for w in t_enum]
        assert repr(e_enum.DEFAULT) == repr(t_enum.DEFAULT)
        for tw in t_enum:
            ew = e_enum[tw._name_]
            assert ew.url == tw.url
            tm, em = meta_without_docs(tw.meta), meta_without_docs(ew.meta)
            nan = [k for k, v in tm["_metrics"]["ImageNet-1K"].items() if v != v]
            for k in nan:  # NaN accuracies never compare equal
                assert em["_metrics"]["ImageNet-1K"][k] != em["_metrics"]["ImageNet-1K"][k]
                tm["_metrics"]["ImageNet-1K"][k] = em["_metrics"]["ImageNet-1K"][k] = 0
            assert em == tm
            assert repr(ew.transforms()) == repr(tw.transforms())
    assert evm.VGG16_Weights.DEFAULT is evm.VGG16_Weights.IMAGENET1K_V1
    assert evm.get_weight("ResNet50_Weights.IMAGENET1K_V2") is evm.ResNet50_Weights.IMAGENET1K_V2
    assert evm.ResNet50_Weights.verify("IMAGENET1K_V1") is evm.ResNet50_Weights.IMAGENET1K_V1
    assert len(evm.ResNet18_Weights.DEFAULT.meta["categories"]) == 1000
    assert evm.ResNet18_Weights.DEFAULT.meta["categories"][:3] == \
        tvm.ResNet18_Weights.DEFAULT.meta["categories"][:3]
    assert set(ALL) <= set(evm.list_models())
    assert evm.list_models(include="vgg1[19]*") == [n for n in tvm.list_models(include="vgg1[19]*")]
    assert evm.get_model_builder("ResNet18") is evm.resnet18
    with pytest.raises(ValueError, match="Unknown model nope"):
        evm.get_model("nope")


def test_state_dict_from_torch_checkpoint_loads(tmp_path):
    t = torch_meta("squeezenet1_1").to_empty(device="cpu")
    sd = random_state_dict(t, seed=9)
    t.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    path = tmp_path / "sq.pth"
    torch.save(t.state_dict(), path)
    e = ember_fast("squeezenet1_1")
    e.load_state_dict(ember.load(str(path)))
    for k, v in e.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), sd[k], err_msg=k)
    # and the other way: ember.save -> torch.load
    ember.save(e.state_dict(), str(tmp_path / "back.pth"))
    back = torch.load(tmp_path / "back.pth")
    assert list(back) == list(sd)
