"""Screenshot of TensorBoard's Graphs tab showing ember's add_graph of the notes' CIFAR10 model.

    python tools/tensorboard_screenshot.py [--out /tmp/ember_tensorboard_graph.png]

Writes the graph with ember.utils.tensorboard into a temporary log dir, starts the real
``tensorboard`` server on a free port of 127.0.0.1, and has headless Chromium (Debian:
``apt-get install chromium``) take the screenshot.  The PNG goes under /tmp by default:
it is a check to look at, not a file of the repository.

By default the model's boxes are opened first (``MyModel``, then its ``Sequential[model]``),
as a user would by double-clicking them: Chromium is driven over the DevTools protocol on
a pipe (``--remote-debugging-pipe``), which needs nothing beyond the standard library.
``--collapsed`` takes the plain ``chromium --screenshot`` of the tab as it first opens.
"""
import argparse
import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ember  # noqa: E402
from ember import nn  # noqa: E402
from ember.utils.tensorboard import SummaryWriter  # noqa: E402


class MyModel(nn.Module):
    """The CIFAR10 model of the notes (seed program 003's cifar10_model.py)."""

    def __init__(self):
        super(MyModel, self).__init__()
        self.model = nn.Sequential(
            nn.Conv2d(3, 32, 5, padding=2), nn.MaxPool2d(2),
            nn.Conv2d(32, 32, 5, padding=2), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 5, padding=2), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(1024, 64), nn.Linear(64, 10))

    def forward(self, x):
        return self.model(x)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, deadline):
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3) as r:
                body = r.read()
                if body not in (b"[]", b"{}"):
                    return body
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"TensorBoard did not answer {url} in time")


class DevTools:
    """Chrome's DevTools protocol over the pipe Chromium reads on fd 3 and writes on fd 4:
    JSON messages, each ended by a NUL byte."""

    def __init__(self, chromium, extra_args):
        to_chrome_r, self._w = os.pipe()
        self._r, from_chrome_w = os.pipe()

        def plumb():  # runs in the child before exec: the pipe ends become fds 3 and 4
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)  # neither may sit on 3 or 4
            os.dup2(r, 3)
            os.dup2(w, 4)

        self.proc = subprocess.Popen(
            [chromium, "--remote-debugging-pipe", *extra_args, "about:blank"],
            preexec_fn=plumb, close_fds=False, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0

    def _read_message(self):
        while b"\0" not in self._buf:
            chunk = os.read(self._r, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, session=None, **params):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        while True:
            reply = self._read_message()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def close(self):
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self._r)
        os.close(self._w)


# TensorBoard's graph elements live in nested shadow roots; a double-click on a box
# fires 'node-toggle-expand' at the tf-graph element, which is what is sent here.
_JS = """
(() => {
  const deep = (root, sel) => {
    const hit = root.querySelector(sel);
    if (hit) return hit;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const f = deep(el.shadowRoot, sel); if (f) return f; }
    }
    return null;
  };
  window.__deep = deep;
  return true;
})()
"""


def _expanded_screenshot(chromium, url, out, width, height, expand, deadline):
    profile = tempfile.mkdtemp(prefix="ember_chromium_")
    tools = DevTools(chromium, ["--headless", "--no-sandbox", "--disable-gpu",
                                "--hide-scrollbars", f"--user-data-dir={profile}"])
    try:
        target = tools.call("Target.createTarget", url="about:blank")["targetId"]
        session = tools.call("Target.attachToTarget", targetId=target,
                             flatten=True)["sessionId"]
        tools.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height,
                   deviceScaleFactor=1, mobile=False)
        tools.call("Page.navigate", session, url=url)

        def js(expr):
            return tools.call("Runtime.evaluate", session, expression=expr,
                              returnByValue=True).get("result", {}).get("value")

        def wait_node(name):
            sel = json.dumps(f'g[data-name="{name}"]')
            while time.monotonic() < deadline:
                js(_JS)
                if js(f"!!window.__deep(document, {sel})"):
                    return
                time.sleep(0.3)
            raise TimeoutError(f"the graph never showed {name}")

        for name in expand:
            wait_node(name)
            js("window.__deep(document, 'tf-graph').dispatchEvent(new CustomEvent("
               f"'node-toggle-expand', {{detail: {{name: {json.dumps(name)}}}, bubbles: true, "
               "composed: true}))")
            time.sleep(1.0)
        js("window.__deep(document, 'tf-graph').fit()")
        time.sleep(1.5)  # the fit is animated
        png = tools.call("Page.captureScreenshot", session, format="png")["data"]
        with open(out, "wb") as f:
            f.write(base64.b64decode(png))
    finally:
        tools.close()
        shutil.rmtree(profile, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="/tmp/ember_tensorboard_graph.png")
    ap.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    ap.add_argument("--window-size", default="1400,900")
    ap.add_argument("--budget-ms", type=int, default=15000,
                    help="Chromium's virtual time budget for the page to render")
    ap.add_argument("--keep-logdir", action="store_true")
    ap.add_argument("--collapsed", action="store_true",
                    help="the tab as it opens, boxes closed (plain chromium --screenshot)")
    args = ap.parse_args()

    logdir = tempfile.mkdtemp(prefix="ember_tb_")
    with SummaryWriter(os.path.join(logdir, "cifar10")) as w:
        w.add_graph(MyModel(), ember.randn(64, 3, 32, 32))

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", logdir, "--host", "127.0.0.1",
         "--port", str(port), "--load_fast", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/data/plugin/graphs/info", time.monotonic() + 60)
        if not args.collapsed:
            w, h = map(int, args.window_size.split(","))
            _expanded_screenshot(args.chromium, base + "/#graphs", args.out, w, h,
                                 ["MyModel", "MyModel/Sequential[model]"],
                                 time.monotonic() + args.budget_ms / 1000 + 30)
        else:
            with tempfile.TemporaryDirectory() as profile:
                subprocess.run(
                    [args.chromium, "--headless", "--no-sandbox", "--disable-gpu",
                     "--hide-scrollbars", f"--user-data-dir={profile}",
                     f"--screenshot={args.out}", f"--window-size={args.window_size}",
                     f"--virtual-time-budget={args.budget_ms}", base + "/#graphs"],
                    check=True, timeout=120, stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        if not args.keep_logdir:
            shutil.rmtree(logdir, ignore_errors=True)
    print(args.out)


if __name__ == "__main__":
    main()
