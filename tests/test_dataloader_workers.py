"""DataLoader with worker processes: order, contents and seeding against torch's
workers, IterableDataset sharding, persistent workers, start methods, and faults
(worker exceptions, killed workers, timeouts, Ctrl-C, garbage collection) that
must never hang and never leave a child process behind."""
import gc
import multiprocessing
import os
import signal
import threading
import time
import warnings

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import ember  # noqa: E402
import ember.utils.data as ED  # noqa: E402
import torch.utils.data as TD  # noqa: E402

import _data_helpers as H  # noqa: E402
from test_data import both, seeded  # noqa: E402

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")


class TorchRange(H.RangeMixin, TD.IterableDataset):
    def _info(self):
        return TD.get_worker_info()


EmberRange = H.EmberRange  # lives in the helper module: importable without torch
RANGE = {"torch": TorchRange, "ember": EmberRange}


def _children():
    """(pid, state) of every process whose parent is this one, zombies included."""
    me, out = os.getpid(), []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == me:
            out.append((int(d), fields[0]))
    return out


@pytest.fixture(autouse=True)
def _collect_leftovers():
    """torch iterators caught in reference cycles keep their workers until collected."""
    gc.collect()
    yield


def assert_no_workers(pids):
    """None of ``pids`` is still our child (running or zombie), and multiprocessing
    knows of no live child at all."""
    deadline = time.monotonic() + 5
    while True:
        left = [c for c in _children() if c[0] in pids]
        if not left and multiprocessing.active_children() == []:
            return
        assert time.monotonic() < deadline, left
        time.sleep(0.05)


def worker_pids(it):
    return {p.pid for p in it._w.processes}


# --- order, contents and the RNG stream, against torch's workers -------------------------

@pytest.mark.parametrize("kw", [
    {"batch_size": 4, "shuffle": True},
    {"batch_size": 5, "shuffle": False, "drop_last": True},
    {"batch_size": 3, "shuffle": True, "drop_last": True, "prefetch_factor": 1},
    {"batch_size": None, "shuffle": True, "prefetch_factor": 3},
])
def test_two_workers_order_contents_stream_3_epochs(kw):
    def run(m, D):
        dl = D.DataLoader(H.Squares(m.__name__, 21), num_workers=2, **kw)
        return [list(dl) for _ in range(3)], len(dl)
    both(seeded(run, seed=5))


def test_workers_with_samplers_generator_and_random_split():
    def run(m, D):
        ds = H.Squares(m.__name__, 30)
        g = m.Generator().manual_seed(9)
        a = list(D.DataLoader(ds, batch_size=4, shuffle=True, generator=g, num_workers=2))
        train, val = D.random_split(ds, [0.7, 0.3], generator=m.Generator().manual_seed(1))
        b = list(D.DataLoader(train, batch_size=4, shuffle=True, num_workers=2))
        s = D.DistributedSampler(ds, num_replicas=4, rank=1, shuffle=True, drop_last=True)
        c = []
        for epoch in range(3):
            s.set_epoch(epoch)
            c.append(list(D.DataLoader(ds, batch_size=3, sampler=s, num_workers=2)))
        d = list(D.DataLoader(ds, batch_size=4, num_workers=2,
                              sampler=D.WeightedRandomSampler([1.0] * 30, 10)))
        e = list(D.DataLoader(ds, num_workers=2, batch_sampler=D.BatchSampler(
            D.SubsetRandomSampler(list(range(0, 30, 3))), 3, False)))
        f = list(D.DataLoader(ds, batch_size=4, num_workers=2, sampler=D.RandomSampler(
            ds, replacement=True, num_samples=13)))
        return a, b, c, d, e, f
    both(seeded(run, seed=2))


@pytest.mark.parametrize("workers,shuffle,drop_last", [
    (0, True, False), (0, True, True), (0, False, True), (2, True, True), (2, False, False)])
