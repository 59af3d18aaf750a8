"""A strict reader of the Prometheus text exposition format (version 0.0.4), written
from the format's description (prometheus.io, "Exposition formats", text-based
format), for checking what edgeroute writes:

* lines end in '\\n' (the last one too); '# HELP name text' and '# TYPE name type'
  (counter, gauge, histogram, summary, untyped), at most one of each per name, the
  TYPE line before the family's first sample; other '#' lines are comments;
* a sample is 'name{label="value",...} value [timestamp]'; names match
  [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*; label values escape
  only backslash, double quote and line feed; values are Go floats (NaN, +Inf, -Inf);
* one family's samples are together; no series appears twice;
* a histogram has name_bucket (with le, cumulative, non-decreasing, ending at
  le="+Inf"), name_sum and name_count, and its +Inf bucket equals its count;
  counters are not negative.

parse(text) returns {family: {"type": t, "help": h, "samples": [(name, labels, value)]}}
or raises ValueError naming the line.
"""
import math
import re

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def _value(text, where):
    if text in ("NaN", "+Inf", "-Inf", "Inf"):
        return float(text.replace("Inf", "inf"))
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError(f"{where}: '{text}' is not a number")
    return float(text)


def _labels(text, where):
    labels = {}
    i = 0
    while i < len(text):
        m = LABEL.match(text, i)
        if not m:
            raise ValueError(f"{where}: bad label name at '{text[i:]}'")
        name = m.group(0)
        i = m.end()
        if text[i:i + 2] != '="':
            raise ValueError(f"{where}: label {name} needs =\"value\"")
        i += 2
        value = []
        while True:
            if i >= len(text):
                raise ValueError(f"{where}: label {name}: unterminated value")
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ValueError(f"{where}: label {name}: bad escape \\{nxt}")
                value.append({"\\": "\\", '"': '"', "n": "\n"}[nxt])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise ValueError(f"{where}: label {name}: raw line feed")
            else:
                value.append(c)
                i += 1
        if name in labels:
            raise ValueError(f"{where}: label {name} twice")
        labels[name] = "".join(value)
        if i < len(text):
            if text[i] != ",":
                raise ValueError(f"{where}: expected ',' between labels")
            i += 1
    return labels


def _family_of(name, families):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)] if name.endswith(suffix) else None
        if base and families.get(base, {}).get("type") in ("histogram", "summary"):
            return base
    return name


def parse(text):
    if text and not text.endswith("\n"):
        raise ValueError("the last line does not end in a line feed")
    families = {}
    order = []
    seen_series = set()
    closed = set()
    current = None
    for n, line in enumerate(text.split("\n")[:-1] if text else [], 1):
        where = f"line {n}"
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME.fullmatch(name):
                    raise ValueError(f"{where}: bad metric name '{name}'")
                fam = families.setdefault(name, {"type": None, "help": None, "samples": []})
                key = parts[1].lower()
                if fam[key] is not None:
                    raise ValueError(f"{where}: second {parts[1]} for {name}")
                if key == "type":
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise ValueError(f"{where}: bad TYPE line")
                    if fam["samples"]:
                        raise ValueError(f"{where}: TYPE for {name} after its samples")
                fam[key] = parts[3] if len(parts) == 4 else ""
                if name not in order:
                    order.append(name)
            continue
        m = NAME.match(line)
        if not m:
            raise ValueError(f"{where}: bad metric name")
        name = m.group(0)
        rest = line[m.end():]
        labels = {}
        if rest.startswith("{"):
            end = rest.rfind("}")
            if end < 0:
                raise ValueError(f"{where}: unterminated label set")
            labels = _labels(rest[1:end], where)
            rest = rest[end + 1:]
        if not rest.startswith(" "):
            raise ValueError(f"{where}: expected a space before the value")
        fields = rest.strip(" ").split(" ")
        if len(fields) not in (1, 2):
            raise ValueError(f"{where}: expected a value and an optional timestamp")
        value = _value(fields[0], where)
        if len(fields) == 2 and not re.fullmatch(r"-?\d+", fields[1]):
            raise ValueError(f"{where}: bad timestamp")
        fam_name = _family_of(name, families)
        if fam_name != current:
            if fam_name in closed:
                raise ValueError(f"{where}: samples of {fam_name} are not together")
            if current is not None:
                closed.add(current)
            current = fam_name
        fam = families.setdefault(fam_name, {"type": None, "help": None, "samples": []})
        if fam_name not in order:
            order.append(fam_name)
        series = (name, tuple(sorted(labels.items())))
        if series in seen_series:
            raise ValueError(f"{where}: series {name}{labels} twice")
        seen_series.add(series)
        if fam["type"] == "counter" and not (value >= 0):
            raise ValueError(f"{where}: counter {name} is {value}")
        fam["samples"].append((name, labels, value))
    for name, fam in families.items():
        if fam["type"] == "histogram":
            _check_histogram(name, fam["samples"])
    return families


def _check_histogram(name, samples):
    groups = {}
    for sname, labels, value in samples:
        key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        g = groups.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if sname == name + "_bucket":
            if "le" not in labels:
                raise ValueError(f"{name}: a bucket without le")
            g["buckets"].append((_value(labels["le"], name), value))
        elif sname == name + "_sum":
            g["sum"] = value
        elif sname == name + "_count":
            g["count"] = value
        else:
            raise ValueError(f"{name}: unexpected sample {sname}")
    for key, g in groups.items():
        if g["sum"] is None or g["count"] is None or not g["buckets"]:
            raise ValueError(f"{name}{dict(key)}: needs buckets, _sum and _count")
        bounds = [b for b, _ in g["buckets"]]
        if bounds != sorted(bounds) or not math.isinf(bounds[-1]):
            raise ValueError(f"{name}{dict(key)}: buckets must rise to le=\"+Inf\"")
        counts = [c for _, c in g["buckets"]]
        if any(b > a for a, b in zip(counts[1:], counts)):
            raise ValueError(f"{name}{dict(key)}: buckets must be cumulative")
        if counts[-1] != g["count"]:
            raise ValueError(f"{name}{dict(key)}: +Inf bucket {counts[-1]} != count {g['count']}")
