"""The travelled clock of ``safeserve_dev.clock_plugin`` for the Python processes a test starts.

The plugin puts this directory first on PYTHONPATH and sets ``SAFESERVE_CLOCK`` to
``<travelled epoch>@<real epoch>`` (the same instant on both clocks): a worker started by a test
(``manage.py ingest_mqtt``, a benchmark) reads the same time as the test that waits for it.
Not a module of the package; Python imports it at start-up, and only while the plugin runs."""

import os

_anchor = os.environ.get("SAFESERVE_CLOCK")
if _anchor:
    import time

    import time_machine

    _at, _real = (float(part) for part in _anchor.split("@"))
    time_machine.travel(_at + (time.time() - _real), tick=True).start()
