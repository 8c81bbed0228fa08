"""ember.utils.data against torch.utils.data, in one process: datasets, samplers,
collation and the single-process DataLoader (order, contents, RNG stream, errors)."""
import collections
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
import ember.utils.data as ED  # noqa: E402
import torch.utils.data as TD  # noqa: E402

from _data_helpers import Squares  # noqa: E402

LIBS = ((torch, TD), (ember, ED))


def same(t, e):
    """Structure, types, dtypes and values of a torch result equal ember's."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), type(e)
        assert str(t.dtype)[6:] == str(e.dtype)[6:], (t.dtype, e.dtype)
        assert tuple(t.shape) == tuple(e.shape)
        assert t.requires_grad == e.requires_grad
        np.testing.assert_array_equal(t.detach().numpy(), e.detach()._data)
    elif isinstance(t, (list, tuple)):
        assert type(t).__name__ == type(e).__name__, (type(t), type(e))
        assert len(t) == len(e)
        for a, b in zip(t, e):
            same(a, b)
    elif isinstance(t, dict):
        assert type(t) is type(e) and list(t) == list(e)
        for k in t:
            same(t[k], e[k])
    else:
        assert type(t) is type(e) and t == e, (t, e)


def both(fn, raises=False):
    """fn(m, D) under torch and ember: equal results, or (``raises``; None: either way)
    the same exception type with the same message."""
    out = []
    for m, D in LIBS:
        try:
            out.append((fn(m, D), None))
        except Exception as exc:  # noqa: BLE001 - compared below
            out.append((None, exc))
    (rt, et), (re_, ee) = out
    if et is not None or ee is not None:
        assert raises is not False, (et, ee)
        assert type(et) is type(ee), (et, ee)
        assert str(et).replace("torch", "ember") == str(ee), (str(et), str(ee))
        return None
    assert not raises, "expected an error"
    same(rt, re_)
    return rt, re_


def seeded(fn, seed=0):
    """fn under manual_seed(seed), plus a draw from the global stream afterwards."""
    def run(m, D):
        m.manual_seed(seed)
        r = fn(m, D)
        return r, m.rand(2)
    return run


# --- samplers ------------------------------------------------------------------------

@pytest.mark.parametrize("kw", [
    {}, {"num_samples": 7}, {"num_samples": 23}, {"replacement": True},
    {"replacement": True, "num_samples": 70}, {"replacement": True, "num_samples": 5}])
@pytest.mark.parametrize("gen", [False, True])
def test_random_sampler(kw, gen):
    def run(m, D):
        g = m.Generator().manual_seed(7) if gen else None
        s = D.RandomSampler(range(10), generator=g, **kw)
        return [list(s), list(s), list(s), len(s)]
    both(seeded(run))


def test_sequential_subset_weighted_batch_samplers():
    both(seeded(lambda m, D: list(D.SequentialSampler(range(5)))))
    both(seeded(lambda m, D: [list(D.SubsetRandomSampler([3, 9, 4, 1, 8])) for _ in range(3)]))
    both(seeded(lambda m, D: list(D.SubsetRandomSampler(
        [3, 9, 4, 1], generator=m.Generator().manual_seed(1)))))
    for repl in (True, False):
        both(seeded(lambda m, D: [list(D.WeightedRandomSampler(
            [0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, replacement=repl)) for _ in range(3)]))
        both(seeded(lambda m, D: list(D.WeightedRandomSampler(
            [1, 2, 3, 4], 3, replacement=repl, generator=m.Generator().manual_seed(3)))))
    for drop in (True, False):
        both(lambda m, D: [list(D.BatchSampler(range(10), 3, drop)),
                           len(D.BatchSampler(range(10), 3, drop))])
        both(seeded(lambda m, D: list(D.BatchSampler(D.RandomSampler(range(11)), 4, drop))))


@pytest.mark.parametrize("bad", [
    lambda D: D.RandomSampler(range(3), replacement=1),
    lambda D: D.RandomSampler(range(3), num_samples=0),
    lambda D: D.RandomSampler([], num_samples=None),
    lambda D: D.WeightedRandomSampler([1.0], 0),
    lambda D: D.WeightedRandomSampler([1.0], 2, replacement=None),
    lambda D: D.WeightedRandomSampler([[1.0]], 2),
    lambda D: D.BatchSampler(range(3), 0, False),
    lambda D: D.BatchSampler(range(3), True, False),
    lambda D: D.BatchSampler(range(3), 2, 1),
])
def test_sampler_errors(bad):
    both(lambda m, D: bad(D), raises=True)


# --- DistributedSampler ---------------------------------------------------------------

@pytest.mark.parametrize("n", [10, 11, 13, 3])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("drop_last", [True, False])
def test_distributed_sampler_4_ranks(n, shuffle, drop_last):
    def run(m, D):
        out = []
        for rank in range(4):
            s = D.DistributedSampler(range(n), num_replicas=4, rank=rank, shuffle=shuffle,
                                     seed=5, drop_last=drop_last)
            for epoch in range(3):
                s.set_epoch(epoch)
                out.append((list(s), len(s), s.total_size))
        return out
    both(seeded(run))


def test_distributed_sampler_errors_and_loader():
    both(lambda m, D: D.DistributedSampler(range(4), num_replicas=4, rank=4), raises=True)
    both(lambda m, D: D.DistributedSampler(range(4), num_replicas=4, rank=-1), raises=True)

    def run(m, D):
        s = D.DistributedSampler(Squares(m.__name__, 19), num_replicas=4, rank=2, seed=3)
        dl = D.DataLoader(Squares(m.__name__, 19), batch_size=2, sampler=s)
        out = []
        for epoch in range(3):
            s.set_epoch(epoch)
            out.append(list(dl))
        return out
    both(seeded(run))


# --- datasets and random_split ------------------------------------------------------

@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.25, 0.25], [0.34, 0.33, 0.33],
                                     [1, 1, 8], [5, 6], [0.5, 0.6], [1.0, 0.0]])
@pytest.mark.parametrize("gen", [False, True])
def test_random_split(lengths, gen):
    def run(m, D):
        kw = {"generator": m.Generator().manual_seed(42)} if gen else {}
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            parts = D.random_split(range(10), lengths, **kw)
        return ([list(p.indices) for p in parts], [list(p) for p in parts],
                [str(x.message) for x in w])
    both(seeded(run), raises=None if sum(lengths) not in (1, 10) else False)


def test_random_split_bad_fraction_and_default_generator():
    both(lambda m, D: D.random_split(range(10), [1.5, -0.5]), raises=True)
    both(seeded(lambda m, D: [list(p) for p in D.random_split(range(6), [2, 4],
                                                               generator=None)]))
    both(seeded(lambda m, D: [list(p) for p in D.random_split(range(6), [2, 4],
                                                               generator=m.default_generator)]))


def test_tensor_concat_chain_stack_subset():
    def run(m, D):
        x = m.arange(12.).reshape(6, 2)
        y = m.arange(6)
        td = D.TensorDataset(x, y)
        cd = td + D.TensorDataset(x * 10, y)
        sub = D.Subset(cd, [0, 7, 11])
        st = D.StackDataset(td, y)
        sd = D.StackDataset(a=td, b=y)
        return [td[2], len(td), cd[7], cd[-1], len(cd), cd.cumulative_sizes, sub[1], len(sub),
                sub.__getitems__([0, 2]), st[3], sd[3], len(sd),
                st.__getitems__([1, 4]), sd.__getitems__([2]), td[m.tensor([1, 3])]]
    both(run)
    both(lambda m, D: D.TensorDataset(m.zeros(3), m.zeros(4)), raises=True)
    both(lambda m, D: D.ConcatDataset([]), raises=True)
    both(lambda m, D: D.ConcatDataset([range(3)])[-4], raises=True)
    both(lambda m, D: D.StackDataset(range(3), range(4)), raises=True)
    both(lambda m, D: D.StackDataset(range(3), a=range(3)), raises=True)
    both(lambda m, D: D.StackDataset(), raises=True)


def test_iterable_chain():
    def run(m, D):
        class It(D.IterableDataset):
            def __init__(self, a, b):
                self.a, self.b = a, b

            def __iter__(self):
                return iter(range(self.a, self.b))

            def __len__(self):
                return self.b - self.a
        ch = It(0, 3) + It(10, 12)
        return [list(ch), len(ch), type(ch).__name__]
    both(run)
    both(lambda m, D: D.ConcatDataset([D.ChainDataset([])]), raises=True)
    both(lambda m, D: list(D.ChainDataset([range(3)])), raises=True)


def test_subset_subclass_must_override_getitems():
    def run(m, D):
        class S(D.Subset):
            def __getitem__(self, i):
                return 0
        S(range(3), [0])
    both(run, raises=True)


# --- default_collate / default_convert --------------------------------------------------

Point = collections.namedtuple("Point", "x y")


@pytest.mark.parametrize("make", [
    lambda m: [m.tensor([1., 2.]), m.tensor([3., 4.])],
    lambda m: [m.tensor(1), m.tensor(2)],
    lambda m: [m.zeros(2, 3, dtype=m.uint8), m.ones(2, 3, dtype=m.uint8)],
    lambda m: [1, 2, 3],
    lambda m: [1.5, 2.0],
    lambda m: [True, False],
    lambda m: [np.float32(1.5), np.float32(2)],
    lambda m: [np.int16(1), np.int16(2)],
    lambda m: [np.bool_(True), np.bool_(False)],
    lambda m: [np.arange(3), np.arange(3) * 2],
    lambda m: [np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32)],
    lambda m: [np.array(1.5), np.array(2.5)],
    lambda m: ["a", "bc"],
    lambda m: [b"a", b"bc"],
    lambda m: [{"a": 1, "b": m.tensor([1.])}, {"a": 2, "b": m.tensor([2.])}],
    lambda m: [collections.OrderedDict(z=1, a=2.0), collections.OrderedDict(z=3, a=4.0)],
    lambda m: [Point(1, m.tensor(2.)), Point(3, m.tensor(4.))],
    lambda m: [(1, "x", [2.0, 3]), (4, "y", [5.0, 6])],
    lambda m: [[1, 2], [3, 4]],
    lambda m: [(m.ones(2), {"k": [np.ones(1)]}), (m.zeros(2), {"k": [np.zeros(1)]})],
    # errors
    lambda m: [m.ones(2), m.ones(3)],
    lambda m: [[1, 2], [3]],
    lambda m: [object(), object()],
    lambda m: [None, None],
    lambda m: [np.array(["a"]), np.array(["b"])],
    lambda m: [np.array([object()]), np.array([object()])],
    lambda m: [{1, 2}, {3, 4}],
    lambda m: [m.ones(2), np.ones(2)],
    lambda m: [1, "a"],
])
def test_default_collate(make):
    both(lambda m, D: D.default_collate(make(m)), raises=None)


def test_collate_keeps_autograd_and_promotes():
    def run(m, D):
        a = m.ones(2, requires_grad=True)
        out = D.default_collate([a, m.zeros(2)])
        return [out, type(out.grad_fn).__name__, D.default_collate([m.ones(2), m.arange(2)])]
    both(run)


@pytest.mark.parametrize("data", [
    np.arange(3), np.float64(2.5), np.array(["x"]), 3, "s", (np.arange(2), 1),
    [np.arange(2), "a"], {"a": np.ones(2), "b": [np.zeros(1)]}, Point(np.ones(1), 2),
    np.str_("x")])
def test_default_convert(data):
    both(lambda m, D: D.default_convert(data))


def test_collate_fn_map_extension():
    from ember.utils.data._utils.collate import collate, default_collate_fn_map

    class Box:
        def __init__(self, v):
            self.v = v

    def box_fn(batch, *, collate_fn_map=None):
        return sum(b.v for b in batch)
    out = collate([{"b": Box(1)}, {"b": Box(2)}], collate_fn_map={**default_collate_fn_map,
                                                                     Box: box_fn})
    assert out == {"b": 3}


# --- DataLoader in the main process ----------------------------------------------------

@pytest.mark.parametrize("kw", [
    {"batch_size": 4}, {"batch_size": 4, "shuffle": True},
    {"batch_size": 6, "shuffle": True, "drop_last": True}, {"batch_size": None},
    {"batch_size": 3, "shuffle": True, "gen": 11}, {"batch_size": 5, "shuffle": False,
                                                    "drop_last": True}])
def test_loader_order_and_contents_3_epochs(kw):
    kw = dict(kw)
    gen = kw.pop("gen", None)

    def run(m, D):
        g = m.Generator().manual_seed(gen) if gen is not None else None
        dl = D.DataLoader(Squares(m.__name__, 23), generator=g, **kw)
        return [list(dl) for _ in range(3)], len(dl)
    both(seeded(run, seed=3))


def test_tensor_dataset_batches_match_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 3, 4, 4)).astype(np.float32)
    y = rng.integers(0, 10, 50)

    def run(m, D):
        ds = D.TensorDataset(m.from_numpy(x.copy()), m.from_numpy(y.copy()))
        train, _ = D.random_split(ds, [0.8, 0.2])
        a = [list(D.DataLoader(ds, batch_size=16, shuffle=True, drop_last=d))
             for d in (False, True)]
        b = list(D.DataLoader(train, batch_size=16, shuffle=True))
        c = list(D.DataLoader(D.TensorDataset(m.from_numpy(y.copy())), batch_size=7))
        return a, b, c
    both(seeded(run))


def test_tensor_dataset_requires_grad_and_bad_index():
    def run(m, D):
        x = m.arange(6.).reshape(3, 2).requires_grad_()
        b = next(iter(D.DataLoader(D.TensorDataset(x), batch_size=2)))
        return b, type(b[0].grad_fn).__name__
    both(run)
    both(lambda m, D: list(D.DataLoader(D.TensorDataset(m.arange(3)), batch_size=2,
                                        sampler=[0, 5])), raises=True)
    both(lambda m, D: list(D.DataLoader(D.TensorDataset(m.arange(3)), batch_size=2,
                                        sampler=[0, -1, -3])))


def test_loader_samplers_and_batch_sampler():
    def run(m, D):
        ds = Squares(m.__name__, 12)
        a = list(D.DataLoader(ds, batch_size=5, sampler=D.SubsetRandomSampler([1, 5, 7, 9])))
        b = list(D.DataLoader(ds, batch_sampler=D.BatchSampler(
            D.RandomSampler(ds, replacement=True, num_samples=9), 4, False)))
        c = list(D.DataLoader(ds, batch_size=3, sampler=D.WeightedRandomSampler(
            [1.0] * 12, 7)))
        d = list(D.DataLoader(ds, batch_size=None, sampler=[3, 1]))
        e = list(D.DataLoader(ds, batch_size=2, collate_fn=lambda b: [s[1] for s in b]))
        return a, b, c, d, e
    both(seeded(run))


@pytest.mark.parametrize("kw", [
    {"num_workers": -1}, {"timeout": -1}, {"prefetch_factor": 2},
    {"num_workers": 1, "prefetch_factor": -1}, {"persistent_workers": True},
    {"shuffle": True, "sampler": [0, 1]}, {"batch_sampler": [[0]], "batch_size": 2},
    {"batch_sampler": [[0]], "drop_last": True}, {"batch_size": None, "drop_last": True},
    {"multiprocessing_context": "fork"}, {"num_workers": 1, "multiprocessing_context": "nope"},
    {"num_workers": 1, "multiprocessing_context": 3}, {"batch_size": 0},
])
def test_loader_argument_errors(kw):
    both(lambda m, D: D.DataLoader(Squares(m.__name__, 4), **kw), raises=True)


def test_loader_misc_errors_and_attributes():
    def set_attr(m, D):
        dl = D.DataLoader(range(4))
        dl.batch_size = 3
    both(set_attr, raises=True)
    both(lambda m, D: iter(D.DataLoader(range(4), timeout=1)), raises=True)

    def ok(m, D):
        dl = D.DataLoader(range(4), num_workers=1, multiprocessing_context="spawn")
        return [dl.prefetch_factor, dl.multiprocessing_context.get_start_method(),
                dl.batch_size, dl.drop_last, type(dl.sampler).__name__,
                type(dl.batch_sampler).__name__, dl.collate_fn.__name__]
    both(ok)


def test_pin_memory_warns_and_is_a_no_op():
    def run(m, D):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            out = list(D.DataLoader(range(3), batch_size=2, pin_memory=True))
        return out, [str(x.message) for x in w]
    both(run)


def test_iterable_dataset_single_process():
    def run(m, D):
        class It(D.IterableDataset):
            def __iter__(self):
                return iter(range(7))

            def __len__(self):
                return 5
        out = [list(D.DataLoader(It(), batch_size=3)),
               list(D.DataLoader(It(), batch_size=3, drop_last=True)),
               list(D.DataLoader(It(), batch_size=None))]
        dl = D.DataLoader(It(), batch_size=2)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            n = len(dl)
            list(dl)
        msgs = [str(x.message).split(" was reported")[1] for x in w]
        return out, n, msgs
    both(run)
    both(lambda m, D: D.IterableDataset(), raises=True)

    def make(D):
        return type("I", (D.IterableDataset,), {"__iter__": lambda self: iter([1])})()
    both(lambda m, D: D.DataLoader(make(D), shuffle=True), raises=True)
    both(lambda m, D: D.DataLoader(make(D), sampler=[1]), raises=True)
    both(lambda m, D: D.DataLoader(make(D), batch_sampler=[[1]]), raises=True)


def test_global_stream_after_partial_epochs():
    def run(m, D):
        dl = D.DataLoader(range(30), batch_size=4, shuffle=True)
        it = iter(dl)
        first = next(it)
        mid = m.rand(1)  # drawn between batches: the sampler's generator is its own
        rest = list(it)
        it2 = iter(dl)
        return first, mid, rest, next(it2)
    both(seeded(run))
