"""ember.backends.cpu: which SIMD level the CPU kernels use (NumPy picks its own)."""
__all__ = ["get_cpu_capability"]

_LEVELS = (("avx512f", "AVX512"), ("avx2", "AVX2"))


def _detect():
    # torch reports the best instruction set its kernels were built for and the CPU has;
    # NumPy dispatches at run time much the same way, so ask the CPU.
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split(":", 1)[1].split() for line in f
                          if line.startswith("flags")), [])
    except OSError:
        return "DEFAULT"
    import platform
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return "DEFAULT"
    for flag, name in _LEVELS:
        if flag in flags:
            return name
    return "NO AVX"


_capability = None


def get_cpu_capability():
    """"AVX512", "AVX2", "NO AVX" on x86; "DEFAULT" elsewhere."""
    global _capability
    if _capability is None:
        _capability = _detect()
    return _capability
