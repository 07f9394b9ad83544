"""Peak memory of the running process, for the benchmarks."""

import resource


def peak_rss_mb() -> float:
    """Returns this process's peak resident memory in MB: the kernel's VmHWM, which, unlike
    `ru_maxrss`, does not carry over the peak of the parent that started this process."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
