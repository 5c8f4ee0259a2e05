"""Reads a `DeviceInfo` from an Android phone with one ``adb shell`` script.

The script prints labelled sections (``getprop`` values, ``uname``,
``/proc/cpuinfo``, the cpufreq governor of the first measured CPU, every
thermal zone's type and reading); `parse_device_info` turns them into a
`DeviceInfo`, None wherever the phone did not say.
"""

from __future__ import annotations

from .latency_result import DeviceInfo

__all__ = ["device_info_script", "parse_device_info"]

_MARK = "@@edgenas:"
_CPU_ZONE_WORDS = ("cpu", "soc", "tsens", "core", "x86_pkg")
_CPU_MODEL_KEYS = ("model name", "processor name", "cpu model", "uarch", "model", "hardware")


def device_info_script(cpu: int) -> str:
    """The shell script whose output `parse_device_info` reads; ``cpu`` picks the governor read."""
    sections = [
        ("model", "getprop ro.product.model"),
        ("board", "getprop ro.board.platform"),
        ("release", "getprop ro.build.version.release"),
        ("machine", "uname -m"),
        ("hostname", "uname -n"),
        ("cpuinfo", "cat /proc/cpuinfo"),
        ("governor", f"cat /sys/devices/system/cpu/cpu{int(cpu)}/cpufreq/scaling_governor"),
        (
            "thermal",
            "for z in /sys/class/thermal/thermal_zone*; do "
            'echo "$(cat "$z/type" 2>/dev/null) $(cat "$z/temp" 2>/dev/null)"; done',
        ),
    ]
    return "; ".join(f"echo '{_MARK}{name}'; {command} 2>/dev/null" for name, command in sections)


def _sections(output: str) -> dict[str, str]:
    sections: dict[str, list[str]] = {}
    current = None
    for line in output.replace("\r", "").splitlines():
        if line.startswith(_MARK):
            current = sections.setdefault(line[len(_MARK) :].strip(), [])
        elif current is not None:
            current.append(line)
    return {name: "\n".join(lines).strip() for name, lines in sections.items()}


def _cpu_model(cpuinfo: str) -> str | None:
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, sep, value = line.partition(":")
        key, value = key.strip().lower(), value.strip()
        if sep and value and key not in fields:
            fields[key] = value
    for key in _CPU_MODEL_KEYS:
        if key in fields:
            return fields[key]
    if "cpu implementer" in fields and "cpu part" in fields:
        return f"ARM implementer {fields['cpu implementer']} part {fields['cpu part']}"
    return None


def _cpu_count(cpuinfo: str) -> int | None:
    count = sum(
        1 for line in cpuinfo.splitlines() if line.partition(":")[0].strip().lower() == "processor"
        and line.partition(":")[2].strip().isdigit()
    )
    return count or None


def _temperature_c(thermal: str) -> float | None:
    """A CPU/SoC zone's reading if any, else the hottest zone; millidegrees when >= 1000."""
    preferred, others = [], []
    for line in thermal.splitlines():
        kind, _, raw = line.strip().rpartition(" ")
        try:
            value = float(raw)
        except ValueError:
            continue
        celsius = value / 1000.0 if abs(value) >= 1000 else value
        if not -50.0 < celsius < 200.0:
            continue
        is_cpu = any(word in kind.lower() for word in _CPU_ZONE_WORDS)
        (preferred if is_cpu else others).append(celsius)
    readings = preferred or others
    return max(readings) if readings else None


def parse_device_info(output: str) -> DeviceInfo:
    """The `DeviceInfo` in the output of `device_info_script`.

    ``platform`` reads ``Android <release> (<ro.product.model>, <ro.board.platform>)``.
    """
    s = _sections(output)
    details = ", ".join(part for part in (s.get("model"), s.get("board")) if part)
    platform = None
    if s.get("release") or details:
        platform = f"Android {s.get('release') or '?'}" + (f" ({details})" if details else "")
    cpuinfo = s.get("cpuinfo", "")
    return DeviceInfo(
        hostname=s.get("hostname") or None,
        platform=platform,
        machine=s.get("machine") or None,
        cpu_model=_cpu_model(cpuinfo),
        cpu_count=_cpu_count(cpuinfo),
        cpu_governor=s.get("governor") or None,
        temperature_c=_temperature_c(s.get("thermal", "")),
    )