def test_distributed_sampler_4_ranks_3_epochs(workers, shuffle, drop_last):
    def run(m, D):
        ds = H.Squares(m.__name__, 23)
        out = []
        for rank in range(4):
            s = D.DistributedSampler(ds, num_replicas=4, rank=rank, shuffle=shuffle, seed=7,
                                     drop_last=drop_last)
            dl = D.DataLoader(ds, batch_size=2, sampler=s, num_workers=workers,
                              persistent_workers=workers > 0)
            for epoch in range(3):
                s.set_epoch(epoch)
                out.append(list(dl))
        return out
    both(seeded(run, seed=1))


def test_prefetch_factor_bounds_tasks_in_flight():
    def run(m, D):
        out = []
        for pf in (1, 2, 3):
            it = iter(D.DataLoader(H.Squares(m.__name__, 40), batch_size=2, num_workers=2,
                                   prefetch_factor=pf))
            out.append(it._send_idx)
            next(it)
            out.append(it._send_idx)
            out.append(len(it))
            del it
        return out
    assert both(run)[1] == [2, 3, 20, 4, 5, 20, 6, 7, 20]


def test_tensor_dataset_through_workers():
    x = np.random.default_rng(0).standard_normal((40, 3, 8, 8)).astype(np.float32)

    def run(m, D):
        ds = D.TensorDataset(m.from_numpy(x.copy()), m.arange(40))
        return [list(D.DataLoader(ds, batch_size=16, shuffle=True, num_workers=2))
                for _ in range(2)]
    both(seeded(run, seed=1))
    # what arrives is an ordinary, writable tensor owning its memory
    b = next(iter(ED.DataLoader(ED.TensorDataset(ember.from_numpy(x)), batch_size=8,
                                num_workers=1)))[0]
    b.add_(1)
    assert b.is_contiguous() and b.shape == (8, 3, 8, 8)


def test_worker_seeding_matches_torch():
    """random, NumPy and the library's generator inside workers draw what torch's do."""
    def run(m, D):
        dl = D.DataLoader(H.RandomDraws(m.__name__, 8), batch_size=2, num_workers=2,
                          shuffle=True)
        out = [[b.tolist() for b in batch] for batch in dl]
        info = list(D.DataLoader(H.WorkerInfoDataset(m.__name__, 4), batch_size=None,
                                 num_workers=2))
        return out, [x[:4] for x in info]
    both(seeded(run, seed=123))

    def gen(m, D):  # the base seed comes from the loader's generator when it has one
        dl = D.DataLoader(H.RandomDraws(m.__name__, 4), batch_size=2, num_workers=2,
                          generator=m.Generator().manual_seed(77))
        return [[b.tolist() for b in batch] for batch in dl]
    both(seeded(gen, seed=0))


def test_worker_init_fn_and_get_worker_info():
    def run(m, D):
        init = H.ember_worker_init if m is ember else H.torch_worker_init
        dl = D.DataLoader(H.InitEcho(), batch_size=None, num_workers=2, worker_init_fn=init)
        return [[float(v) for v in s] for s in dl]
    both(seeded(run, seed=4))
    assert ED.get_worker_info() is None
    info = list(ED.DataLoader(H.WorkerInfoDataset("ember", 2), batch_size=None,
                              num_workers=2))
    assert [i[1] for i in info] == [0, 1] and all(i[2] == 2 for i in info)
    assert all(i[4] != os.getpid() for i in info)


@pytest.mark.parametrize("bs,drop", [(2, False), (3, True), (None, False)])
def test_iterable_dataset_sharded_by_worker_info(bs, drop):
    def run(m, D):
        ds = RANGE[m.__name__](3, 14)
        dl = D.DataLoader(ds, batch_size=bs, drop_last=drop, num_workers=2)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return [list(dl) for _ in range(2)]
    both(seeded(run))


def test_iterable_dataset_without_sharding_duplicates_like_torch():
    def run(m, D):
        class Plain(D.IterableDataset):
            def __iter__(self):
                return iter(range(3))
        return list(D.DataLoader(Plain(), batch_size=2, num_workers=2))
    both(run)


