"""Threshold evaluation of one reading against a device's thresholds."""

from __future__ import annotations

from ..choices import AMPS, TEMPS, VOLTS, AlarmType

# ----------------------------------------------------------------------------- thresholds


def evaluate(values: dict, th: dict) -> list[tuple[str, bool, float, float]]:
    """(alarm type, breached, value, threshold) for every condition the reading says something about."""
    out = []
    v = values.get("residual_ma")
    if v is not None:
        out.append((AlarmType.RESIDUAL, v >= th["residual_ma"], v, th["residual_ma"]))
    temps = [values[k] for k in TEMPS if k in values]
    if temps:
        v = max(temps)
        out.append((AlarmType.TEMPERATURE, v >= th["temperature_c"], v, th["temperature_c"]))
    volts = [values[k] for k in VOLTS if k in values]
    if volts:
        hi, lo = max(volts), min(volts)
        out.append((AlarmType.OVER_VOLTAGE, hi > th["over_voltage_v"], hi, th["over_voltage_v"]))
        out.append((AlarmType.UNDER_VOLTAGE, lo < th["under_voltage_v"], lo, th["under_voltage_v"]))
    amps = [values[k] for k in AMPS if k in values]
    if amps:
        v = max(amps)
        out.append((AlarmType.OVER_CURRENT, v > th["over_current_a"], v, th["over_current_a"]))
    if th["arc"] and values.get("arc") is not None:
        out.append((AlarmType.ARC, values["arc"] >= 1, float(values["arc"]), 1.0))
    return out


def any_breach(values: dict, th: dict) -> bool:
    """Whether ``evaluate`` would report any condition as breached, without building its list."""
    get = values.get
    v = get("residual_ma")
    if v is not None and v >= th["residual_ma"]:
        return True
    limit = th["temperature_c"]
    for k in TEMPS:
        v = get(k)
        if v is not None and v >= limit:
            return True
    high, low = th["over_voltage_v"], th["under_voltage_v"]
    for k in VOLTS:
        v = get(k)
        if v is not None and (v > high or v < low):
            return True
    limit = th["over_current_a"]
    for k in AMPS:
        v = get(k)
        if v is not None and v > limit:
            return True
    v = get("arc")
    return bool(th["arc"] and v is not None and v >= 1)


def _peak(kind, a, b):
    return min(a, b) if kind == AlarmType.UNDER_VOLTAGE else max(a, b)
