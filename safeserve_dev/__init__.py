"""Development tooling, outside the packages production imports: seeders, benchmarks, the device
simulator, the MQTT broker harness and the test kits (docs/decisions/0019-import-contract.md).

Nothing under ``safeserve/`` imports this package except tests and the management commands that
run it (seed_demo, benchmark, bench_services, benchmark_iot, simulate_devices), which are thin
wrappers; an image built without ``safeserve_dev`` still serves every page.
"""