def test_persistent_workers_and_prefetch():
    def run(m, D):
        dl = D.DataLoader(H.RandomDraws(m.__name__, 10), batch_size=3, shuffle=True,
                          num_workers=2, persistent_workers=True, prefetch_factor=1)
        out = []
        for epoch in range(3):
            it = iter(dl)
            out.append([[b.tolist() for b in batch] for batch in it])
        # half an epoch, then a new one: stale prefetched batches must not leak in
        it = iter(dl)
        out.append(next(it)[0].tolist())
        out.append([[b.tolist() for b in batch] for batch in iter(dl)])
        return out
    both(seeded(run, seed=8))
    dl = ED.DataLoader(H.Squares("ember", 6), batch_size=2, num_workers=2,
                       persistent_workers=True)
    list(dl)
    it = iter(dl)
    pids = worker_pids(it)
    assert pids == worker_pids(iter(dl))  # the same processes serve every epoch
    del dl, it
    gc.collect()
    assert_no_workers(pids)


def test_persistent_iterable_dataset():
    def run(m, D):
        dl = D.DataLoader(RANGE[m.__name__](0, 9), batch_size=2, num_workers=2,
                          persistent_workers=True)
        return [list(dl) for _ in range(3)]
    both(run)


def test_out_of_order():
    dl = ED.DataLoader(H.Squares("ember", 12), batch_size=2, num_workers=2, in_order=False)
    got = sorted(int(i) for b in dl for i in b[1])
    assert got == list(range(12))


@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_start_methods(method):
    def run(m, D):
        dl = D.DataLoader(H.RandomDraws(m.__name__, 6), batch_size=3, shuffle=True,
                          num_workers=2, multiprocessing_context=method)
        return [[b.tolist() for b in batch] for batch in dl]
    if method == "fork":
        both(seeded(run, seed=6))
        return
    # spawned ember workers against forked torch ones: the start method must not matter
    torch.manual_seed(6)
    want = [[b.tolist() for b in batch] for batch in TD.DataLoader(
        H.RandomDraws("torch", 6), batch_size=3, shuffle=True, num_workers=2)]
    ember.manual_seed(6)
    assert run(ember, ED) == want


# --- faults ------------------------------------------------------------------------

def test_worker_exception_reraised_with_traceback():
    def run(m, D):
        it = iter(D.DataLoader(H.Failing(8, bad=3), batch_size=2, num_workers=2))
        out = []
        for _ in range(5):  # torch goes on after an error; so must we
            try:
                out.append(next(it).tolist())
            except StopIteration:
                out.append("stop")
            except ValueError as e:
                msg = str(e)
                assert msg.startswith("Caught ValueError in DataLoader worker process 1.\n"
                                      "Original Traceback (most recent call last):\n")
                assert msg.rstrip().endswith("ValueError: bad sample 3")
                assert "_data_helpers.py" in msg
                out.append("ValueError")
        return out
    both(run)

    with pytest.raises(KeyError) as ei:
        next(iter(ED.DataLoader(H.Failing(2, bad=0, exc=KeyError), num_workers=1)))
    assert repr(ei.value).startswith("KeyError(Caught KeyError in DataLoader worker process "
                                     "0.\nOriginal Traceback (most recent call last):\n")
    assert "KeyError: 'bad sample 0'" in str(ei.value)


@pytest.mark.parametrize("exc", [KeyError("k"), ValueError("v"), OSError(2, "no such"),
                                 UnicodeDecodeError("utf-8", b"x", 0, 1, "bad")])
def test_exception_wrapper_matches_torch(exc):
    from torch._utils import ExceptionWrapper as TW
    from ember.utils.data._utils.worker import ExceptionWrapper as EW
    try:
        raise exc
    except Exception:
        import sys
        info = sys.exc_info()
    got = []
    for W in (TW, EW):
        try:
            W(info, where="in DataLoader worker process 3").reraise()
        except Exception as e:  # noqa: BLE001 - compared below
            got.append((type(e), str(e), repr(e)))
    assert got[0] == got[1]


def test_worker_init_fn_error_and_unpicklable_batch():
    with pytest.raises(ValueError, match="Caught ValueError in DataLoader worker process 0"):
        next(iter(ED.DataLoader(H.Squares("ember", 4), num_workers=1,
                                worker_init_fn=H.bad_init)))
    it = iter(ED.DataLoader(H.Unpicklable(), batch_size=None, num_workers=1))
    pids = worker_pids(it)
    with pytest.raises(Exception, match="in DataLoader worker process 0"):
        next(it)
    del it
    gc.collect()
    assert_no_workers(pids)


