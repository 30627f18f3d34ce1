"""The load tool's CPU shares count only the CPU used during the run (safeserve_dev.loadtest.CpuSampler):
a process running before the run counts from the first sample, one started during it from zero."""

from safeserve_dev import loadtest


def test_processes_running_before_the_phase_count_only_their_cpu_during_it(monkeypatch):
    samples = iter(
        [
            {1: ("web", 100.0), 2: ("web", 50.0), 4: ("db", 30.0)},  # before: workers that served earlier runs
            {1: ("web", 100.6), 2: ("web", 50.2), 4: ("db", 30.1), 3: ("db", 0.1)},  # 3: a backend started now
            {1: ("web", 101.0), 2: ("web", 50.5), 4: ("db", 30.3), 3: ("db", 0.2)},
        ]
    )
    last = {}

    def fake():
        nonlocal last
        last = next(samples, last)
        return last

    monkeypatch.setattr(loadtest, "_cpu_by_pid", fake)
    sampler = loadtest.CpuSampler()
    sampler._sample()
    sampler._sample()
    sampler._sample()
    totals = sampler.totals()
    assert round(totals["web"], 3) == 1.5  # 1.0 + 0.5, not the 150 s the workers used before
    assert round(totals["db"], 3) == 0.5  # 0.3 + the new backend's 0.2