def test_killed_worker_raises_runtime_error_never_hangs():
    it = iter(ED.DataLoader(H.Slow(200, delay=0.02), batch_size=2, num_workers=2))
    next(it)
    victim = it._w.processes[0].pid
    pids = worker_pids(it)
    os.kill(victim, signal.SIGKILL)
    t0 = time.monotonic()
    with pytest.raises(RuntimeError) as ei:
        for _ in it:
            pass
    assert time.monotonic() - t0 < 10
    assert str(ei.value) == f"DataLoader worker (pid {victim}) is killed by signal: Killed. "
    assert_no_workers(pids)


def test_worker_exiting_with_a_code():
    class Exits:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            os._exit(3)
    it = iter(ED.DataLoader(Exits(), num_workers=1))
    pid = it._w.processes[0].pid
    with pytest.raises(RuntimeError, match=rf"DataLoader worker \(pid {pid}\) exited "
                                           r"unexpectedly with exit code 3\."):
        next(it)
    assert_no_workers({pid})


def test_timeout():
    def run(m, D):
        # prefetch_factor=1: the slow batch is requested only when the first is taken
        it = iter(D.DataLoader(H.Slow(4, delay=1.0, start=2, stop=3), batch_size=2, num_workers=1,
                               timeout=0.4, prefetch_factor=1))
        first = next(it).tolist()
        t0 = time.monotonic()
        try:
            next(it)
        except RuntimeError as e:
            took = time.monotonic() - t0
            assert took >= 0.35, took  # waited the timeout; the batch itself needs 1 s
            return first, str(e)
    assert both(run)[1] == ([0, 1], "DataLoader timed out after 0.4 seconds")
    gc.collect()
    assert_no_workers(set())


def test_keyboard_interrupt_leaves_no_children():
    it = iter(ED.DataLoader(H.Slow(100, delay=0.5), batch_size=2, num_workers=2))
    pids = worker_pids(it)
    main = threading.main_thread().ident
    timer = threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            for _ in it:
                pass
    finally:
        timer.cancel()
    assert_no_workers(pids)  # before the iterator is even collected


def test_ctrl_c_to_process_group_in_subprocess(tmp_path):
    """A terminal Ctrl-C signals every process of the group: loader and workers."""
    import subprocess
    import sys
    script = tmp_path / "loop.py"
    script.write_text(
        "import sys, os, time\n"
        f"sys.path[:0] = [{os.path.dirname(H.__file__)!r}, "
        f"{os.path.dirname(os.path.dirname(ember.__file__))!r}]\n"
        "import ember.utils.data as D, _data_helpers as H\n"
        "it = iter(D.DataLoader(H.Slow(100, delay=0.5), batch_size=2, num_workers=2))\n"
        "print(' '.join(str(p.pid) for p in it._w.processes), flush=True)\n"
        "for _ in it: pass\n")
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    pids = [int(p) for p in proc.stdout.readline().split()]
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    time.sleep(0.1)
    assert pids and not [p for p in pids if os.path.exists(f"/proc/{p}")]


def test_garbage_collected_half_consumed_iterator():
    dl = ED.DataLoader(H.Squares("ember", 40), batch_size=2, num_workers=2)
    it = iter(dl)
    next(it)
    pids = worker_pids(it)
    assert {c[0] for c in _children()} >= pids
    del it
    gc.collect()
    assert_no_workers(pids)
    # and a finished iterator shuts its workers down by itself
    it = iter(dl)
    pids = worker_pids(it)
    list(it)
    assert_no_workers(pids)


def test_unpicklable_arguments_under_spawn():
    def run(m, D):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            try:
                iter(D.DataLoader(H.Squares(m.__name__, 4), num_workers=1,
                                  collate_fn=lambda b: b, multiprocessing_context="spawn"))
            except Exception as e:  # noqa: BLE001 - compared below
                return type(e).__name__, [str(x.message)[:40] for x in w]
    assert both(run)[1][0] in ("PicklingError", "AttributeError")
    assert multiprocessing.active_children() == []
